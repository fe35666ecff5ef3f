import { describe, expect, it } from "vitest";
import {
  CHARACTER_SETS,
  generatePassword,
  randomPasswordDefaults,
  validateRandomPassword,
} from "../../offline/plugins/random/randomPassword.js";
import { UNKNOWN } from "../../offline/plugins/core/properties.js";

const alphanumeric = CHARACTER_SETS.upper + CHARACTER_SETS.lower + CHARACTER_SETS.numeric;

/** A deterministic stand-in for crypto.randomInt: counts up, modulo the range; records each range. */
function counter() {
  let next = 0;
  const ranges: number[] = [];
  const pick = (n: number) => {
    ranges.push(n);
    return next++ % n;
  };
  return { pick, ranges };
}

describe("offline random plugin: generatePassword", () => {
  it("has the requested length", () => {
    for (const length of [1, 2, 16, 64]) {
      expect(generatePassword(length, true, counter().pick)).toHaveLength(length);
      expect(generatePassword(length, false, counter().pick)).toHaveLength(length);
    }
  });

  it("draws from upper, lower and numeric only when special is false", () => {
    const { pick, ranges } = counter();
    const password = generatePassword(200, false, pick);
    for (const char of password) expect(alphanumeric).toContain(char);
    // Each character is drawn from the 62 alphanumerics, then Fisher-Yates shuffles.
    expect(ranges.slice(0, 200).every((n) => n === 62)).toBe(true);
    expect(ranges.slice(200)).toEqual(Array.from({ length: 199 }, (_, i) => 200 - i));
  });

  it("includes the special characters when special is true", () => {
    const { pick, ranges } = counter();
    const password = generatePassword(83, true, pick);
    expect(ranges.slice(0, 83).every((n) => n === 83)).toBe(true);
    // The counter picks each of the 83 characters exactly once before the shuffle.
    expect([...password].sort()).toEqual([...(alphanumeric + CHARACTER_SETS.special)].sort());
  });

  it("is a pure function of the picks", () => {
    expect(generatePassword(12, false, () => 0)).toBe("AAAAAAAAAAAA");
    expect(generatePassword(5, false, (n) => n - 1)).toBe("99999");
    expect(generatePassword(5, true, (n) => n - 1)).toBe("?????");
    expect(generatePassword(30, true, counter().pick)).toBe(generatePassword(30, true, counter().pick));
  });

  it("shuffles: a swap from pick moves characters", () => {
    // Draws A, B, C (picks 0, 1, 2); then the shuffle picks 0 for i=2 and 0 for i=1.
    const picks = [0, 1, 2, 0, 0];
    const password = generatePassword(3, false, () => picks.shift()!);
    // i=2 swaps [2] with [0]: C B A; i=1 swaps [1] with [0]: B C A.
    expect(password).toBe("BCA");
    expect(picks).toEqual([]);
  });

  it("uses crypto randomness by default", () => {
    const a = generatePassword(32, false);
    const b = generatePassword(32, false);
    expect(a).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(a).not.toBe(b);
  });
});

describe("offline random plugin: randomPasswordDefaults", () => {
  it("makes special true unless set", () => {
    expect(randomPasswordDefaults({ length: 16 })).toEqual({ length: 16, special: true });
    expect(randomPasswordDefaults({ length: 16, special: false })).toEqual({ length: 16, special: false });
    expect(randomPasswordDefaults({ length: 8, keepers: { k: "v" } })).toEqual({ length: 8, special: true, keepers: { k: "v" } });
  });
});

describe("offline random plugin: validateRandomPassword", () => {
  it("accepts a whole length of 1 or more", () => {
    expect(validateRandomPassword({ length: 1 })).toEqual([]);
    expect(validateRandomPassword({ length: 32, special: false })).toEqual([]);
  });

  it("refuses zero, negative and fractional lengths", () => {
    for (const length of [0, -4, 2.5]) {
      const failures = validateRandomPassword({ length });
      expect(failures).toHaveLength(1);
      expect(failures[0]!.property).toBe("length");
      expect(failures[0]!.reason).toContain(String(length));
    }
  });

  it("skips a length not known yet", () => {
    expect(validateRandomPassword({ length: UNKNOWN as unknown as number })).toEqual([]);
  });
});
