/**
 * Password masking for every place a database URL or connection string is shown: log lines and
 * their fields, error messages, the config error, the start-up line, the migration CLI. One
 * function, `redact`, so that each form libpq accepts is masked everywhere, not only the one a
 * given call site happened to expect (issue 17: a `?password=` query parameter and a password with
 * an unencoded "/" both went through).
 */

export const MASK = "***";

// Where a URI starts. Any scheme: a dataset's https://user:token@host URL is a secret too.
const SCHEME = /\b[a-z][a-z0-9+.-]*:\/\//gi;

// Names whose value is secret: libpq's password and sslpassword, and PGPASSWORD / PGSSLPASSWORD
// as they appear in a shell line or an environment dump.
const SECRET_NAME = /^(?:pg)?(?:ssl)?password$/i;

// URI query parameters: ?name=value&... A value runs to the next "&": libpq takes spaces in it.
const QUERY_PARAM = /([?&])([^=&]*)=([^&]*)/g;

// libpq key=value strings: `password = 'it\'s secret'`, `password=pa\ ss`. Not after "?" or "&"
// (query parameters, above) nor inside a longer word. An unterminated quote masks to the end.
const KEY_VALUE = /(?<![\w?&%.-])((?:pg)?(?:ssl)?password)(\s*=\s*)('(?:\\[\s\S]|[^'\\])*(?:'|$)|(?:\\[\s\S]|[^\s\\])+)/gi;

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/**
 * Masks the userinfo password and the secret query parameters of one URI. `rest` is what follows
 * "scheme://" up to the next URI, a line break or the end of the text.
 *
 * The userinfo ends at the LAST "@", not at the first "/" as a URL parser has it: a password with
 * an unencoded "/", "?", "#", "@" or space is no valid URL, yet people write it, and everything up
 * to the last "@" is what a reader would take for the password. So in free text an "@" further on
 * the same line can make this mask more than the password (unless the URL is already masked); it
 * never masks less. So mask a URL on its own before putting it into a message.
 */
function redactUri(rest: string): string {
  let out = rest;
  let queryFrom = 0;
  const colon = rest.indexOf(":");
  // Already masked: the "@" after *** ends it, whatever text follows (a message quoting a masked
  // URL stays as it is when it is masked again).
  const at = colon >= 0 && rest.startsWith(`${MASK}@`, colon + 1) ? colon + 1 + MASK.length : rest.lastIndexOf("@");
  // "scheme:///path" has no authority; a "user" with "/", "?", "#" or a space is a path or prose.
  if (!rest.startsWith("/") && colon >= 0 && colon < at && !/[\s/?#]/.test(rest.slice(0, colon))) {
    const password = rest.slice(colon + 1, at);
    const masked = password === "" ? "" : MASK;
    out = `${rest.slice(0, colon + 1)}${masked}${rest.slice(at)}`;
    queryFrom = colon + 1 + masked.length + 1;
  }
  const query = out.indexOf("?", queryFrom);
  if (query < 0) return out;
  return (
    out.slice(0, query) +
    out
      .slice(query)
      .replace(QUERY_PARAM, (whole, sep: string, name: string, value: string) =>
        SECRET_NAME.test(decodeName(name)) && value !== "" ? `${sep}${name}=${MASK}` : whole,
      )
  );
}

/**
 * `text` with every password in it replaced by ***: in URIs (userinfo, and `password=` /
 * `sslpassword=` query parameters, names percent-encoded or not) and in libpq key=value strings
 * (quoted or not, with escapes). Safe on anything: pg error texts, stack traces, a whole log line,
 * a URL that no parser accepts. Idempotent. The rest is kept, so host, port and database stay
 * readable for debugging.
 */
export function redact(text: string): string {
  let out = "";
  let from = 0;
  const starts = [...text.matchAll(SCHEME)];
  starts.forEach((match, i) => {
    const begin = match.index + match[0].length;
    if (begin < from) return; // inside the previous URI's span
    const nextUri = starts[i + 1]?.index ?? text.length;
    const lineEnd = text.indexOf("\n", begin);
    const end = Math.min(nextUri, lineEnd < 0 ? text.length : lineEnd);
    out += text.slice(from, begin) + redactUri(text.slice(begin, end));
    from = end;
  });
  out += text.slice(from);
  return out.replace(KEY_VALUE, (_m, name: string, sep: string) => `${name}${sep}${MASK}`);
}
