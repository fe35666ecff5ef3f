import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../app/src/logger.js";
import { redact } from "../../app/src/redact.js";

// [what, input, expected, the secrets that must be gone]. Every form libpq accepts for a password
// (https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING), plus the URLs
// that no parser accepts but people still write (an unencoded / or @ or space in the password).
const CASES: [string, string, string, string[]][] = [
  ["URI userinfo", "postgres://app:s3cret@db:5432/confradar", "postgres://app:***@db:5432/confradar", ["s3cret"]],
  ["postgresql:// scheme", "postgresql://app:s3cret@db/confradar", "postgresql://app:***@db/confradar", ["s3cret"]],
  [
    "percent-encoded password",
    "postgresql://u:p%40ss%2Fw@h/db?sslmode=disable",
    "postgresql://u:***@h/db?sslmode=disable",
    ["p%40ss%2Fw"],
  ],
  ["no user, only a password", "postgres://:s3cret@db/x", "postgres://:***@db/x", ["s3cret"]],
  [
    "unencoded / in the password (no URL parser accepts it)",
    "postgres://u:Pa/ssW0rd@127.0.0.1:5432/confradar",
    "postgres://u:***@127.0.0.1:5432/confradar",
    ["Pa/ssW0rd", "ssW0rd"],
  ],
  ["unencoded @ in the password", "postgres://u:p@ss@h/db", "postgres://u:***@h/db", ["p@ss"]],
  ["unencoded ? and # in the password", "postgres://u:p?w#d@h/db", "postgres://u:***@h/db", ["p?w#d"]],
  ["a space in the password", "postgres://u:pa ss@h/db", "postgres://u:***@h/db", ["pa ss"]],
  ["an @ in the user name (user@server)", "postgres://app@srv:s3cret@h/db", "postgres://app@srv:***@h/db", ["s3cret"]],
  ["IPv6 host", "postgres://u:s3cret@[::1]:5432/db", "postgres://u:***@[::1]:5432/db", ["s3cret"]],
  ["several hosts", "postgres://u:s3cret@h1:5432,h2:5433/db", "postgres://u:***@h1:5432,h2:5433/db", ["s3cret"]],
  [
    "password= query parameter",
    "postgres://127.0.0.1:5432/confradar?user=u&password=secret",
    "postgres://127.0.0.1:5432/confradar?user=u&password=***",
    ["secret"],
  ],
  [
    "sslpassword= query parameter",
    "postgres://h/db?sslmode=require&sslpassword=keypass&application_name=x",
    "postgres://h/db?sslmode=require&sslpassword=***&application_name=x",
    ["keypass"],
  ],
  ["percent-encoded parameter name", "postgres://h/db?pass%77ord=secret", "postgres://h/db?pass%77ord=***", ["secret"]],
  ["a space in a query password", "postgres://h/db?password=pa ss&x=1", "postgres://h/db?password=***&x=1", ["pa ss"]],
  ["userinfo and a query password", "postgres://u:one@h/db?password=two", "postgres://u:***@h/db?password=***", ["one", "two"]],
  ["key=value", "host=db user=app password=hunter2 dbname=x", "host=db user=app password=*** dbname=x", ["hunter2"]],
  ["key = value with spaces", "host=db password = hunter2 port=5432", "host=db password = *** port=5432", ["hunter2"]],
  ["quoted value with spaces", "host=db password='pa ss phrase' user=app", "host=db password=*** user=app", ["pa ss", "phrase"]],
  ["quoted value with escaped quote", String.raw`password='it\'s a secret' host=x`, "password=*** host=x", ["secret"]],
  ["escaped space, unquoted", String.raw`password=sec\ ret host=x`, "password=*** host=x", ["sec", "ret"]],
  ["sslpassword=", "sslpassword=abc host=x", "sslpassword=*** host=x", ["abc"]],
  ["the environment's PGPASSWORD=", "PGPASSWORD=hunter2 psql", "PGPASSWORD=*** psql", ["hunter2"]],
  [
    "two URLs in a sentence",
    "connect to postgres://a:b1@h1/x and postgres://c:d2@h2/y",
    "connect to postgres://a:***@h1/x and postgres://c:***@h2/y",
    ["b1", "d2"],
  ],
  [
    "URLs on separate lines",
    "first postgres://a:b1@h1/x\nthen postgres://h2/y?password=d2\ndone",
    "first postgres://a:***@h1/x\nthen postgres://h2/y?password=***\ndone",
    ["b1", "d2"],
  ],
  ["any scheme", "GET https://user:tok3n@example.org/x", "GET https://user:***@example.org/x", ["tok3n"]],
];

const UNCHANGED = [
  "postgres://app@db/confradar",
  "postgres://app:@db/confradar",
  "postgres://db:5432/confradar?sslmode=disable&application_name=confradar-api",
  "pglite:memory",
  "pglite:///var/lib/confradar",
  "no url here",
  "store: embedded PGlite in /work/.pglite/confradar (served on 127.0.0.1:40000)",
  "    at load (file:///work/node_modules/@electric-sql/pglite/dist/index.js:3:12)",
  "connect ECONNREFUSED 127.0.0.1:5432",
];

describe("redact", () => {
  it.each(CASES)("%s", (_what, input, expected, secrets) => {
    const out = redact(input);
    expect(out).toBe(expected);
    for (const secret of secrets) expect(out).not.toContain(secret);
  });

  it.each(UNCHANGED)("leaves %s alone", (input) => {
    expect(redact(input)).toBe(input);
  });

  it("is idempotent: masking a masked text changes nothing", () => {
    for (const [, input] of CASES) expect(redact(redact(input))).toBe(redact(input));
  });

  it("keeps an already masked URL as it is, whatever follows it on the line", () => {
    const message = "at postgres://u:***@127.0.0.1:1/db: Invalid URL. Encode the password (@ as %40, / as %2F)";
    expect(redact(message)).toBe(message);
  });

  it("masks to the end of the text rather than guess where an unterminated value stops", () => {
    expect(redact("password='never closed host=x")).toBe("password=***");
  });
});

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join("") };
}

describe("createLogger", () => {
  it("never writes a password, whether in a field, a URL field, a message or an error", () => {
    const out = capture();
    const log = createLogger({ level: "info" }, out.stream);
    log.info({ password: "pw-field-1" }, "field");
    log.info({ db: { password: "pw-nested-2", connectionString: "postgres://u:pw-url-3@h/db" } }, "nested");
    log.info({ databaseUrl: "postgres://u:pw-url-4@h/db" }, "url field");
    log.info("message with postgres://u:pw-msg-5@h/db in it");
    log.error({ err: new Error("failed to connect to postgres://u:pw-err-6@h/db") }, "error");
    const text = out.text();
    for (const secret of ["pw-field-1", "pw-nested-2", "pw-url-3", "pw-url-4", "pw-msg-5", "pw-err-6"]) {
      expect(text).not.toContain(secret);
    }
    // Masked, not dropped: the host stays useful for debugging.
    expect(text).toContain("postgres://u:***@h/db");
    expect(text.trim().split("\n")).toHaveLength(5);
  });

  it("masks the forms the URL parser rejects, query passwords, and every string field of an error", () => {
    const out = capture();
    const log = createLogger({ level: "info" }, out.stream);
    log.info("store: PostgreSQL at postgres://u:Pa/ssW0rd@127.0.0.1:5432/confradar");
    log.info({ target: "postgres://127.0.0.1:5432/confradar?user=u&password=q-secret-7" }, "starting");
    const err = Object.assign(new Error("Invalid URL"), { input: "postgres://u:in/put-8@h/db" });
    err.cause = new Error("via postgres://u:cause-9@h/db");
    log.fatal({ err }, "could not start");
    const text = out.text();
    for (const secret of ["ssW0rd", "q-secret-7", "put-8", "cause-9"]) expect(text).not.toContain(secret);
  });
});
