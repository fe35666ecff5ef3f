import { describe, expect, it } from "vitest";
import { classifySignal } from "../../app/src/shutdown.js";

describe("classifySignal", () => {
  it("starts the shutdown on the first signal", () => {
    expect(classifySignal(undefined, 1_000, 2_000)).toBe("start");
  });

  it("takes a signal within the grace as the same Ctrl-C relayed by a runner (npm, sh, tsx)", () => {
    expect(classifySignal(1_000, 1_000, 2_000)).toBe("repeat");
    expect(classifySignal(1_000, 1_050, 2_000)).toBe("repeat");
    expect(classifySignal(1_000, 2_999, 2_000)).toBe("repeat");
  });

  it("takes a later one as a person who does not want to wait", () => {
    expect(classifySignal(1_000, 3_000, 2_000)).toBe("force");
    expect(classifySignal(1_000, 60_000, 2_000)).toBe("force");
  });
});
