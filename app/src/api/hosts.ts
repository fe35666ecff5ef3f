/**
 * Which requests come from somewhere that may talk to this server, for the guard in app.ts.
 *
 * Host: a web page elsewhere can point its own domain at 127.0.0.1 (DNS rebinding) and then read
 * and write a local instance as if it were that page's own origin; its requests carry the page's
 * domain in Host. Answering only to known names stops that: the loopback names always (the
 * browser on this machine, the container health check on 127.0.0.1), plus ALLOWED_HOSTS.
 *
 * Origin: a page on another origin (another local server on another port, say) that sends a
 * write is refused even with a known Host. Browsers send Origin with every POST, PATCH and DELETE;
 * command-line clients send none and are not a browser's other tabs.
 */

/** Always answered, on any port. */
export const LOOPBACK_HOSTS: readonly string[] = ["127.0.0.1", "localhost", "::1"];

/** "Example.org:3000" -> "example.org", "[::1]:3000" -> "::1", "localhost." -> "localhost". */
export function hostName(header: string): string {
  const value = header.trim().toLowerCase();
  const bracketed = /^\[([^\]]*)\](?::\d*)?$/.exec(value);
  let name: string;
  if (bracketed) name = bracketed[1]!;
  else if (value.indexOf(":") !== value.lastIndexOf(":"))
    name = value; // a bare IPv6 address, no port
  else name = value.replace(/:\d*$/, "");
  return name.replace(/\.$/, "");
}

/**
 * Whether a request with this Host header may be answered. `allowed` adds names to the loopback
 * ones; "*" in it allows any (the guard off). No Host at all (HTTP/1.0) is no browser request.
 */
export function isAllowedHost(header: string | undefined, allowed: readonly string[]): boolean {
  if (header === undefined || header === "") return true;
  if (allowed.includes("*")) return true;
  const name = hostName(header);
  return LOOPBACK_HOSTS.includes(name) || allowed.some((a) => hostName(a) === name);
}

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Whether a request is a write sent by a page of another origin: an unsafe method whose Origin
 * header is not this server (same host name, and the same port when Host names one). An opaque
 * origin ("null": a sandboxed frame, a file) is another origin.
 */
export function isCrossOriginWrite(method: string, origin: string | undefined, host: string | undefined): boolean {
  if (!UNSAFE_METHODS.has(method.toUpperCase()) || origin === undefined) return false;
  if (host === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return true;
  }
  if (hostName(url.host) !== hostName(host)) return true;
  const hostPort = /^(?:\[[^\]]*\]|[^:]*):(\d+)$/.exec(host.trim())?.[1];
  if (hostPort === undefined) return false; // behind a proxy that drops the port: the name decides
  const originPort = url.port || (url.protocol === "https:" ? "443" : "80");
  return originPort !== hostPort;
}
