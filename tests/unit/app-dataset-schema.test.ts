import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DatasetError, formatPath, parseDataset } from "../../app/src/worker/dataset.js";

const fixture = () => JSON.parse(readFileSync(new URL("../fixtures/app-dataset.json", import.meta.url), "utf8"));

function errorOf(json: unknown): string {
  try {
    parseDataset(json, "the dataset t.json");
  } catch (err) {
    expect(err).toBeInstanceOf(DatasetError);
    return (err as Error).message;
  }
  throw new Error("expected a DatasetError");
}

describe("the dataset schema", () => {
  it("accepts the dataset's format and fills defaults", () => {
    const json = fixture();
    delete json.conferences[0].deadlines[0].timezone;
    delete json.conferences[0].deadlines[0].note;
    const d = parseDataset(json);
    expect(d.conferences).toHaveLength(3);
    expect(d.conferences[0]!.deadlines[0]).toMatchObject({ timezone: "AoE", note: null });
  });

  it("accepts the shipped data/conferences.json", () => {
    const json = JSON.parse(readFileSync(new URL("../../data/conferences.json", import.meta.url), "utf8"));
    const d = parseDataset(json);
    expect(d.conferences.length).toBeGreaterThanOrEqual(60);
  });

  it.each<[string, (j: any) => void, RegExp]>([
    [
      "a bad deadline time",
      (j) => (j.conferences[0].deadlines[1].due_at = "2099-01-17 23:59"),
      /conferences\[0\]\.deadlines\[1\]\.due_at \(FUTR 2099\): must be an ISO 8601 date-time/,
    ],
    [
      "a local time without offset",
      (j) => (j.conferences[0].deadlines[0].due_at = "2099-01-10T23:59:59"),
      /deadlines\[0\]\.due_at/,
    ],
    [
      "an unknown kind",
      (j) => (j.conferences[1].deadlines[0].kind = "poster"),
      /conferences\[1\]\.deadlines\[0\]\.kind \(PAST 2001\): must be one of "abstract"/,
    ],
    ["a year out of range", (j) => (j.conferences[0].year = 1900), /conferences\[0\]\.year \(FUTR 1900\): must be >= 1950/],
    ["a missing source", (j) => delete j.conferences[2].source, /conferences\[2\]\.source \(SHRD 2099\): is required/],
    ["a non-http website", (j) => (j.conferences[0].website = "ftp://x"), /website .*http:\/\/ or https:\/\//],
    [
      "a misspelt field",
      (j) => (j.conferences[0].deadlines[0].estimate = true),
      /deadlines\[0\]\.estimate \(FUTR 2099\): is not a known field/,
    ],
    [
      "an unknown topic",
      (j) => j.conferences[2].topics.push("robotics"),
      /conferences\[2\]\.topics\[0\].*"robotics" is not in the top-level topics list/,
    ],
    [
      "a duplicate edition",
      (j) => j.conferences.push({ ...j.conferences[0] }),
      /conferences\[3\]\.acronym.*duplicate conference FUTR 2099 \(also at conferences\[0\]\)/,
    ],
    [
      "the same edition with the acronym in another case",
      (j) => j.conferences.push({ ...j.conferences[0], acronym: "futr" }),
      /conferences\[3\]\.acronym.*duplicate conference futr 2099 \(also at conferences\[0\]\)/,
    ],
    [
      "a time zone label that contradicts the offset",
      (j) => (j.conferences[0].deadlines[0].timezone = "UTC"),
      /deadlines\[0\]\.timezone \(FUTR 2099\): UTC is UTC\+00:00, but due_at is written with the offset -12:00/,
    ],
    [
      "an unknown time zone label",
      (j) => (j.conferences[0].deadlines[0].timezone = "Mars/Olympus"),
      /deadlines\[0\]\.timezone \(FUTR 2099\): "Mars\/Olympus" is not a known time zone/,
    ],
    [
      "dates years away from the edition year",
      (j) => Object.assign(j.conferences[0], { start_date: "2105-06-01", end_date: "2105-06-05" }),
      /conferences\[0\]\.start_date \(FUTR 2099\): must be within a year of the edition year 2099 \(2098-01-01 to 2100-12-31\)/,
    ],
    [
      "a deadline in year 9999",
      (j) => (j.conferences[0].deadlines[0].due_at = "9999-01-10T23:59:59-12:00"),
      /deadlines\[0\]\.due_at \(FUTR 2099\): must fall in 2097 to 2100 \(UTC\) for a 2099 conference/,
    ],
    [
      "a NUL character",
      (j) => (j.conferences[0].city = "Lis\u0000bon"),
      /conferences\[0\]\.city \(FUTR 2099\): must not contain a NUL/,
    ],
    ["a duplicate deadline kind", (j) => (j.conferences[0].deadlines[1].kind = "abstract"), /duplicate abstract deadline/],
    ["end before start", (j) => (j.conferences[0].end_date = "2099-05-01"), /conferences\[0\]\.end_date.*on or after start_date/],
    ["a bad date", (j) => (j.conferences[0].start_date = "2099-02-30"), /start_date.*YYYY-MM-DD/],
    ["no conferences", (j) => (j.conferences = []), /conferences: must have at least 1 item/],
    ["no dataset block", (j) => delete j.dataset, /dataset: is required/],
  ])("rejects %s, naming where", (_what, mutate, expected) => {
    const json = fixture();
    mutate(json);
    const message = errorOf(json);
    expect(message).toMatch(/^the dataset t\.json is not a valid dataset \(\d+ problems?\)/);
    expect(message).toMatch(expected);
  });

  it("lists at most 20 problems and says how many more", () => {
    const json = fixture();
    for (let i = 0; i < 30; i++) json.conferences.push({ acronym: "" });
    expect(errorOf(json)).toMatch(/\.\.\. and \d+ more/);
  });

  it("formats paths like code", () => {
    expect(formatPath(["conferences", 3, "deadlines", 0, "due_at"])).toBe("conferences[3].deadlines[0].due_at");
    expect(formatPath([])).toBe("");
  });
});
