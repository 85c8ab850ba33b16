// `bash scripts/dev.sh node scripts/console-bench-run.ts [--documents N] [--data DIR]`: the console benchmark at
// full registry size with N documents (default 2,000,000), as `npm run bench console` runs it. With `--data DIR`
// the seeded folder is kept there, and a later run with the same DIR times the queries again without seeding.

import { benchConsole } from './bench/console.ts';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] ?? '' : undefined;
};
const given = arg('--documents');
const documents = given !== undefined ? Number(given) : undefined;
const dataDir = arg('--data');
if ((documents !== undefined && !(Number.isSafeInteger(documents) && documents > 0)) || dataDir === '') {
  console.error('usage: scripts/console-bench-run.ts [--documents N] [--data DIR]');
  process.exitCode = 2;
} else {
  await benchConsole({ size: 'full', ...(documents !== undefined ? { documents } : {}), ...(dataDir !== undefined ? { dataDir } : {}) });
}
