import { fieldError } from "./errors.js";

/**
 * Keys that reach an object's prototype when a parsed body is merged into another object. They are
 * valid JSON, so fastify's parser answering "Body is not valid JSON" for them misled (issue 17);
 * they are not fields of ours either, so they get the unknown-field message every other stray key
 * gets.
 */
function prototypeKey(value: unknown, path: string[] = []): string | undefined {
  if (value === null || typeof value !== "object") return undefined;
  for (const [key, child] of Object.entries(value)) {
    const here = [...path, key];
    if (key === "__proto__") return here.join(".");
    if (key === "constructor" && child !== null && typeof child === "object" && "prototype" in child) return here.join(".");
    const deeper = prototypeKey(child, here);
    if (deeper) return deeper;
  }
  return undefined;
}

/**
 * The API's one body parser (application/json), in place of fastify's: the same JSON, with
 * messages that say what is wrong. A syntax error keeps JSON.parse's own description (fastify's
 * says only "not valid JSON"); a prototype key is named as an unknown field; an empty body is
 * "body: is required" from the route's schema, like no body at all.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw fieldError(400, `body: is not valid JSON (${(error as Error).message})`, "body");
  }
  // JSON.parse makes "__proto__" an own property, not the prototype; refusing it here means no
  // handler ever holds one.
  const key = prototypeKey(value);
  if (key) throw fieldError(400, `${key}: is not a known field`, key);
  return value;
}
