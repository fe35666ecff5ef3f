/** The median of a list of figures (the benchmarks here quote medians). */
export function median(values: number[]): number {
  const s = [...values].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** `--runs N` (or BENCH_RUNS), a whole number of 1 or more; `fallback` when neither is given. */
export function parseRuns(argv: string[], fallback: number): number {
  const i = argv.indexOf("--runs");
  const raw = i >= 0 ? argv[i + 1] : process.env.BENCH_RUNS;
  if (raw === undefined) return fallback;
  if (!/^[1-9]\d*$/.test(raw)) throw new Error(`--runs must be a whole number >= 1, got '${raw}'`);
  return Number(raw);
}
