import { describe, expect, it } from "vitest";
import {
  concealProperties,
  containsUnknown,
  deepEqual,
  revealProperties,
  revealValue,
  secretWrapper,
  SECRET_SIG,
  SIG_KEY,
  UNKNOWN,
} from "../../offline/plugins/core/properties.js";

const secret = (value: unknown) => ({ [SIG_KEY]: SECRET_SIG, value });

describe("offline plugins: revealValue", () => {
  it("returns plain values unchanged and not secret", () => {
    expect(revealValue("x")).toEqual({ value: "x", secret: false });
    expect(revealValue(3)).toEqual({ value: 3, secret: false });
    expect(revealValue(null)).toEqual({ value: null, secret: false });
    expect(revealValue({ a: [1, { b: "c" }] })).toEqual({ value: { a: [1, { b: "c" }] }, secret: false });
  });

  it("unwraps a top-level secret", () => {
    expect(revealValue(secret("pw"))).toEqual({ value: "pw", secret: true });
  });

  it("unwraps secrets nested in arrays and objects and reports them", () => {
    const wire = { list: [1, secret("hidden"), { deep: secret({ inner: secret(2) }) }] };
    expect(revealValue(wire)).toEqual({ value: { list: [1, "hidden", { deep: { inner: 2 } }] }, secret: true });
  });

  it("leaves other special objects (same signature key, other signature) as plain objects", () => {
    const asset = { [SIG_KEY]: "c44067f5952c0a294b673a41bacd8c17", path: "/x" };
    expect(revealValue(asset)).toEqual({ value: asset, secret: false });
  });
});

describe("offline plugins: revealProperties", () => {
  it("marks the top-level key secret when a secret sits anywhere inside it", () => {
    const revealed = revealProperties({
      name: "c1",
      password: secret("pw"),
      uploads: [
        { file: "/a", content: secret("s3cr3t") },
        { file: "/b", content: "plain" },
      ],
      labels: { team: { nested: [secret("x")] } },
      plainList: ["a", "b"],
    });
    expect(revealed.values).toEqual({
      name: "c1",
      password: "pw",
      uploads: [
        { file: "/a", content: "s3cr3t" },
        { file: "/b", content: "plain" },
      ],
      labels: { team: { nested: ["x"] } },
      plainList: ["a", "b"],
    });
    expect([...revealed.secretKeys].sort()).toEqual(["labels", "password", "uploads"]);
  });

  it("accepts undefined as an empty bag", () => {
    const revealed = revealProperties(undefined);
    expect(revealed.values).toEqual({});
    expect(revealed.secretKeys.size).toBe(0);
  });
});

describe("offline plugins: concealProperties", () => {
  it("wraps only the named keys and drops undefined members", () => {
    const wire = concealProperties({ result: "pw", length: 16, special: undefined, keepers: null, extra: [1] }, [
      "result",
      "missing",
    ]);
    expect(wire).toEqual({ result: secretWrapper("pw"), length: 16, keepers: null, extra: [1] });
    expect(wire).not.toHaveProperty("special");
    expect(wire).not.toHaveProperty("missing");
    expect(wire.result).toEqual({ [SIG_KEY]: SECRET_SIG, value: "pw" });
  });

  it("round-trips with revealProperties", () => {
    const values = { a: "1", b: { c: [2, 3] }, d: true };
    const wire = concealProperties(values, new Set(["b"]));
    expect(wire.a).toBe("1");
    const revealed = revealProperties(wire);
    expect(revealed.values).toEqual(values);
    expect([...revealed.secretKeys]).toEqual(["b"]);
  });
});

describe("offline plugins: containsUnknown", () => {
  it("finds the unknown marker at any depth", () => {
    expect(containsUnknown(UNKNOWN)).toBe(true);
    expect(containsUnknown([1, [2, UNKNOWN]])).toBe(true);
    expect(containsUnknown({ a: { b: [{ c: UNKNOWN }] } })).toBe(true);
  });

  it("is false for known values", () => {
    expect(containsUnknown("04da6b54")).toBe(false);
    expect(containsUnknown(undefined)).toBe(false);
    expect(containsUnknown(null)).toBe(false);
    expect(containsUnknown({ a: [1, "x", { b: null }] })).toBe(false);
    expect(containsUnknown([])).toBe(false);
  });
});

describe("offline plugins: deepEqual", () => {
  it("ignores object key order", () => {
    expect(deepEqual({ a: 1, b: { c: [1, 2], d: "x" } }, { b: { d: "x", c: [1, 2] }, a: 1 })).toBe(true);
  });

  it("sees differences in values, array order, lengths and extra keys", () => {
    expect(deepEqual({ a: 1 }, { a: 2 })).toBe(false);
    expect(deepEqual([1, 2], [2, 1])).toBe(false);
    expect(deepEqual([1, 2], [1, 2, 3])).toBe(false);
    expect(deepEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(deepEqual({ a: { b: [1, { c: 1 }] } }, { a: { b: [1, { c: 2 }] } })).toBe(false);
  });

  it("does not confuse arrays, objects, null and primitives", () => {
    expect(deepEqual([], {})).toBe(false);
    expect(deepEqual(null, {})).toBe(false);
    expect(deepEqual("1", 1)).toBe(false);
    expect(deepEqual(undefined, null)).toBe(false);
    expect(deepEqual("x", "x")).toBe(true);
    expect(deepEqual([], [])).toBe(true);
  });
});
