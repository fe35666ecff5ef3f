/** `export NAME='value'` lines for stack outputs, for `eval "$(npm run -s outputs -- --shell --show-secrets)"`. */
export function toShellExports(outputs: Record<string, unknown>): string {
  return Object.entries(outputs)
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([key, value]) => {
      const name = `CONFRADAR_${key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}`;
      const text = typeof value === "string" ? value : JSON.stringify(value);
      return `export ${name}='${text.replace(/'/g, `'\\''`)}'`;
    })
    .join("\n");
}
