// ESLint flat config: the recommended JavaScript and TypeScript rules, without the type-checked
// presets so `npm run lint` stays fast (types are `npm run typecheck`'s job).
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";
import { defineConfig } from "eslint/config";

export default defineConfig(
  {
    ignores: [
      "**/node_modules/",
      "**/dist/",
      "coverage/",
      ".pulumi-state/",
      ".pulumi/",
      ".pglite/",
      "backups/",
      ".cache/",
      "app/dist/",
    ],
  },
  {
    files: ["**/*.ts", "**/*.js", "**/*.mjs"],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "module",
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
    },
  },
  {
    // The pages' script runs in the browser (served by app/src/web/assets.ts), not in Node.
    files: ["app/src/web/assets/**/*.js"],
    languageOptions: { sourceType: "script", globals: { ...globals.browser } },
  },
  {
    // Tests read untyped JSON, YAML and Pulumi runtime internals (the mock monitor's requests).
    files: ["tests/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
