/** Docker objects by name, as the e2e suites and their cleanup find them. */
import { sh } from "../toolchain/pulumiProject.js";

/** Names of Docker containers, networks or volumes that start with a prefix. */
export function dockerNames(kind: "ps" | "network" | "volume", prefix: string): string[] {
  const args =
    kind === "ps"
      ? ["ps", "-a", "--format", "{{.Names}}"]
      : kind === "network"
        ? ["network", "ls", "--format", "{{.Name}}"]
        : ["volume", "ls", "--format", "{{.Name}}"];
  return sh("docker", args)
    .stdout.split("\n")
    .filter((name) => name && name.startsWith(prefix));
}
