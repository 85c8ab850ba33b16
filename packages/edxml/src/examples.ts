// The example packets shipped with this package (packages/edxml/examples/): what `vdxp inspect` shows with no
// file, and the fixtures of the tests. Written by the project (scripts/examples/make.ts), fictional parties.

import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const EXAMPLES_DIR = new URL('../examples/', import.meta.url);

/** Absolute paths of the example packets, sorted by name. */
export function examplePacketPaths(): string[] {
  return readdirSync(EXAMPLES_DIR).filter((n) => n.endsWith('.edxml')).sort().map((n) => fileURLToPath(new URL(n, EXAMPLES_DIR)));
}
