/**
 * Entry point of ConfRadar's offline provider plugins: `main.ts docker|postgresql|random`, run by
 * the launchers in bin/ that the engine finds on PATH (docs/offline.md).
 */
import "../../app/src/check-node.js"; // first: the Node.js version check (app/src/node-version.ts)
import { servePlugin } from "./core/server.js";

const name = process.argv[2];
switch (name) {
  case "random": {
    const { randomPlugin } = await import("./random/plugin.js");
    await servePlugin(randomPlugin);
    break;
  }
  case "docker": {
    const { dockerPlugin } = await import("./docker/plugin.js");
    await servePlugin(dockerPlugin);
    break;
  }
  case "postgresql": {
    const { postgresqlPlugin } = await import("./postgresql/plugin.js");
    await servePlugin(postgresqlPlugin);
    break;
  }
  default:
    process.stderr.write(`usage: main.ts docker|postgresql|random (got ${name ?? "nothing"})\n`);
    process.exit(2);
}
