// Việt Nam's civil time, the one definition every package uses: edXML timestamps, the hub's days and deadlines.

/** Việt Nam keeps UTC+7 all year (no daylight saving), whatever zone the machine is set to. */
export const VN_UTC_OFFSET_MS = 7 * 3600 * 1000;

/** `yyyy/MM/dd HH:mm:ss` in Việt Nam, edXML's Timestamp form (TraceHeader, status Timestamp). */
export function edxmlTimestamp(t: number): string {
  const iso = new Date(t + VN_UTC_OFFSET_MS).toISOString();
  return `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)} ${iso.slice(11, 19)}`;
}
