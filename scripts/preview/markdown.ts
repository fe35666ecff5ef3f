/**
 * The pull request comment: a headline a reviewer reads first, the pending migrations, the
 * resources and outputs that change, and the full `pulumi preview --diff` in a collapsible section
 * cut to keep the whole comment under GitHub's limit (pulumi/actions#482). Pure.
 */
import type { ChangedResource, MigrationChanges, OutputChange, PreviewChanges, ResourceChange } from "./changes.js";
import { isSecretValue, UNKNOWN_VALUE } from "./changes.js";

/** Marks the comment, so a later run of the workflow edits it instead of adding another. */
export const COMMENT_MARKER = "<!-- confradar-pr-preview -->";

/** GitHub refuses a comment body over 65,536 characters; the summary keeps a margin under it. */
export const COMMENT_LIMIT = 65_536;
const MARGIN = 512;

export interface CommitLabel {
  sha: string;
  /** As given (a branch, HEAD, a sha). */
  label: string;
}

export interface SummaryInput {
  base: CommitLabel;
  head: CommitLabel;
  changes: PreviewChanges;
  migrations: MigrationChanges;
  /** The text of `pulumi preview --diff` (no colours). */
  diffText: string;
  /** One line on how it ran (plugins, images), shown small under the headline. */
  ranWith?: string;
}

const VERBS: Record<ResourceChange, string> = { create: "creates", update: "updates", replace: "replaces", delete: "deletes" };
const ORDER: ResourceChange[] = ["replace", "delete", "create", "update"];
const ROLE_TYPE = "postgresql:index/role:Role";

const code = (text: string) => `\`${text.replace(/`/g, "'")}\``;
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const shortType = (type: string) => type.split(":").pop() ?? type;
const list = (names: string[]) => names.map(code).join(", ");

function value(v: unknown): string {
  if (v === undefined) return "—";
  if (v === UNKNOWN_VALUE) return "_known after `up`_";
  if (isSecretValue(v)) return "_secret_";
  const text = typeof v === "string" ? v : JSON.stringify(v);
  return code(text.length > 120 ? `${text.slice(0, 117)}...` : text);
}

function hasChanges(input: SummaryInput): boolean {
  const m = input.migrations;
  return (
    input.changes.resources.length > 0 ||
    input.changes.outputs.length > 0 ||
    m.added.length + m.removed.length + m.edited.length > 0 ||
    (input.changes.stepPending?.length ?? 0) > 0
  );
}

/** One sentence: migrations, then resources by kind of change, then roles and outputs. */
export function headline(input: SummaryInput): string {
  if (input.changes.errors.length > 0) return "The preview of this pull request failed: see the errors below.";
  if (!hasChanges(input))
    return "This pull request changes nothing in the stack: no resource to create, update, replace or delete, no pending migration, no output that changes.";
  const parts: string[] = [];
  const added = input.migrations.added;
  parts.push(added.length > 0 ? `adds ${plural(added.length, "migration")} (${list(added)})` : "adds no migration");
  for (const change of ORDER) {
    // By name: the engine's events arrive in whatever order the steps finish.
    const names = input.changes.resources
      .filter((r) => r.change === change)
      .map((r) => r.name)
      .sort();
    if (names.length > 0) parts.push(`${VERBS[change]} ${list(names)}`);
  }
  const roles = input.changes.resources.filter((r) => r.type === ROLE_TYPE);
  if (roles.length === 0) parts.push("changes no role");
  if (input.changes.outputs.length > 0)
    parts.push(
      `changes the ${input.changes.outputs.length === 1 ? "output" : "outputs"} ${list(input.changes.outputs.map((o) => o.name))}`,
    );
  const sentence = parts.length > 1 ? `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}` : parts[0]!;
  return `This pull request ${sentence}.`;
}

function migrationSection(input: SummaryInput): string[] {
  const m = input.migrations;
  const lines = ["### Pending migrations", ""];
  if (m.added.length === 0) lines.push("None: the head has no migration that main has not applied.");
  for (const name of m.added)
    lines.push(
      `- ${code(name)}${m.outOfOrder.includes(name) ? " ⚠️ sorts before main's last migration: `up` refuses it (order check); rename it with a later timestamp" : ""}`,
    );
  const stepPending = input.changes.stepPending;
  if (stepPending && (stepPending.length !== m.added.length || stepPending.some((name, i) => name !== m.added[i])))
    lines.push("", `The migration step of the preview lists ${stepPending.length ? list(stepPending) : "none"} as pending.`);
  if (m.edited.length > 0)
    lines.push(
      "",
      `⚠️ Edited after main applied them: ${list(m.edited)}. Each migration runs once, so \`up\` will not run the edit; add a new migration instead.`,
    );
  if (m.removed.length > 0)
    lines.push("", `⚠️ Removed from the head: ${list(m.removed)}. They stay applied where main ran; \`up\` does not undo them.`);
  return lines;
}

function resourceRow(r: ChangedResource): string {
  const why =
    r.change === "replace"
      ? r.properties.length > 0
        ? `forced by ${list(r.properties)}`
        : "forced by a change the provider did not name"
      : r.change === "update" && r.properties.length > 0
        ? list(r.properties)
        : "";
  return `| ${r.change} | ${code(r.name)} | ${cell(shortType(r.type))} | ${cell(why)} |`;
}

function resourceSection(resources: ChangedResource[]): string[] {
  const lines = ["### Resources", ""];
  if (resources.length === 0) return [...lines, "None to create, update, replace or delete."];
  const sorted = [...resources].sort((a, b) => ORDER.indexOf(a.change) - ORDER.indexOf(b.change) || a.name.localeCompare(b.name));
  return [...lines, "| change | resource | type | property |", "|---|---|---|---|", ...sorted.map(resourceRow)];
}

function outputSection(outputs: OutputChange[]): string[] {
  const lines = ["### Outputs", ""];
  if (outputs.length === 0) return [...lines, "None change."];
  return [
    ...lines,
    "| output | change | before | after |",
    "|---|---|---|---|",
    ...outputs.map((o) => `| ${code(o.name)} | ${o.change} | ${cell(value(o.before))} | ${cell(value(o.after))} |`),
  ];
}

/** A code fence longer than any run of backticks in the text, so the text cannot close it. */
function fenceFor(text: string): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  return "`".repeat(longest + 1);
}

/** The full diff in a <details>, cut at a line so the comment stays within `room` characters. */
export function diffSection(diffText: string, room: number): string {
  const text = diffText.trimEnd();
  const fence = fenceFor(text);
  const open = `<details><summary>Full diff (<code>pulumi preview --diff</code>)</summary>\n\n${fence}diff\n`;
  const close = `\n${fence}\n\n</details>`;
  const whole = `${open}${text}${close}`;
  if (whole.length <= room) return whole;
  const note = (cut: number) =>
    `\n\n_Cut here: ${cut.toLocaleString("en-US")} more characters, over GitHub's comment limit. The job's log has the whole diff._`;
  const budget = room - open.length - close.length - note(text.length).length;
  if (budget <= 0) return `<details><summary>Full diff</summary>\n\nToo long for a comment: the job's log has it.\n\n</details>`;
  let kept = text.slice(0, budget);
  const lastLine = kept.lastIndexOf("\n");
  if (lastLine > 0) kept = kept.slice(0, lastLine);
  return `${open}${kept}\n${fence}${note(text.length - kept.length)}\n\n</details>`;
}

function header(base: CommitLabel, head: CommitLabel, sentence: string, ranWith?: string): string[] {
  const ran = ranWith === undefined ? "" : ` ${ranWith}`;
  return [
    COMMENT_MARKER,
    "## Stack preview",
    "",
    `**${sentence}**`,
    "",
    `<sub>Head ${code(head.label)} (${head.sha.slice(0, 12)}) against a throwaway copy of the ci stack brought up for real from base ${code(base.label)} (${base.sha.slice(0, 12)}), then destroyed.${ran}</sub>`,
    "",
  ];
}

function fenced(text: string): string[] {
  const fence = fenceFor(text);
  return [fence, text, fence];
}

/** Never over `limit`: a body that is too long even without the diff is cut, and says so. */
function withinLimit(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const note = "\n\n_Cut at GitHub's comment limit: the job's log has the rest._\n";
  return `${text.slice(0, limit - note.length)}${note}`;
}

/** The comment body, never longer than `limit` characters (GitHub's by default). */
export function renderSummary(input: SummaryInput, limit = COMMENT_LIMIT): string {
  const errors =
    input.changes.errors.length > 0
      ? ["### Errors", "", ...fenced(input.changes.errors.map((e) => e.slice(0, 2000)).join("\n")), ""]
      : [];
  const body = [
    ...header(input.base, input.head, headline(input), input.ranWith),
    ...errors,
    ...migrationSection(input),
    "",
    ...resourceSection(input.changes.resources),
    "",
    ...outputSection(input.changes.outputs),
    "",
  ].join("\n");
  const room = limit - MARGIN - body.length;
  return withinLimit(`${body}${diffSection(input.diffText, room)}\n`, limit);
}

/** The comment when the preview could not run (the base's `up` failed, a commit is missing...). */
export function renderFailure(input: { base: CommitLabel; head: CommitLabel; reason: string }, limit = COMMENT_LIMIT): string {
  const body = [
    ...header(input.base, input.head, "The preview of this pull request could not run: the job's log has the details."),
    ...fenced(input.reason.slice(0, 4000)),
    "",
  ].join("\n");
  return withinLimit(body, limit);
}
