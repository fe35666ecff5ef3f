import { describe, expect, it } from "vitest";
import { HttpError, parseInput } from "../../app/src/api/errors.js";
import { conferenceCreate, conferenceListQuery, conferencePatch, deadlineCreate } from "../../app/src/api/schemas.js";

function message400(fn: () => unknown): { message: string; field?: string } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).statusCode).toBe(400);
    return { message: (err as HttpError).message, field: (err as HttpError).field };
  }
  throw new Error("expected a 400");
}

describe("API input validation", () => {
  it("names the field and says what is allowed", () => {
    expect(message400(() => parseInput(conferenceCreate, { name: "x", year: 2026 }, "body"))).toEqual({
      message: "acronym: is required",
      field: "acronym",
    });
    expect(message400(() => parseInput(conferenceCreate, { acronym: " ", name: "x", year: 2026 }, "body")).message).toBe(
      "acronym: must not be empty",
    );
    expect(message400(() => parseInput(conferenceCreate, { acronym: "A", name: "x", year: "2026" }, "body")).message).toBe(
      "year: must be a number, not a string",
    );
    expect(
      message400(() => parseInput(conferenceCreate, { acronym: "A", name: "x", year: 2026, format: "zoom" }, "body")).message,
    ).toBe('format: must be one of "in_person", "online", "hybrid"');
    expect(message400(() => parseInput(conferenceCreate, { acronym: "A", name: "x", year: 2026, colour: 1 }, "body"))).toEqual({
      message: "colour: is not a known field",
      field: "colour",
    });
    expect(message400(() => parseInput(conferenceCreate, undefined, "body")).message).toBe("body: is required");
  });

  it("checks end_date against start_date when both are given", () => {
    expect(
      message400(() =>
        parseInput(
          conferenceCreate,
          { acronym: "A", name: "x", year: 2026, start_date: "2026-05-02", end_date: "2026-05-01" },
          "body",
        ),
      ).message,
    ).toBe("end_date: must be on or after start_date");
  });

  it("rejects an empty PATCH", () => {
    expect(message400(() => parseInput(conferencePatch, {}, "body")).message).toBe(
      "body: must contain at least one field to change",
    );
  });

  it("requires deadlines with an explicit offset", () => {
    expect(message400(() => parseInput(deadlineCreate, { kind: "paper", due_at: "2026-05-01T10:00:00" }, "body")).message).toBe(
      "due_at: must be an ISO 8601 date-time with an offset, e.g. 2026-05-11T23:59:59-12:00",
    );
    expect(parseInput(deadlineCreate, { kind: "paper", due_at: "2026-05-01T10:00:00Z" }, "body").kind).toBe("paper");
  });

  it("parses query strings with defaults and bounds", () => {
    expect(parseInput(conferenceListQuery, {}, "query")).toEqual({ limit: 20, offset: 0 });
    expect(parseInput(conferenceListQuery, { limit: "100", offset: "5", year: "2026" }, "query")).toMatchObject({
      limit: 100,
      offset: 5,
      year: 2026,
    });
    expect(message400(() => parseInput(conferenceListQuery, { limit: "101" }, "query")).message).toBe("limit: must be <= 100");
    expect(message400(() => parseInput(conferenceListQuery, { limit: "ten" }, "query")).message).toBe(
      "limit: must be an integer",
    );
    expect(message400(() => parseInput(conferenceListQuery, { topic: "Machine Learning" }, "query")).message).toMatch(
      /^topic: must be a slug/,
    );
  });
});
