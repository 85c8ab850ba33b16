// The embedded engine's checkpointer, on a worker thread with a connection of its own: it copies committed pages
// from the write-ahead log into the database file (PRAGMA wal_checkpoint(PASSIVE)), so the writer's COMMITs on the
// event loop never do it (SQLite's automatic checkpoint runs inside the COMMIT that crosses its threshold, with
// two fsyncs: measured at ~1.1 ms of the hub's CPU per 10 KB document). PASSIVE never blocks the writer or the
// readers; SQLite syncs the log before copying and the database file after, so nothing durable becomes less so.
// Messages: 'checkpoint' (a kick after commits; kicks during a run coalesce into one more run) and 'close'.
// Plain JavaScript on purpose: a worker that loads a .ts file pays for Node's type stripper in its own isolate
// (~40 MB of RSS, measured for blob-io-worker.mjs), which would eat the hub's memory bound for large packets.

import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

/** @type {{ path: string; busyTimeoutMs: number }} */
const { path, busyTimeoutMs } = workerData;
const port = parentPort;
if (!port) throw new Error('assertion: the checkpointer runs on a worker thread');
const db = new DatabaseSync(path);
db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
let kicked = false;
let running = false;

function run() {
  running = true;
  kicked = false;
  try {
    checkpoint.get();
  } catch (e) {
    port?.postMessage({ error: String(e) });
  }
  running = false;
  // Commits that came during the run: one more, after the event loop has read the messages waiting.
  if (kicked) setImmediate(run);
}

port.on('message', (m) => {
  if (m === 'checkpoint') {
    kicked = true;
    if (!running) setImmediate(() => { if (kicked && !running) run(); });
  } else if (m === 'close') {
    db.close();
    port.close();
  }
});
