/**
 * How the stack names and labels its Docker objects: the components use it to make them, the
 * stack scripts and tests to find them again. Pure, so tests/unit/ checks it without mocks.
 */

export const PROJECT = "confradar";

/** The label that names an object's stack: `docker ... --filter label=STACK_LABEL=NAME` lists a stack's objects. */
export const STACK_LABEL = "com.confradar.stack";
/** The label that says what an object is within its stack (postgres, api, pgdata, ...). */
export const ROLE_LABEL = "com.confradar.role";

/** Docker object names carry the stack, so `dev` and `ci` can share one Docker host. */
export function dockerName(stack: string, role: string): string {
  return `${PROJECT}-${stack}-${role}`;
}

/** Labels on every Docker object we create: how tests and `db:*` scripts find a stack's things. */
export function stackLabels(stack: string, role: string): Record<string, string> {
  return { "com.confradar.project": PROJECT, [STACK_LABEL]: stack, [ROLE_LABEL]: role };
}

export function toDockerLabels(labels: Record<string, string>): { label: string; value: string }[] {
  return Object.entries(labels).map(([label, value]) => ({ label, value }));
}
