// Text helpers shared by the commands' human output: aligned label columns, sizes, refusal lines.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** `1536` → `1.5 KiB (1536 B)`; exact bytes are kept because sizes are compared with other systems. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${UNITS[unit]} (${bytes} B)`;
}

/** `label: value` lines with the values aligned; rows whose value is null print as `—`. */
export function labelled(rows: readonly (readonly [string, string | null])[]): string[] {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${`${label}:`.padEnd(width + 2)}${value ?? '—'}`);
}

/** One line saying that the parser refused a packet, with the stable code (an EdxmlError or its JSON form). */
export function refusalLine(file: string, e: { code: string; path?: string | undefined; message: string }): string {
  return `${file}: bị từ chối / refused — ${e.code}${e.path === undefined ? '' : ` at ${e.path}`}: ${e.message}`;
}
