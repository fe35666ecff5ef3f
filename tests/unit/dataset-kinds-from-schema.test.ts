import { readFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { defaultDatasetPath, validateDataset } from "../../data/validate.js";

// The deadline kinds of the app's schema, with one more for this file alone: data/validate.ts has
// no list of its own, so it must accept the new kind and name it in its message unchanged.
vi.mock("../../app/src/api/schemas.js", async (importOriginal) => {
  const schemas = await importOriginal<typeof import("../../app/src/api/schemas.js")>();
  const kinds = [...schemas.DEADLINE_KINDS, "poster"] as const;
  return { ...schemas, DEADLINE_KINDS: kinds, deadlineFields: { ...schemas.deadlineFields, kind: z.enum(kinds) } };
});

const shipped = JSON.parse(readFileSync(defaultDatasetPath, "utf8"));

function withFirstDeadlineKind(kind: string): [string, unknown] {
  const ds = structuredClone(shipped);
  const i = ds.conferences.findIndex((c: any) => c.deadlines.length > 0);
  const c = ds.conferences[i];
  c.deadlines[0].kind = kind;
  return [`conferences[${i}] (${c.acronym} ${c.year}).deadlines[0].kind`, ds];
}

describe("a deadline kind added to the app's schema", () => {
  it("is accepted by the dataset guard", () => {
    const [, ds] = withFirstDeadlineKind("poster");
    expect(validateDataset(ds)).toEqual([]);
  });

  it("is listed in the guard's message for a kind the schema does not know", () => {
    const [where, ds] = withFirstDeadlineKind("registration");
    expect(validateDataset(ds)).toContain(
      `${where}: must be one of "abstract", "paper", "supplementary", "rebuttal", "notification", "camera_ready", "poster"`,
    );
  });
});
