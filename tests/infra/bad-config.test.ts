import { describe, expect, it } from "vitest";
import { StackConfigError } from "../../infra/stackConfig/schema.js";
import { ProgramError, runProgram } from "./harness.js";

describe("a bad config value", () => {
  it("stops the program with every problem named, before any resource is registered", async () => {
    const error = await runProgram("dev", { postgresPort: "99999", pgadminEmail: "nobody", retainVolume: "maybe" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProgramError);
    const { cause, resources } = error as ProgramError;
    expect(cause).toBeInstanceOf(StackConfigError);
    const message = (cause as Error).message;
    expect(message).toContain('confradar:postgresPort = "99999"');
    expect(message).toContain('confradar:pgadminEmail = "nobody"');
    expect(message).toContain('confradar:retainVolume = "maybe" must be true or false');
    expect(resources).toHaveLength(0);
  });
});
