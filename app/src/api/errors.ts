import type { z } from "zod";

/** An error with an HTTP status and, for 400s, the input field it is about. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export const notFound = (what: string) => new HttpError(404, `${what} not found`);

const FORMAT_TEXT: Record<string, string> = {
  date: "must be a date in the form YYYY-MM-DD",
  datetime: "must be an ISO 8601 date-time with an offset, e.g. 2026-05-11T23:59:59-12:00",
  url: "must be an http:// or https:// URL",
};

type Issue = z.core.$ZodIssue;

/** One readable sentence for a zod issue, without the field name. */
export function describeIssue(issue: Issue): string {
  switch (issue.code) {
    case "invalid_type": {
      // zod leaves `input` out of issues unless asked; its message ends with what it received.
      const received = /received (\w+)$/.exec(issue.message)?.[1];
      if (received === "undefined") return "is required";
      return `must be ${article(issue.expected)}${received ? `, not ${article(received)}` : ""}`;
    }
    case "too_small": {
      const min = Number(issue.minimum);
      if (issue.origin === "string") return min <= 1 ? "must not be empty" : `must be at least ${min} characters`;
      if (issue.origin === "array") return `must have at least ${min} item${min === 1 ? "" : "s"}`;
      return `must be ${issue.inclusive ? ">=" : ">"} ${min}`;
    }
    case "too_big": {
      const max = Number(issue.maximum);
      if (issue.origin === "string") return `must be at most ${max} characters`;
      if (issue.origin === "array") return `must have at most ${max} items`;
      return `must be ${issue.inclusive ? "<=" : "<"} ${max}`;
    }
    case "invalid_format":
      // zod's own text for a pattern quotes the regular expression: say it plainly instead (a
      // schema with its own message, like `slug`, keeps it).
      if (issue.format === "regex" && issue.message.startsWith("Invalid string")) return "is not in the expected format";
      return FORMAT_TEXT[issue.format] ?? issue.message;
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "unrecognized_keys":
      return "is not a known field";
    default:
      return issue.message;
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** The field an issue is about: its path, or the unknown key, or `where` for the whole input. */
export function issueField(issue: Issue, where: string): string {
  if (issue.code === "unrecognized_keys") return issue.keys.join(", ");
  return issue.path.length > 0 ? issue.path.map(String).join(".") : where;
}

/** A 400 naming every bad field: "year: must be <= 2200; website: must be an http(s) URL". */
export function validationError(error: z.ZodError, where: string): HttpError {
  const parts = error.issues.map((i) => ({ field: issueField(i, where), text: describeIssue(i) }));
  const message = parts.map((p) => `${p.field}: ${p.text}`).join("; ");
  return new HttpError(400, message, parts[0]?.field);
}

/** Parses `input` or throws a 400 naming the field. `where` names the input (body, query, ...). */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, where: string): z.output<S> {
  const result = schema.safeParse(input ?? (where === "body" ? undefined : {}));
  if (!result.success) throw validationError(result.error, where);
  return result.data;
}
