// scripts/client-memory.ts at a small size: a packet sent and received through @vdxp/client (nodeFetch) comes
// back byte for byte, and the client's memory grows by less than half the packet (it streams both ways; Node's
// global fetch grew by about the packet's size for a streamed upload, see nodeFetch).

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runClientMemory } from './client-memory.ts';

it('streams a 64 MiB packet both ways with the client\'s memory bounded', async () => {
  const r = await runClientMemory(48);
  assert.ok(r.digestsMatch, JSON.stringify(r));
  const packetMiB = r.packetBytes / 1024 / 1024;
  assert.ok(r.clientRssPeakMiB - r.clientRssBeforeMiB < packetMiB / 2, `client RSS grew ${r.clientRssPeakMiB - r.clientRssBeforeMiB} MiB for a ${packetMiB} MiB packet: ${JSON.stringify(r)}`);
});
