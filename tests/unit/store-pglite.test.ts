import { describe, expect, it } from "vitest";
import { endsWithReadyForQuery, pgliteFailureReason } from "../../app/src/store/pglite.js";

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

describe("endsWithReadyForQuery", () => {
  const ready = (status: string) => [0x5a, 0, 0, 0, 5, status.charCodeAt(0)];
  const parseComplete = [0x31, 0, 0, 0, 4];

  it("is true for a reply ending with ReadyForQuery in any transaction state", () => {
    expect(endsWithReadyForQuery(Uint8Array.from(ready("I")))).toBe(true);
    expect(endsWithReadyForQuery(Uint8Array.from([...parseComplete, ...ready("T")]))).toBe(true);
    expect(endsWithReadyForQuery(Uint8Array.from(ready("E")))).toBe(true);
  });

  it("is false for a reply that stops mid-batch, or for none", () => {
    expect(endsWithReadyForQuery(Uint8Array.from(parseComplete))).toBe(false);
    expect(endsWithReadyForQuery(Uint8Array.from([...ready("I"), ...parseComplete]))).toBe(false);
    expect(endsWithReadyForQuery(new Uint8Array(0))).toBe(false);
  });
});
