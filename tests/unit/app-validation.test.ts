import { HttpError } from "@fastify/sensible";
import type { FastifySchemaValidationError } from "fastify";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { schemaErrorFormatter, validatorCompiler } from "../../app/src/api/errors.js";
import { parseJsonBody } from "../../app/src/api/json-body.js";
import { conferenceCreate, conferenceListQuery, conferencePatch, deadlineCreate, idParams } from "../../app/src/api/schemas.js";

/** What fastify does with a route's `schema` (app.ts): the parsed input, or the 400 it answers. */
function parseInput<S extends z.ZodType>(schema: S, input: unknown, where: string): z.output<S> {
  const validate = validatorCompiler({ schema, method: "POST", url: "/", httpPart: where });
  const result = validate(input) as { error?: FastifySchemaValidationError[]; value?: z.output<S> };
  if (result.error) throw schemaErrorFormatter(result.error, where);
  return result.value!;
}

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

  it("refuses a NUL character in any text, naming the field", () => {
    expect(message400(() => parseInput(conferenceCreate, { acronym: "A", name: "a\u0000", year: 2026 }, "body"))).toEqual({
      message: "name: must not contain a NUL character (\\u0000)",
      field: "name",
    });
    expect(message400(() => parseInput(conferenceListQuery, { q: "\u0000" }, "query")).field).toBe("q");
  });

  it("says once that a number is out of range, however large", () => {
    expect(message400(() => parseInput(idParams, { id: "9223372036854775808" }, "path")).message).toBe(
      "id: must be <= 9007199254740991",
    );
    expect(message400(() => parseInput(idParams, { id: "-99999999999999999999" }, "path")).message).toBe("id: must be >= 1");
    expect(parseInput(idParams, { id: "9007199254740991" }, "path")).toEqual({ id: 9007199254740991 });
  });

  it("never shows a raw regular expression", () => {
    const schema = z.strictObject({ code: z.string().regex(/^[A-Z]{3}$/) });
    expect(message400(() => parseInput(schema, { code: "x" }, "query")).message).toBe("code: is not in the expected format");
  });
});

describe("the JSON body parser", () => {
  it("parses JSON, and an empty body is no body", () => {
    expect(parseJsonBody('{"a":[1,{"b":null}]}')).toEqual({ a: [1, { b: null }] });
    expect(parseJsonBody("  ")).toBeUndefined();
  });

  it("says where the syntax is wrong", () => {
    expect(() => parseJsonBody('{"acronym": ')).toThrow(/^body: is not valid JSON \(.+\)$/);
  });

  it.each([
    ['{"__proto__": {"admin": true}}', "__proto__"],
    ['{"a": {"__proto__": 1}}', "a.__proto__"],
    ['{"topics": [{"constructor": {"prototype": {}}}]}', "topics.0.constructor"],
  ])("names a prototype key as an unknown field: %s", (text, field) => {
    let error: unknown;
    try {
      parseJsonBody(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ statusCode: 400, message: `${field}: is not a known field`, field });
  });
});
