import { HttpError, httpErrors } from "@fastify/sensible";
import type { FastifySchemaValidationError } from "fastify";
import { validatorCompiler as zodValidatorCompiler } from "fastify-type-provider-zod";
import type { z } from "zod";

/**
 * An HTTP error (@fastify/sensible's) about one input field: the error body (app.ts) names it.
 * For any status; `httpErrors.notFound(...)` and the like when there is no field to name.
 */
export function fieldError(statusCode: number, message: string, field: string | undefined): HttpError {
  return httpErrors.createError(statusCode, message, { field });
}

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
export function validationError(issues: readonly Issue[], where: string): HttpError {
  const parts = issues.map((i) => ({ field: issueField(i, where), text: describeIssue(i) }));
  const message = parts.map((p) => `${p.field}: ${p.text}`).join("; ");
  return fieldError(400, message, parts[0]?.field);
}

/**
 * fastify-type-provider-zod's validator, except that a body fastify hands over as null (none was
 * sent, or a JSON null) is absent, so both are "body: is required".
 */
export const validatorCompiler: typeof zodValidatorCompiler = (route) => {
  const validate = zodValidatorCompiler(route);
  return route.httpPart === "body" ? (data: unknown) => validate(data ?? undefined) : validate;
};

/** What the API's messages call the parts of a request fastify validates. */
const PART_NAMES: Record<string, string> = { querystring: "query", params: "path" };

/**
 * fastify's schemaErrorFormatter: the route schema's zod issues as the 400 validationError makes.
 * fastify-type-provider-zod hands each issue over as { keyword: code, instancePath: "/a/0",
 * message, params: the issue's other fields }.
 */
export function schemaErrorFormatter(errors: FastifySchemaValidationError[], dataVar: string): HttpError {
  const issues = errors.map(
    (e) =>
      ({
        ...e.params,
        code: e.keyword,
        message: e.message ?? "",
        path: e.instancePath.split("/").slice(1).filter(Boolean),
      }) as unknown as Issue,
  );
  return validationError(issues, PART_NAMES[dataVar] ?? dataVar);
}
