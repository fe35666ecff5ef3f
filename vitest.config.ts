import { defineConfig } from "vitest/config";

// One runner, several projects: `npm test` runs them all; `--project NAME` runs one.
// unit: pure functions, no I/O. integration: real SQL on PGlite or TEST_DATABASE_URL.
// browser: the pages in chromium on the app in-process. infra: the Pulumi program under mocks. toolchain and e2e: the real Pulumi engine and Docker.
// groupOrder: the e2e suites write temporary migrations into migrations/ and bring stacks up, so
// they run in a group of their own, never beside another project's files, after the toolchain
// group. (vitest 5 runs the numbered groups before the default one: in `.ci/run` the quick
// projects now finish last.)
export default defineConfig({
  test: {
    projects: [
      { test: { name: "unit", include: ["tests/unit/**/*.test.ts"] } },
      {
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          // tests/integration/server/ needs a real server (concurrency, locks): part of the run only
          // with TEST_DATABASE_URL; in CI the harness refuses an unstated store (tests/helpers/database.ts).
          exclude: process.env.TEST_DATABASE_URL ? [] : ["tests/integration/server/**"],
          // One migrated template per run; each test file clones it (tests/helpers/database.ts).
          globalSetup: ["tests/helpers/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          // The pages in chromium (playwright-core) on the app started in-process over the same
          // per-file database as the integration tests: no stack, no Docker. Screenshots in
          // .artifacts/browser/.
          name: "browser",
          include: ["tests/browser/**/*.test.ts"],
          globalSetup: ["tests/helpers/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      { test: { name: "infra", include: ["tests/infra/**/*.test.ts"], testTimeout: 30_000 } },
      {
        test: {
          name: "toolchain",
          include: ["tests/toolchain/**/*.test.ts"],
          sequence: { groupOrder: 1 },
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["tests/e2e/**/*.test.ts"],
          sequence: { groupOrder: 2 },
          testTimeout: 900_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
