// Runs the hub benchmark at its tiny size so it cannot rot: every figure is present, finite and of the size asked.

import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { DEFAULT_HUB_LIMITS } from '@vdxp/hub';
import { CRASH_AGENCIES } from '../../packages/hub/test-support/crash-server.ts';
import { killAllHubProcesses } from '../../packages/hub/test-support/hub-process.ts';
import { benchHub } from './hub.ts';

const TINY_PACKET_BYTES = [10 * 1024, 1024 * 1024];

after(async () => killAllHubProcesses());

it('measures the hub at the tiny size: figures present, sane and of the sizes asked', async () => {
  const lines: string[] = [];
  const r = await benchHub({ size: 'tiny', out: (l) => lines.push(l), log: () => undefined });
  const positive = (n: number, what: string): void => assert.ok(Number.isFinite(n) && n > 0, `${what} = ${n}`);

  positive(r.disk.writeMBps, 'disk MB/s');
  positive(r.disk.syncWritesPerSec, 'synced writes/s');
  assert.deepEqual(r.exchange.map((e) => [e.packetBytes, e.receive]), TINY_PACKET_BYTES.flatMap((b) => [[b, 'one-by-one'], [b, 'batch'], [b, 'stream']]), 'the three receive loops side by side');
  const [oneByOne, batch, stream] = r.exchange.filter((e) => e.packetBytes === TINY_PACKET_BYTES[0]);
  assert.ok(oneByOne && oneByOne.receiveRequestsPerDoc >= 2, `one by one: a fetch and an ack per document at least: ${JSON.stringify(oneByOne)}`);
  assert.ok(batch && batch.receiveRequestsPerDoc < 2, `batch: the 10 KB packets come in the inbox answers, acked by page: ${JSON.stringify(batch)}`);
  assert.ok(stream && stream.receiveRequestsPerDoc < 2, `stream: the 10 KB packets come in the stream's lines, acked in batches: ${JSON.stringify(stream)}`);
  assert.ok(lines.some((l) => l.includes('stream receive')), 'the stream beside one by one in the table');
  for (const e of r.exchange) {
    for (const k of ['docsPerSec', 'MBps', 'submitP50Ms', 'submitP99Ms', 'fetchP50Ms', 'fetchP99Ms', 'serverPeakRssMB', 'serverCpuMsPerDoc'] as const) positive(e[k], `${e.packetBytes} ${k}`);
    assert.ok(e.submitP50Ms <= e.submitP99Ms && e.fetchP50Ms <= e.fetchP99Ms, JSON.stringify(e));
    assert.equal(e.fetchRetries, 0, 'no fetch had to be made again');
    assert.ok(Math.abs(e.MBps - (e.documents * e.packetBytes) / e.seconds / 1e6) <= Math.max(0.2, e.MBps * 0.01), `MB/s is documents × size / seconds: ${JSON.stringify(e)}`);
  }
  assert.deepEqual(r.phases.map((p) => p.packetBytes), TINY_PACKET_BYTES);
  for (const p of r.phases) {
    // parseAndValidateMs is the total less the timed phases, so they add up by construction; what can fail is
    // the timers overlapping (a phase counted twice, or nested in another): then that remainder is not positive.
    positive(p.parseAndValidateMs, 'parse and validate ms (the total less the timed phases)');
    for (const k of ['stagingWriteMs', 'storeReadsMs', 'transactionSqlMs', 'blobRenameMs'] as const) assert.ok(p[k] >= 0, `${k} = ${p[k]}`);
    assert.equal(p.keptInline, p.packetBytes <= DEFAULT_HUB_LIMITS.inlinePacketBytesMax, `kept where its size says: ${JSON.stringify(p)}`);
    if (!p.keptInline) positive(p.stagingFsyncMs, 'staging fsync ms');
    positive(p.transactionCommitMs, 'commit ms');
  }
  assert.equal(r.wake.samples, 20);
  for (const k of ['wakeP50Ms', 'wakeP99Ms', 'wakeMaxMs'] as const) positive(r.wake[k], `wake ${k}`);
  assert.ok(r.wake.wakeP50Ms <= r.wake.wakeP99Ms && r.wake.wakeP99Ms <= r.wake.wakeMaxMs, JSON.stringify(r.wake));
  assert.equal(r.agencies.agencies, 2_000 + CRASH_AGENCIES.length, 'every agency answered, the server\'s own five too');
  for (const k of ['answerBytes', 'serverFirstMs', 'serverP50Ms', 'serverMaxMs', 'endToEndP50Ms', 'endToEndMaxMs'] as const) positive(r.agencies[k], `agencies ${k}`);
  assert.ok(r.agencies.answerBytes > r.agencies.agencies * 50, `an answer of whole rows: ${JSON.stringify(r.agencies)}`);
  // One packet of a 3 MiB attachment streamed in and out (the full size streams 375 MiB).
  assert.ok(r.ingest && r.ingest.packetBytes > 4 * 1024 * 1024, `a packet of the 3 MiB attachment: ${JSON.stringify(r.ingest)}`);
  for (const k of ['seconds', 'ingestMBps', 'fetchSeconds', 'fetchMBps', 'serverPeakRssMB'] as const) positive(r.ingest[k], `ingest ${k}`);
  // CPU in 10 ms ticks: a small packet's may round to none, never below.
  for (const k of ['ingestServerCpuMsPerMB', 'fetchServerCpuMsPerMB'] as const) assert.ok(Number.isFinite(r.ingest[k]) && r.ingest[k] >= 0, `ingest ${k} = ${r.ingest[k]}`);
  assert.ok(lines.some((l) => /packet: ingest .* the disk, server CPU .* ms\/MB\), fetch /.test(l)), 'the ingest line says its ratio to the disk and its CPU');
  // The in-process split: the parser alone, the staging alone and the whole submit, each of the same packet.
  assert.ok(r.ingestSplit.packetBytes > 2 * 1024 * 1024, `a packet of the 2 MiB attachment: ${r.ingestSplit.packetBytes}`);
  for (const k of ['parse', 'staging', 'submit'] as const) {
    for (const f of ['seconds', 'MBps'] as const) positive(r.ingestSplit[k][f], `split ${k} ${f}`);
    // CPU is counted in 10 ms ticks: a short pass may take none on the main thread, never less than none.
    assert.ok(r.ingestSplit[k].mainCpuSeconds >= 0 && r.ingestSplit[k].cpuSeconds >= r.ingestSplit[k].mainCpuSeconds - 0.011, JSON.stringify(r.ingestSplit[k]));
  }
  assert.ok(lines.some((l) => l.includes('packet in-process: parse alone')), 'the split is in the table');
  assert.ok(!Array.isArray(r.rabbitmq), 'tiny never runs RabbitMQ');
  const json = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { case: string });
  assert.deepEqual(json.map((j) => j.case), ['disk', ...Array.from({ length: 6 }, () => 'hub-exchange'), 'hub-submit-phases', 'hub-submit-phases', 'hub-ingest', 'hub-ingest-split', 'hub-wake', 'vdxp-agencies-list']);
  assert.ok(lines.some((l) => l.startsWith('long-poll wake after a commit')) && lines.some((l) => l.startsWith('getAgenciesList of')), 'both in the table');
  assert.ok(lines.some((l) => l.includes('hub docs/s')), 'the readable table is printed');
});

it('measures the exchange on two PostgreSQL nodes beside SQLite at the tiny size', async () => {
  const lines: string[] = [];
  const r = await benchHub({ size: 'tiny', postgresNodes: 2, out: (l) => lines.push(l), log: () => undefined });
  assert.deepEqual(r.exchange.map((e) => [e.engine, e.nodes, e.packetBytes, e.receive]), TINY_PACKET_BYTES.flatMap((b) => [
    ['sqlite', 1, b, 'one-by-one'], ['sqlite', 1, b, 'batch'], ['sqlite', 1, b, 'stream'], ['postgres', 2, b, 'one-by-one'], ['postgres', 2, b, 'batch'], ['postgres', 2, b, 'stream'],
  ]));
  for (const e of r.exchange) {
    for (const k of ['docsPerSec', 'MBps', 'submitP50Ms', 'submitP99Ms', 'fetchP50Ms', 'fetchP99Ms', 'serverPeakRssMB'] as const) {
      assert.ok(Number.isFinite(e[k]) && e[k] > 0, `${e.engine} ${e.packetBytes} ${k} = ${e[k]}`);
    }
  }
  assert.ok(lines.some((l) => l.includes('postgres×2')), 'side by side in the table');
});
