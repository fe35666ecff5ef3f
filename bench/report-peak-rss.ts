/**
 * Preloaded by benchmarks into a child process (`node --import tsx --import ./bench/report-peak-rss.ts
 * ...`): at exit, writes the process's peak resident set size in bytes to the file named by
 * BENCH_PEAK_RSS_FILE. It adds nothing else to the process.
 */
import { writeFileSync } from "node:fs";

const file = process.env.BENCH_PEAK_RSS_FILE;
if (file) process.on("exit", () => writeFileSync(file, String(process.resourceUsage().maxRSS * 1024)));
