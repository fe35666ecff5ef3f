import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseTimezoneLabel, unknownTimezoneText } from "../../app/src/api/timezones.js";
import { datasetDeadlineFields } from "../../app/src/worker/dataset.js";
import { defaultDatasetPath, summarizeDataset, validateDataset } from "../../data/validate.js";

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
      expect.stringMatching(new RegExp(`^conferences\\[${i}\\] \\(.+\\)\\.end_date: must be on or after start_date`)),
    );
  });

  it("unknown topic", () => {
    const ds = copy();
    const [i, c] = pick(ds, () => true);
    c.topics = [...c.topics, "quantum-basket-weaving"];
    const problems = validateDataset(ds);
    expect(problems).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^conferences\\[${i}\\] .*\\.topics\\[\\d+\\]: topic "quantum-basket-weaving" is not in the top-level topics list`,
        ),
      ),
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
        new RegExp(`^conferences\\[${last}\\] .*\\.acronym: duplicate conference .* \\(also at conferences\\[0\\]\\)`),
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
      expect.stringMatching(new RegExp(`^conferences\\[${i}\\] .*\\.deadlines\\[${j}\\]\\.kind: duplicate paper deadline`)),
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
          `^conferences\\[${i}\\] .*\\.deadlines\\[${j}\\]\\.timezone: AoE is UTC-12:00, but due_at is written with the offset -08:00$`,
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
    expect(problems).toMatch(/conferences\[1\] .*\.deadlines\[0\]\.due_at: must be an ISO 8601 date-time with an offset/);
    expect(problems).toMatch(/conferences\[1\] .*\.deadlines\[0\]\.kind: must be one of "abstract", "paper"/);
    if (c.deadlines[1]) expect(problems).toMatch(/conferences\[1\] .*\.deadlines\[1\]\.timezone: "PT" is not a known time zone/);
    expect(problems).toMatch(/conferences\[1\] .*\.website: must be a URL starting with https:\/\//);
    expect(problems).toMatch(/conferences\[1\] .*\.format: must be one of "in_person", "online", "hybrid"/);
  });

  it("an estimated deadline without a note, and a misspelt field", () => {
    const ds = copy();
    const c = ds.conferences[2]!;
    c.deadlines[0]!.estimated = true;
    c.deadlines[0]!.note = null;
    c["dates_estimate"] = true;
    const problems = validateDataset(ds).join("\n");
    expect(problems).toMatch(/conferences\[2\] .*\.deadlines\[0\]\.note: an estimated deadline needs a note/);
    expect(problems).toMatch(/conferences\[2\] .*\.dates_estimate: is not a known field/);
  });

  it("rejects a topic slug that is not kebab-case and a non-object top level", () => {
    const ds = copy();
    ds.topics.push({ slug: "Machine_Learning", name: "x" });
    expect(validateDataset(ds).join("\n")).toMatch(/^topics\[\d+\]\.slug: must be a slug like machine-learning/m);
    expect(validateDataset([])).toEqual([expect.stringMatching(/^top level: must be an object, not an array$/)]);
  });
});

describe("the format rules and their words are the app schema's", () => {
  it("lists the deadline kinds of the schema's enum", () => {
    const ds = copy();
    const [i, c] = pick(ds, (c) => c.deadlines.length > 0);
    c.deadlines[0]!.kind = "registration";
    const kinds = datasetDeadlineFields.shape.kind.options.map((k) => JSON.stringify(k)).join(", ");
    expect(validateDataset(ds)).toContainEqual(
      expect.stringMatching(new RegExp(`^conferences\\[${i}\\] \\(.+\\)\\.deadlines\\[0\\]\\.kind: must be one of ${kinds}$`)),
    );
  });

  it("gives an unknown time zone label the app's own text", () => {
    const ds = copy();
    const [i, c] = pick(ds, (c) => c.deadlines.length > 0);
    c.deadlines[0]!.timezone = "PT";
    const label = `conferences[${i}] (${c.acronym} ${c.year})`;
    expect(validateDataset(ds)).toContain(`${label}.deadlines[0].timezone: ${unknownTimezoneText("PT")}`);
  });

  it("still reports another conference's duplicate when one conference does not parse", () => {
    const ds = copy();
    ds.conferences[1]!.format = "virtual";
    ds.conferences.push(structuredClone(ds.conferences[0]!));
    const problems = validateDataset(ds).join("\n");
    expect(problems).toMatch(/^conferences\[1\] .*\.format: must be one of/m);
    expect(problems).toMatch(
      new RegExp(`^conferences\\[${ds.conferences.length - 1}\\] .*\\.acronym: duplicate conference`, "m"),
    );
  });

  it("wants every field written out, not left to the schema's default", () => {
    const ds = copy();
    const [i, c] = pick(ds, (c) => c.deadlines.length > 0);
    delete c["city"];
    delete (c.deadlines[0] as Partial<Deadline>).timezone;
    const problems = validateDataset(ds);
    expect(problems).toContainEqual(
      expect.stringMatching(new RegExp(`^conferences\\[${i}\\] .*\\.city: is missing: write it out \\(null`)),
    );
    expect(problems).toContainEqual(
      expect.stringMatching(new RegExp(`^conferences\\[${i}\\] .*\\.deadlines\\[0\\]\\.timezone: is missing: write it out, `)),
    );
  });
});

describe("time zone labels (the app's, app/src/api/timezones.ts)", () => {
  const offsetsOf = (label: string) => parseTimezoneLabel(label)?.offsetsAt(new Date());

  it("maps fixed labels and parses UTC±H, and refuses ambiguous ones", () => {
    expect(offsetsOf("AoE")).toEqual([-720]);
    expect(offsetsOf("UTC-7")).toEqual([-420]);
    expect(offsetsOf("UTC+5:30")).toEqual([330]);
    expect(offsetsOf("PDT")).toEqual([-420]);
    expect(parseTimezoneLabel("PT")).toBeUndefined();
    expect(parseTimezoneLabel("UTC+15")).toBeUndefined();
  });
});
