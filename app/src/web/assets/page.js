// The pages' one script (served as /assets/page-HASH.js, allowed by the CSP's script-src 'self').
// The page is complete without it: the server writes each deadline's time as the call states it,
// the same moment in UTC, and "in 12 days". This script only
//   - replaces the UTC line (data-local) with the reader's own time and time zone, and
//   - turns "in 12 days" (data-due) into a countdown that moves every second.
// Plain browser JavaScript with no imports, fetches or eval, so the CSP can stay strict.
"use strict";

(function () {
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const two = (n) => String(n).padStart(2, "0");

  /** "Sat 5 Dec 2026 12:59", in the browser's time zone: the server's format, so both read alike. */
  function localWallClock(date) {
    return (
      `${WEEKDAYS[date.getDay()]} ${date.getDate()} ${MONTHS[date.getMonth()]} ${date.getFullYear()} ` +
      `${two(date.getHours())}:${two(date.getMinutes())}`
    );
  }

  /** "12d 04:31:07", "04:31:07" under a day, "passed" once it is over. Rounds down, like the server. */
  function countdown(ms) {
    if (ms < 0) return "passed";
    const s = Math.floor(ms / 1000);
    const days = Math.floor(s / 86400);
    const clock = `${two(Math.floor((s % 86400) / 3600))}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
    return days > 0 ? `${days}d ${clock}` : clock;
  }

  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "local time";

  for (const el of document.querySelectorAll("[data-local]")) {
    const at = new Date(el.getAttribute("data-local"));
    if (Number.isNaN(at.getTime())) continue;
    el.textContent = `${localWallClock(at)} your time (${zone})`;
    el.setAttribute("title", "In your browser's time zone");
  }

  // Deadlines already passed keep the server's "3 days ago"; the others count down.
  const loadedAt = Date.now();
  const counters = Array.from(document.querySelectorAll("[data-due]"), (el) => ({
    el,
    due: new Date(el.getAttribute("data-due")).getTime(),
  })).filter((c) => c.due > loadedAt);

  function tick() {
    const now = Date.now();
    for (const c of counters) {
      const text = countdown(c.due - now);
      if (c.el.textContent !== text) c.el.textContent = text;
    }
  }

  if (counters.length > 0) {
    for (const c of counters) c.el.setAttribute("title", "days, hours:minutes:seconds left");
    tick();
    setInterval(tick, 1000);
  }
})();
