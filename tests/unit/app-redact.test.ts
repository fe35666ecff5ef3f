import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, describePostgresUrl, maskUrlPassword } from "../../app/src/logger.js";

describe("maskUrlPassword", () => {
  it.each([
    ["postgres://app:s3cret@db:5432/confradar", "postgres://app:***@db:5432/confradar"],
    ["postgresql://u:p%40ss@h/db?sslmode=disable", "postgresql://u:***@h/db?sslmode=disable"],
    ["connect to postgres://a:b@h1/x and postgres://c:d@h2/y", "connect to postgres://a:***@h1/x and postgres://c:***@h2/y"],
    ["host=db user=app password=hunter2 dbname=x", "host=db user=app password=*** dbname=x"],
    ["postgres://app@db/confradar", "postgres://app@db/confradar"],
    ["pglite:memory", "pglite:memory"],
    ["no url here", "no url here"],
  ])("%s -> %s", (input, expected) => {
    expect(maskUrlPassword(input)).toBe(expected);
  });
});

describe("describePostgresUrl", () => {
  it("gives user@host:port/db and never the password", () => {
    expect(describePostgresUrl("postgres://app:s3cret@db.internal:6543/confradar")).toBe("app@db.internal:6543/confradar");
    expect(describePostgresUrl("postgres://db/confradar")).toBe("db:5432/confradar");
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
});
