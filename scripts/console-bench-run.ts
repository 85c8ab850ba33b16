// `bash scripts/dev.sh node scripts/console-bench-run.ts [--documents N]`: the console benchmark at full registry
// size with N documents (default 2,000,000), as `npm run bench console` runs it.

import { benchConsole } from './bench/console.ts';

const i = process.argv.indexOf('--documents');
const documents = i >= 0 ? Number(process.argv[i + 1]) : undefined;
if (documents !== undefined && !(Number.isSafeInteger(documents) && documents > 0)) {
  console.error('usage: scripts/console-bench-run.ts [--documents N]');
  process.exitCode = 2;
} else {
  await benchConsole({ size: 'full', ...(documents !== undefined ? { documents } : {}) });
}
