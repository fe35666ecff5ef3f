import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { defaultDatasetPath, offsetForLabel, summarizeDataset, validateDataset } from "../../data/validate.js";

interface Deadline {
  kind: string;
  due_at: string;
  timezone: string;
  estimated: boolean;
  note: string | null;
}
interface Conference {
  acronym: string;
  year: number;
  start_date: string | null;
  end_date: string | null;
  dates_estimated: boolean;
  topics: string[];
  deadlines: Deadline[];
  [key: string]: unknown;
}
interface Dataset {
  dataset: { name: string; version: string };
  topics: Array<{ slug: string; name: string }>;
  conferences: Conference[];
}

const shipped: Dataset = JSON.parse(readFileSync(defaultDatasetPath, "utf8"));

/** A deep copy of the shipped dataset, so each test breaks its own. */
function copy(): Dataset {
  return structuredClone(shipped);
}

/** Index and record of the first conference matching `pred` in a copy. */
function pick(ds: Dataset, pred: (c: Conference) => boolean): [number, Conference] {
  const i = ds.conferences.findIndex(pred);
  expect(i, "the shipped dataset should contain a conference this test can break").toBeGreaterThanOrEqual(0);
  return [i, ds.conferences[i]!];
}

describe("shipped data/conferences.json", () => {
  it("has zero problems", () => {
    expect(validateDataset(shipped)).toEqual([]);
  });

  it("covers at least 70 distinct real conferences across many topics", () => {
    const acronyms = new Set(shipped.conferences.map((c) => c.acronym.toLowerCase()));
    expect(acronyms.size).toBeGreaterThanOrEqual(70);
    const usedTopics = new Set(shipped.conferences.flatMap((c) => c.topics));
    expect(usedTopics.size).toBeGreaterThanOrEqual(20);
    expect(shipped.dataset.name).toBe("confradar-cs-conferences");
  });

  it("mixes past and upcoming deadlines around 2026-11-24, and marks every projection as estimated", () => {
    const s = summarizeDataset(shipped, new Date("2026-11-24T23:59:59Z"));
    expect(s.withUpcomingDeadlines).toBeGreaterThanOrEqual(30);
    expect(s.conferences - s.withUpcomingDeadlines).toBeGreaterThanOrEqual(30);
    // Every deadline estimated from a previous cycle carries a note saying so.
    for (const c of shipped.conferences) {
      for (const d of c.deadlines) {
        if (d.estimated) expect(d.note, `${c.acronym} ${c.year} ${d.kind}`).toMatch(/estimat/i);
      }
    }
    // Some real (non-estimated) deadlines are still ahead: known calls for papers, not only projections.
    const realUpcoming = shipped.conferences.flatMap((c) =>
      c.deadlines.filter((d) => !d.estimated && Date.parse(d.due_at) > Date.parse("2026-11-24T23:59:59Z")),
    );
    expect(realUpcoming.length).toBeGreaterThan(0);
  });
});

describe("validateDataset reports broken copies with the offending field named", () => {
  it("end_date before start_date", () => {
    const ds = copy();
    const [i, c] = pick(ds, (c) => c.start_date !== null);
    c.start_date = `${c.year}-06-10`;
    c.end_date = `${c.year}-06-09`;
    const problems = validateDataset(ds);
    expect(problems).toContainEqual(
      expect.stringMatching(new RegExp(`^conferences\\[${i}\\] \\(.+\\)\\.end_date: .* is before start_date`)),
    );
  });

  it("unknown topic", () => {
    const ds = copy();
    const [i, c] = pick(ds, () => true);
    c.topics = [...c.topics, "quantum-basket-weaving"];
    const problems = validateDataset(ds);
    expect(problems).toContainEqual(
      expect.stringMatching(new RegExp(`^conferences\\[${i}\\] .*\\.topics\\[\\d+\\]: unknown topic "quantum-basket-weaving"`)),
    );
  });

  it("duplicate (acronym, year)", () => {
    const ds = copy();
    const original = ds.conferences[0]!;
    ds.conferences.push(structuredClone({ ...original, acronym: original.acronym.toUpperCase() }));
    const last = ds.conferences.length - 1;
    const problems = validateDataset(ds);
    expect(problems).toContainEqual(
      expect.stringMatching(
        new RegExp(`^conferences\\[${last}\\] .*\\.acronym: duplicate \\(acronym, year\\) — conferences\\[0\\]`),
      ),
    );
  });

  it("two deadlines of the same kind", () => {
    const ds = copy();
    const [i, c] = pick(ds, (c) => c.deadlines.some((d) => d.kind === "paper"));
    const paper = c.deadlines.find((d) => d.kind === "paper")!;
    c.deadlines.push({ ...paper });
    const j = c.deadlines.length - 1;
    const problems = validateDataset(ds);
    expect(problems).toContainEqual(
      expect.stringMatching(
        new RegExp(`^conferences\\[${i}\\] .*\\.deadlines\\[${j}\\]\\.kind: duplicate deadline kind "paper"`),
      ),
    );
  });

  it("due_at offset that does not match the timezone label", () => {
    const ds = copy();
    const [i, c] = pick(ds, (c) => c.deadlines.some((d) => d.timezone === "AoE"));
    const j = c.deadlines.findIndex((d) => d.timezone === "AoE");
    c.deadlines[j]!.due_at = c.deadlines[j]!.due_at.replace(/-12:00$/, "-08:00");
    const problems = validateDataset(ds);
    expect(problems).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^conferences\\[${i}\\] .*\\.deadlines\\[${j}\\]\\.due_at: offset -08:00 does not match timezone "AoE" \\(expected -12:00\\)`,
        ),
      ),
    );
  });

  it("due_at without an explicit offset, unknown label, bad kind, http URL and bad format", () => {
    const ds = copy();
    const c = ds.conferences[1]!;
    c.deadlines[0]!.due_at = "2026-05-06T23:59:59";
    c.deadlines[0]!.kind = "registration";
    if (c.deadlines[1]) c.deadlines[1].timezone = "PT";
    c.website = "http://example.org/";
    c.format = "virtual";
    const problems = validateDataset(ds).join("\n");
    expect(problems).toMatch(/conferences\[1\] .*\.deadlines\[0\]\.due_at: must be ISO 8601 with an explicit offset/);
    expect(problems).toMatch(/conferences\[1\] .*\.deadlines\[0\]\.kind: must be one of abstract, paper/);
    if (c.deadlines[1]) expect(problems).toMatch(/conferences\[1\] .*\.deadlines\[1\]\.timezone: unknown label "PT"/);
    expect(problems).toMatch(/conferences\[1\] .*\.website: must be a URL starting with https:\/\//);
    expect(problems).toMatch(/conferences\[1\] .*\.format: must be one of in_person, online, hybrid/);
  });

  it("an estimated deadline without a note, and a misspelt field", () => {
    const ds = copy();
    const c = ds.conferences[2]!;
    c.deadlines[0]!.estimated = true;
    c.deadlines[0]!.note = null;
    c["dates_estimate"] = true;
    const problems = validateDataset(ds).join("\n");
    expect(problems).toMatch(/conferences\[2\] .*\.deadlines\[0\]\.note: an estimated deadline needs a note/);
    expect(problems).toMatch(/conferences\[2\] .*\.dates_estimate: unknown field/);
  });

  it("rejects a topic slug that is not kebab-case and a non-object top level", () => {
    const ds = copy();
    ds.topics.push({ slug: "Machine_Learning", name: "x" });
    expect(validateDataset(ds).join("\n")).toMatch(/topics\[\d+\]\.slug: must be kebab-case/);
    expect(validateDataset([])).toEqual([expect.stringMatching(/top level: must be a JSON object/)]);
  });
});

describe("offsetForLabel", () => {
  it("maps fixed labels and parses UTC±H, and refuses ambiguous ones", () => {
    expect(offsetForLabel("AoE")).toBe("-12:00");
    expect(offsetForLabel("UTC-7")).toBe("-07:00");
    expect(offsetForLabel("UTC+5:30")).toBe("+05:30");
    expect(offsetForLabel("PDT")).toBe("-07:00");
    expect(offsetForLabel("PT")).toBeNull();
    expect(offsetForLabel("UTC+15")).toBeNull();
  });
});
