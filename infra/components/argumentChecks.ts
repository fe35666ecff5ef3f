// The components check their own arguments before they create anything (as pulumi-awsx does), so a
// wrong value from any caller, not only from the stack's config, stops with the argument's name.

/** A whole number within [min, max], or an error naming `Component: [argument]`. */
export function checkWholeNumber(
  component: string,
  argument: string,
  value: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): void {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(
      `${component}: [${argument}] must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? " up" : ` to ${max}`}, got ${value}`,
    );
}

/** A host port to publish on 127.0.0.1: 0 (Docker picks a free one) or 1024..65535. */
export function checkHostPort(component: string, argument: string, value: number): void {
  if (!Number.isInteger(value) || !(value === 0 || (value >= 1024 && value <= 65535)))
    throw new Error(`${component}: [${argument}] must be 0 (Docker picks a free port) or a TCP port 1024..65535, got ${value}`);
}

/** A non-empty string. */
export function checkPresent(component: string, argument: string, value: string | undefined): void {
  if (!value) throw new Error(`${component}: [${argument}] is required`);
}
