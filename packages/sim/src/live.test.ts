// Live simulation against a hub on a real socket: documents flow at the asked rate, every system receives,
// acks after reading and answers; the hub's own counters agree with what the simulator says it did.

import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildServer, openHub, stats } from '@vdxp/hub';
import { runLive } from './live.ts';
import { nationalRegistry } from './registry.ts';
import { seedNational } from './seed.ts';
import { ClientNativeTransport, HubRefusal, type NativeTransport } from './transport.ts';

interface Calls { inbox: number; carried: number; fetchPacket: number; ack: number; ackMany: number; acksInBatches: number }

/** The transport with its calls counted: which receive path the simulator took. */
function countingCalls(t: NativeTransport): { transport: NativeTransport; calls: Calls } {
  const calls: Calls = { inbox: 0, carried: 0, fetchPacket: 0, ack: 0, ackMany: 0, acksInBatches: 0 };
  return {
    calls,
    transport: {
      submit: (...a) => t.submit(...a),
      inbox: async (...a) => {
        calls.inbox++;
        const page = await t.inbox(...a);
        calls.carried += page.items.filter((i) => i.packet !== undefined).length;
        return page;
      },
      fetchPacket: (...a) => { calls.fetchPacket++; return t.fetchPacket(...a); },
      ack: (...a) => { calls.ack++; return t.ack(...a); },
      ackMany: (token, acks, signal) => { calls.ackMany++; calls.acksInBatches += acks.length; return t.ackMany(token, acks, signal); },
    },
  };
}

describe('runLive', () => {
  it('sends, receives, acks and answers against a hub over the native API; the hub counts what the simulator sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vdxp-sim-live-'));
    const hub = await openHub({ dataDir: dir });
    const app = buildServer(hub);
    try {
      const reg = nationalRegistry(5);
      const seeded = await seedNational(hub.ctx, reg);
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      const tokens = new Map(seeded.systemsAdded.map((c) => [c.id, c.token]));
      const { transport, calls } = countingCalls(new ClientNativeTransport(url));
      const r = await runLive({ transport, registry: reg, tokens, seed: 5, ratePerSecond: 10, durationMs: 2000, speed: 200_000, drainMs: 3000 });
      // The machine may be loaded: the rate reached is the benchmark's to report, not this test's to demand.
      assert.ok(r.sent >= 5, `sent ${r.sent}`);
      assert.ok(r.deliveries >= r.sent);
      assert.ok(r.fetched > 0 && r.statusesSent > 0 && r.statusesReceived > 0, JSON.stringify(r));
      assert.ok(r.downSystem !== null);
      assert.equal(r.behaviours.prompt + r.behaviours.late + r.behaviours.sitter, reg.systems.length);
      const counted = await stats(hub.ctx, {});
      const sentByHub = counted.rows.reduce((n, row) => n + row.totals.sent, 0);
      assert.equal(sentByHub, r.sent, 'the hub counted every document the simulator says it sent');
      // The fast receive path: the simulated packets (a few KB) come in the inbox answer and are acked a page at a
      // time; none is fetched or acked alone, and every delivery it counts was acked in a batch.
      assert.ok(calls.carried > 0 && calls.ackMany > 0, JSON.stringify(calls));
      assert.equal(calls.fetchPacket, 0, JSON.stringify(calls));
      assert.equal(calls.ack, 0, JSON.stringify(calls));
      assert.ok(calls.acksInBatches >= r.fetched + r.statusesReceived, JSON.stringify({ calls, r }));
      assert.ok(calls.ackMany < calls.acksInBatches, `several acks per call: ${JSON.stringify(calls)}`);
    } finally {
      await app.close();
      await hub.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes a packet carried in the inbox answer only when its length and digest are the item\'s', async () => {
    // A hub (here a plain HTTP server) whose answer carries one packet whole and one cut short.
    const whole = Buffer.from('<edXMLEnvelope>whole</edXMLEnvelope>');
    const cut = Buffer.from('<edXMLEnvelope>cut</edXMLEnvelope>');
    const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
    const item = (id: string, packet: Buffer, declared: Buffer) => ({
      deliveryId: id, documentId: `doc-${id}`, kind: 'edoc', from: 'A', to: 'B', addressedTo: 'B', edxmlDocumentId: null, subject: null,
      statusCode: null, answers: null, businessType: 0, bytes: declared.byteLength, digest: sha(declared), state: 'fetched', attempts: 0,
      receivedAt: new Date(0).toISOString(), packet: packet.toString('base64'),
    });
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ items: [item('d1', whole, whole), item('d2', cut.subarray(0, 10), cut)], next: '2', inlinePacketBytesMax: 65536 }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const page = await new ClientNativeTransport(`http://127.0.0.1:${(server.address() as AddressInfo).port}`).inbox('t', { inline: 65536 });
      assert.deepEqual(page.items.map((i) => [i.deliveryId, i.packet === undefined ? null : Buffer.from(i.packet).toString()]), [['d1', whole.toString()], ['d2', null]]);
      assert.equal(page.inlinePacketBytesMax, 65536);
    } finally {
      server.close();
    }
  });

  it('turns a refusal into a HubRefusal with the hub\'s code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vdxp-sim-live-'));
    const hub = await openHub({ dataDir: dir });
    const app = buildServer(hub);
    try {
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      await assert.rejects(new ClientNativeTransport(url).inbox('vdxp_not-a-token', {}), (e) => e instanceof HubRefusal && e.code === 'VDXP_E_AUTH_INVALID' && e.status === 401);
    } finally {
      await app.close();
      await hub.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
