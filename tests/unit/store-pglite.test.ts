import { describe, expect, it } from "vitest";
import { pgliteFailureReason } from "../../app/src/store/pglite.js";

describe("pgliteFailureReason", () => {
  it("names the PANIC with the LOG line before it, without timestamps (the store of issue 17)", () => {
    const log = [
      "pglitec: shmctl: no such segment 1",
      "2026-12-03 02:53:38.780 UTC [42] LOG:  invalid resource manager ID 127 at 0/1800910",
      "2026-12-03 02:53:38.781 UTC [42] LOG:  invalid checkpoint record",
      "2026-12-03 02:53:38.788 UTC [42] PANIC:  could not locate a valid checkpoint record at 0/1800910",
      "Aborted()",
    ];
    expect(pgliteFailureReason(log)).toBe(
      "LOG: invalid checkpoint record; PANIC: could not locate a valid checkpoint record at 0/1800910",
    );
  });

  it("keeps every FATAL and PANIC", () => {
    expect(pgliteFailureReason(["2026-01-01 00:00:00 UTC [1] FATAL:  a", "2026-01-01 00:00:00 UTC [1] PANIC:  b"])).toBe(
      "FATAL: a; PANIC: b",
    );
  });

  it("falls back to the last line that says something, and to nothing for an empty log", () => {
    expect(pgliteFailureReason(["2026-01-01 00:00:00 UTC [1] LOG:  something odd", "Aborted()", ""])).toBe("LOG: something odd");
    expect(pgliteFailureReason(["Aborted()"])).toBeUndefined();
    expect(pgliteFailureReason([])).toBeUndefined();
  });
});
