// The edxml benchmark at its tiny size: every case present, every figure a sane positive number, sizes checked.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { benchEdxml } from './edxml.ts';

describe('benchEdxml tiny', () => {
  it('measures every case with sane figures', async () => {
    const lines: string[] = [];
    const results = await benchEdxml({ size: 'tiny', log: (l) => lines.push(l) });

    assert.deepEqual(results.map((r) => `${r.case} ${r.op}`), [
      'header-only parse', 'header-only build', '10 kB parse', '1 MiB base64 parse', '1 MiB base64 build',
      '4 MiB base64 parse', '4 MiB base64 build', '8 MiB base64 parse',
    ]);
    for (const r of results) {
      const what = `${r.case} ${r.op}`;
      assert.ok(Number.isFinite(r.throughputMBPerSecond) && r.throughputMBPerSecond > 0, what);
      assert.ok(Number.isFinite(r.cpuThroughputMBPerSecond) && r.cpuThroughputMBPerSecond > 0, what);
      assert.ok(r.packetBytes > 0 && r.iterations > 0, what);
      assert.ok(r.rssPeakMB > 10 && r.rssPeakMB < 4096, `${what}: peak RSS ${r.rssPeakMB}`);
      assert.ok(r.rssMaxMB >= r.rssPeakMB - 1, `${what}: max RSS ${r.rssMaxMB} under the sampled peak ${r.rssPeakMB}`);
      if (r.iterations > 1) {
        assert.ok(r.latencyP50Ms !== null && r.latencyP99Ms !== null && r.latencyP50Ms > 0 && r.latencyP50Ms <= r.latencyP99Ms, what);
      } else {
        assert.equal(r.latencyP50Ms, null);
      }
    }
    // Sizes: base64 is 4/3 of the attachment, plus one header; the parser checked its decoded size against these.
    const [headerOnly, , tenKb, oneMiB, , fourMiB, , eightMiB] = results;
    assert.equal(headerOnly?.attachmentBytes, 0);
    assert.equal(tenKb?.attachmentBytes, 4700);
    assert.ok((tenKb?.packetBytes ?? 0) > 9000 && (tenKb?.packetBytes ?? 0) < 11_000, `10 kB case: ${tenKb?.packetBytes} bytes`);
    assert.ok((headerOnly?.packetBytes ?? 0) > 2000 && (headerOnly?.packetBytes ?? 0) < 8000);
    const overheads = new Set<number>();
    for (const [r, mib] of [[oneMiB, 1], [fourMiB, 4], [eightMiB, 8]] as const) {
      assert.equal(r?.attachmentBytes, (mib * 3 * 1024 * 1024) / 4);
      overheads.add((r?.packetBytes ?? 0) - mib * 1024 * 1024);
    }
    // Same header and attachment wrapper around 1, 4 and 8 MiB of base64: a constant overhead, bigger than the header.
    assert.equal(overheads.size, 1);
    assert.ok(([...overheads][0] ?? 0) > (headerOnly?.packetBytes ?? 0));

    assert.equal(lines.filter((l) => l.startsWith('{')).length, results.length);
    const first = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    assert.equal(first['bench'], 'edxml');
    assert.equal(first['size'], 'tiny');
    assert.ok(lines.some((l) => /^case\s+op\s+packet/.test(l)), 'a readable table follows');
  });
});
