/** Password masking shared by the logger, the config errors and the db start-up messages. */

export const MASK = "***";

// scheme://user:password@host — the password part ends at the last "@" before the host.
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@]*):([^\s/]*)@/gi;
// key=value pairs in libpq-style strings and query strings: password=..., sslpassword=...
const PASSWORD_PAIR = /\b((?:ssl)?password=)([^\s&;]+)/gi;

/**
 * Returns `url` with its password replaced by ***. Works on strings that are not valid URLs
 * too (pg error texts, libpq "key=value" strings), so it is safe to call on anything.
 */
export function maskUrlPassword(url: string): string {
  return url
    .replace(URL_CREDENTIALS, (_m, scheme: string, user: string, password: string) =>
      password === "" ? `${scheme}${user}:@` : `${scheme}${user}:${MASK}@`,
    )
    .replace(PASSWORD_PAIR, (_m, key: string) => `${key}${MASK}`);
}

/** "user@host:port/database" for a postgres URL, never the password; for messages. */
export function describePostgresUrl(url: string): string {
  try {
    const u = new URL(url);
    const user = u.username ? `${decodeURIComponent(u.username)}@` : "";
    const port = u.port || "5432";
    const database = u.pathname.replace(/^\//, "") || "(default database)";
    return `${user}${u.hostname}:${port}/${database}`;
  } catch {
    return maskUrlPassword(url);
  }
}
