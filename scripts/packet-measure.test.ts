// The large-packet measurement at a small size: a packet streams into a real `vdxp serve --database` process
// and back out identical, with the node's peak RSS under the 256 MB (at 2 GB: run the script).

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { measurePacket } from './packet-measure.ts';

/** The bound for a 2 GB packet; a small one must stay under it too (nothing is held whole). */
const PEAK_RSS_MB_MAX = 256;

it('streams a 24 MB packet in and out of a node on PostgreSQL, identical, under 256 MB peak RSS', async (t) => {
  const r = await measurePacket({ packetBytes: 24_000_000, engine: 'postgres' });
  t.diagnostic(JSON.stringify(r));
  assert.equal(r.identical, true);
  assert.ok(r.peakRssMBAfterDownload <= PEAK_RSS_MB_MAX, JSON.stringify(r));
});

it('streams a 24 MB packet in and out of a node on a data folder (the packet I/O thread), identical, under 256 MB peak RSS', async (t) => {
  const r = await measurePacket({ packetBytes: 24_000_000, engine: 'sqlite' });
  t.diagnostic(JSON.stringify(r));
  assert.equal(r.identical, true);
  assert.ok(r.peakRssMBAfterDownload <= PEAK_RSS_MB_MAX, JSON.stringify(r));
  // Counted by the kernel in 10 ms ticks: the upload parses 24 MB on the main thread, never in no time.
  assert.ok(r.uploadCpuSeconds.main > 0 && r.uploadCpuSeconds.all >= r.uploadCpuSeconds.main, JSON.stringify(r));
});
