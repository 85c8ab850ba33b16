// getAgenciesList of a large registry alone, as `npm run bench -- hub` times it (its agenciesList case: a server
// process on a fresh folder, the first call built from the store, then the kept answer), without the rest of that
// bench. `bash scripts/dev.sh node scripts/agencies-list-measure.ts [--agencies 111000] [--calls 5]`

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agenciesList } from './bench/hub.ts';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const root = mkdtempSync(join(tmpdir(), 'vdxp-agencies-'));
try {
  console.log(JSON.stringify(await agenciesList(root, arg('--agencies', 111_000), arg('--calls', 5))));
} finally {
  rmSync(root, { recursive: true, force: true });
}
