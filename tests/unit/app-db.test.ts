import { describe, expect, it } from "vitest";
import { backoffDelayMs, DatabaseUnavailableError, isTransientConnectError, waitForDatabase } from "../../app/src/db.js";

const refused = Object.assign(new Error("connect ECONNREFUSED 10.0.0.5:5432"), { code: "ECONNREFUSED" });

/** A fake clock: sleep advances it, so backoff is tested without waiting. */
function fakeClock() {
  let t = 0;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    sleeps,
  };
}

describe("backoffDelayMs", () => {
  it("doubles from 250 ms and caps at 5 s", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 10].map((n) => backoffDelayMs(n))).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });
});

describe("isTransientConnectError", () => {
  it.each([
    [refused, true],
    [{ code: "57P03", message: "the database system is starting up" }, true],
    [new Error("Connection terminated unexpectedly"), true],
    [new Error("timeout exceeded when trying to connect"), true],
    [{ code: "28P01", message: "password authentication failed" }, false],
    [{ code: "3D000", message: 'database "x" does not exist' }, false],
    [new Error("syntax error"), false],
  ])("%o -> %s", (err, expected) => {
    expect(isTransientConnectError(err)).toBe(expected);
  });
});

describe("waitForDatabase", () => {
  it("retries transient errors with backoff until it connects", async () => {
    const clock = fakeClock();
    let calls = 0;
    const attempts = await waitForDatabase(
      async () => {
        if (++calls < 4) throw refused;
      },
      { timeoutMs: 30_000, target: "app@db:5432/confradar", ...clock },
    );
    expect(attempts).toBe(4);
    expect(clock.sleeps).toEqual([250, 500, 1000]);
  });

  it("gives up after the total wait with a message naming the target, not the password", async () => {
    const clock = fakeClock();
    const err = await waitForDatabase(
      async () => {
        throw refused;
      },
      { timeoutMs: 3_000, target: "app@db:5432/confradar", ...clock },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseUnavailableError);
    const message = (err as Error).message;
    expect(message).toMatch(/Could not connect to the database at app@db:5432\/confradar within 3000 ms \(\d+ attempts\)/);
    expect(message).toMatch(/ECONNREFUSED/);
    expect(message).toMatch(/DB_STARTUP_TIMEOUT_MS/);
    expect(clock.now()).toBeLessThanOrEqual(3_000);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(3_000);
  });

  it("fails at once on a bad password, with a hint and the password masked", async () => {
    const clock = fakeClock();
    const err = await waitForDatabase(
      async () => {
        throw Object.assign(new Error('password authentication failed for user "app" (postgres://app:pw123@db/x)'), {
          code: "28P01",
        });
      },
      { timeoutMs: 30_000, target: "app@db:5432/x", ...clock },
    ).catch((e: unknown) => e);
    expect(clock.sleeps).toEqual([]);
    expect((err as Error).message).toMatch(/rejected the credentials/);
    expect((err as Error).message).not.toContain("pw123");
  });

  it("tries once when the timeout is 0", async () => {
    const clock = fakeClock();
    let calls = 0;
    await expect(
      waitForDatabase(
        async () => {
          calls++;
          throw refused;
        },
        { timeoutMs: 0, target: "db:5432/x", ...clock },
      ),
    ).rejects.toThrow(/within 0 ms \(1 attempt\)/);
    expect(calls).toBe(1);
  });
});
