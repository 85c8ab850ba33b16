// `bash scripts/dev.sh node scripts/pg-read-measure.ts [--mb 400] [--slices 0,65536,16384]`: how much memory reading
// packet rows out of PostgreSQL costs, alone (no HTTP): a throwaway cluster gets --mb of random 1 MiB rows, then a
// fresh process per slice size reads them back by binary COPY (copy-binary.ts; 0 = whole rows), 4 rows per
// statement as the hub does, and prints its peak RSS over its idle RSS and whether the bytes came back whole.

import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { copyOutBytes } from '../packages/hub/src/store/postgres/copy-binary.ts';
import { startPostgres } from '../packages/hub/test-support/postgres.ts';

const ROW_BYTES = 1024 * 1024;
const ROWS_PER_STATEMENT = 4;
const peakRssMB = (): number => Number(/^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;

async function reader(url: string, slice: number, want: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const rows = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM chunks')).rows[0]?.n ?? 0);
  const idle = peakRssMB();
  const hash = createHash('sha256');
  for (let n = 0; n < rows; n += ROWS_PER_STATEMENT) {
    const where = `n >= ${n} AND n < ${n + ROWS_PER_STATEMENT}`;
    const text = slice > 0
      ? `COPY (SELECT substring(bytes FROM s FOR ${slice}) FROM chunks, generate_series(1, octet_length(bytes), ${slice}) AS s WHERE ${where} ORDER BY n, s) TO STDOUT (FORMAT binary)`
      : `COPY (SELECT bytes FROM chunks WHERE ${where} ORDER BY n) TO STDOUT (FORMAT binary)`;
    for (const b of await copyOutBytes(pool, text)) hash.update(b);
  }
  console.log(JSON.stringify({ sliceBytes: slice, idleRssMB: Math.round(idle), peakRssMB: Math.round(peakRssMB()), whole: hash.digest('hex') === want }));
  await pool.end();
}

if (process.argv[2] === '--reader') {
  await reader(process.argv[3] ?? '', Number(process.argv[4]), process.argv[5] ?? '');
} else if (import.meta.main) {
  const { values } = parseArgs({ options: { mb: { type: 'string' }, slices: { type: 'string' } } });
  const cluster = await startPostgres();
  try {
    const url = await cluster.createDatabase('read');
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query('CREATE TABLE chunks (n integer PRIMARY KEY, bytes bytea NOT NULL)');
    await c.query('ALTER TABLE chunks ALTER COLUMN bytes SET STORAGE EXTERNAL');
    const want = createHash('sha256');
    for (let n = 0; n * ROW_BYTES < Number(values.mb ?? 400) * 1e6; n++) {
      const row = randomBytes(ROW_BYTES);
      want.update(row);
      await c.query('INSERT INTO chunks VALUES ($1, $2)', [n, row]);
    }
    await c.end();
    const digest = want.digest('hex');
    for (const slice of (values.slices ?? '0,65536,16384').split(',').map(Number)) {
      const r = spawnSync(process.execPath, [new URL(import.meta.url).pathname, '--reader', url, String(slice), digest], { encoding: 'utf8' });
      process.stdout.write(r.stdout + r.stderr);
    }
  } finally {
    await cluster.destroy();
  }
}
