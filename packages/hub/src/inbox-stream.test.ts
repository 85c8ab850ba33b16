// The inbox stream over real sockets, on both store engines (GET /v1/inbox/stream): credit respected (never
// more than prefetch handed out and unacked on the wire, heartbeats meanwhile), batch and single acks give it
// back, new deliveries come as they are queued, a failed one comes round again, a large packet is an item to
// fetch, a dropped stream hands its unacked deliveries out again, the stream ends after its time, and bad
// parameters are refused before anything is handed out. Then two nodes on one PostgreSQL database: an ack
// made on the other node gives the credit back.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { verifyAudit } from './audit.ts';
import { openHub, type Hub, type HubOptions } from './hub.ts';
import { DEFAULT_HUB_LIMITS, operatorLimits } from './limits.ts';
import { addSystem, importAgencies } from './registry.ts';
import { startPostgres, type PgCluster } from '../test-support/postgres.ts';
import { AGENCIES, edoc, listen } from '../test-support/testkit.ts';

interface Json { [k: string]: unknown }
interface Item { deliveryId: string; documentId: string; bytes: number; digest: string; state: string; attempts: number; packet?: string }
interface Line { type: string; item?: Item; prefetch?: number; outstanding?: number; reason?: string; inlinePacketBytesMax?: number; heartbeatSeconds?: number }

/** A 3 KB inline cap (a 6 KB packet is an item to fetch), one heartbeat a second, credit rechecked every 200 ms. */
const LIMITS = { inboxInlinePacketBytesMax: 3_000, streamHeartbeatSeconds: 1, streamCreditRecheckMs: 200, streamPrefetchMax: 50 };
/** Far longer than any line takes on a loaded machine: a failure, not a measurement. */
const LINE_TIMEOUT_MS = 20_000;

interface Node { hub: Hub; url: string; app: FastifyInstance }

/**
 * Teardown: every stream of the tests has ended by now, but this process's own fetch pool keeps sockets to the
 * server that Node does not count as idle after a stream answer on a reused connection, and the server's close
 * would wait out their idle timer (30 s). Closed outright instead: nothing is asserted past this point.
 */
async function closeServer(app: FastifyInstance): Promise<void> {
  const closing = app.close();
  app.server.closeAllConnections();
  await closing;
}

async function seed(hub: Hub): Promise<Record<string, string>> {
  await importAgencies(hub.ctx, AGENCIES, 'test');
  return {
    gov: (await addSystem(hub.ctx, { id: 'sys.gov', agencies: ['000.00.00.G22'], secret: 'gov-secret' }, 'test')).token,
    nghean: (await addSystem(hub.ctx, { id: 'sys.nghean', agencies: ['000.00.00.H41'], secret: 'nghean-secret' }, 'test')).token,
  };
}

async function call(url: string, token: string, method: string, path: string, body?: Uint8Array | Json | unknown[]): Promise<{ status: number; json: Json; bytes: Buffer }> {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': body instanceof Uint8Array ? 'application/xml' : 'application/json' }) },
    ...(body === undefined ? {} : { body: body instanceof Uint8Array ? body : JSON.stringify(body) }),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, json: res.headers.get('content-type')?.includes('json') ? JSON.parse(bytes.toString('utf8')) as Json : {}, bytes };
}

/** An open stream: its lines one at a time, and a way to drop the connection. */
class Stream {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #abort: AbortController;
  #buffer = '';
  readonly #decoder = new TextDecoder();
  readonly contentType: string | null;

  private constructor(res: Response, abort: AbortController) {
    if (!res.body) throw new Error('no body');
    this.#reader = res.body.getReader();
    this.#abort = abort;
    this.contentType = res.headers.get('content-type');
  }

  static async open(url: string, token: string, query: string): Promise<Stream> {
    const abort = new AbortController();
    const res = await fetch(`${url}/v1/inbox/stream?${query}`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
    assert.equal(res.status, 200, await (res.status === 200 ? Promise.resolve('') : res.text()));
    return new Stream(res, abort);
  }

  /** The next line; undefined at the end of the answer. */
  async next(): Promise<Line | undefined> {
    const deadline = AbortSignal.timeout(LINE_TIMEOUT_MS);
    for (;;) {
      const nl = this.#buffer.indexOf('\n');
      if (nl >= 0) {
        const line = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        return JSON.parse(line) as Line;
      }
      const timeout = new Promise<never>((_, reject) => { deadline.addEventListener('abort', () => { reject(new Error(`no line within ${LINE_TIMEOUT_MS} ms`)); }, { once: true }); });
      const { done, value } = await Promise.race([this.#reader.read(), timeout]);
      if (done) return undefined;
      this.#buffer += this.#decoder.decode(value, { stream: true });
    }
  }

  /** The next `n` item lines (heartbeats skipped). */
  async items(n: number): Promise<Item[]> {
    const out: Item[] = [];
    while (out.length < n) {
      const line = await this.next();
      assert.ok(line, `the stream ended after ${out.length} of ${n} items`);
      if (line.type === 'item' && line.item) out.push(line.item);
      else assert.equal(line.type, 'heartbeat', JSON.stringify(line));
    }
    return out;
  }

  /** Reads until `beats` heartbeat lines came, and says what came meanwhile: no item may. */
  async quietFor(beats: number): Promise<Line[]> {
    const seen: Line[] = [];
    for (let n = 0; n < beats;) {
      const line = await this.next();
      assert.ok(line, 'the stream ended');
      if (line.type === 'heartbeat') n++;
      seen.push(line);
    }
    return seen;
  }

  drop(): void {
    void this.#reader.cancel().catch(() => {});
    this.#abort.abort();
  }
}

function suite(name: string, open: () => Promise<{ node: Node; tokens: Record<string, string>; close: () => Promise<void> }>): void {
  describe(name, () => {
    let node: Node;
    let tokens: Record<string, string>;
    let close: () => Promise<void>;
    before(async () => { ({ node, tokens, close } = await open()); });
    after(async () => close());

    const send = async (attachmentBytes: number): Promise<string> => {
      const packet = await edoc('000.00.00.G22', ['000.00.00.H41'], {}, [{ ContentId: 'cid:1', AttachmentName: 'tep.pdf', ContentType: 'application/pdf', content: Buffer.alloc(attachmentBytes, 0x42) }]);
      const r = await call(node.url, tokens['gov'] ?? '', 'POST', '/v1/documents', packet);
      assert.equal(r.status, 201, JSON.stringify(r.json));
      return (r.json['deliveries'] as { id: string }[])[0]?.id ?? '';
    };
    const ackMany = async (ids: string[], result: 'done' | 'fail' = 'done'): Promise<void> => {
      const r = await call(node.url, tokens['nghean'] ?? '', 'POST', '/v1/deliveries/ack', ids.map((deliveryId) => ({ deliveryId, result })));
      assert.equal(r.status, 200, JSON.stringify(r.json));
      for (const o of r.json['results'] as { state?: string }[]) assert.equal(o.state, result === 'done' ? 'done' : 'queued');
    };
    const ackOne = async (id: string, result: 'done' | 'fail' = 'done'): Promise<void> => {
      const r = await call(node.url, tokens['nghean'] ?? '', 'POST', `/v1/deliveries/${id}/ack`, { result });
      assert.equal(r.status, 200, JSON.stringify(r.json));
    };
    const state = async (id: string): Promise<string | undefined> => (await node.hub.ctx.store.getDelivery(id))?.state;

    it('refuses bad parameters with a code before handing anything out', async () => {
      const id = await send(500);
      for (const q of ['', 'prefetch=0', `prefetch=${LIMITS.streamPrefetchMax + 1}`, 'prefetch=x', 'prefetch=1.5']) {
        const r = await call(node.url, tokens['nghean'] ?? '', 'GET', `/v1/inbox/stream?${q}`);
        assert.equal(r.status, 400, q);
        assert.equal((r.json['error'] as Json)['code'], 'VDXP_E_STREAM_PREFETCH', q);
      }
      for (const q of ['prefetch=1&kind=fax', 'prefetch=1&seconds=-1', 'prefetch=1&inline=big']) {
        const r = await call(node.url, tokens['nghean'] ?? '', 'GET', `/v1/inbox/stream?${q}`);
        assert.equal(r.status, 400, q);
        assert.equal((r.json['error'] as Json)['code'], 'VDXP_E_BAD_REQUEST', q);
      }
      assert.equal((await call(node.url, 'vdxp_nobody', 'GET', '/v1/inbox/stream?prefetch=1')).status, 401);
      assert.equal(await state(id), 'queued', 'a refused stream handed nothing out');
      // Leave the inbox empty for the next test.
      const s = await Stream.open(node.url, tokens['nghean'] ?? '', 'prefetch=5&kind=edoc');
      assert.equal((await s.next())?.type, 'open');
      const [item] = await s.items(1);
      assert.equal(item?.deliveryId, id);
      await ackOne(id);
      s.drop();
    });

    it('never has more than prefetch unacked on the wire; batch and single acks give credit back; new and failed deliveries come on the same stream', async () => {
      const sent = [await send(500), await send(600), await send(700), await send(800), await send(900)];
      const s = await Stream.open(node.url, tokens['nghean'] ?? '', 'prefetch=2&kind=edoc');
      assert.match(s.contentType ?? '', /application\/x-ndjson/);
      const open = await s.next();
      assert.deepEqual({ type: open?.type, prefetch: open?.prefetch, inline: open?.inlinePacketBytesMax, beat: open?.heartbeatSeconds }, { type: 'open', prefetch: 2, inline: LIMITS.inboxInlinePacketBytesMax, beat: 1 });
      const first = await s.items(2);
      assert.deepEqual(first.map((i) => i.deliveryId), sent.slice(0, 2), 'oldest first');
      for (const i of first) {
        assert.equal(i.state, 'fetched', 'carried, so handed out with the line');
        assert.ok(i.packet !== undefined && Buffer.from(i.packet, 'base64').byteLength === i.bytes);
        assert.equal(await state(i.deliveryId), 'fetched');
      }
      // Credit used up: only heartbeats, saying two are outstanding, while three wait.
      const quiet = await s.quietFor(2);
      assert.deepEqual(quiet.map((l) => [l.type, l.outstanding]), [['heartbeat', 2], ['heartbeat', 2]]);
      assert.equal(await state(sent[2] ?? ''), 'queued', 'not handed out beyond the credit');

      await ackMany(first.map((i) => i.deliveryId));
      const second = await s.items(2);
      assert.deepEqual(second.map((i) => i.deliveryId), sent.slice(2, 4), 'a batch ack of two freed two');
      await ackOne(second[0]?.deliveryId ?? '');
      const third = await s.items(1);
      assert.deepEqual(third.map((i) => i.deliveryId), sent.slice(4), 'a single ack freed one');
      await ackMany([second[1]?.deliveryId ?? '', third[0]?.deliveryId ?? '']);

      // Nothing waits: a delivery queued now comes on the open stream.
      const late = await send(1000);
      const [arrived] = await s.items(1);
      assert.equal(arrived?.deliveryId, late);
      // Failed: queued again, and handed out again on the same stream.
      await ackOne(late, 'fail');
      const [again] = await s.items(1);
      assert.equal(again?.deliveryId, late);
      assert.equal(again?.attempts, 1);
      await ackOne(late);
      for (const id of [...sent, late]) assert.equal(await state(id), 'done');
      s.drop();
    });

    it('holds credit for a large packet (an item to fetch) until it is fetched and acked', async () => {
      const large = await send(6000);
      const small = await send(500);
      const s = await Stream.open(node.url, tokens['nghean'] ?? '', 'prefetch=1');
      await s.next();
      const [item] = await s.items(1);
      assert.equal(item?.deliveryId, large);
      assert.equal(item?.packet, undefined, 'above the inline cap: fetched alone');
      assert.equal(item?.state, 'queued');
      const quiet = await s.quietFor(1);
      assert.ok(quiet.every((l) => l.type === 'heartbeat'), 'the small one waits for the credit');
      const got = await call(node.url, tokens['nghean'] ?? '', 'GET', `/v1/deliveries/${large}/packet`);
      assert.equal(got.status, 200);
      assert.equal(got.bytes.byteLength, item?.bytes);
      await ackOne(large);
      const [next] = await s.items(1);
      assert.equal(next?.deliveryId, small);
      await ackOne(small);
      s.drop();
    });

    it('hands out again what a dropped stream left unacked, and nothing acked', async () => {
      const ids = [await send(500), await send(600)];
      const a = await Stream.open(node.url, tokens['nghean'] ?? '', 'prefetch=10&kind=edoc');
      await a.next();
      const gotA = await a.items(2);
      assert.deepEqual(gotA.map((i) => i.deliveryId), ids);
      await ackOne(ids[0] ?? '');
      a.drop();
      const b = await Stream.open(node.url, tokens['nghean'] ?? '', 'prefetch=10&kind=edoc');
      await b.next();
      const gotB = await b.items(1);
      assert.deepEqual(gotB.map((i) => i.deliveryId), [ids[1]], 'the unacked one again, the acked one not');
      assert.equal(gotB[0]?.packet, gotA[1]?.packet, 'the same bytes');
      const quiet = await b.quietFor(1);
      assert.ok(quiet.every((l) => l.type === 'heartbeat'));
      await ackOne(ids[1] ?? '');
      b.drop();
    });

    it('ends with an end line after its time', async () => {
      const s = await Stream.open(node.url, tokens['nghean'] ?? '', 'prefetch=3&seconds=1');
      const lines: Line[] = [];
      for (let l = await s.next(); l; l = await s.next()) lines.push(l);
      assert.equal(lines[0]?.type, 'open');
      assert.deepEqual(lines.at(-1), { type: 'end', reason: 'time' });
    });

    it('leaves the evidence chain whole', async () => {
      const audit = await verifyAudit(node.hub.ctx);
      assert.ok(audit.ok, JSON.stringify(audit));
    });
  });
}

suite('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vdxp-stream-'));
  const hub = await openHub({ dataDir: dir, limits: LIMITS });
  const tokens = await seed(hub);
  const s = await listen(hub);
  return { node: { hub, ...s }, tokens, async close() { await closeServer(s.app); await hub.close(); rmSync(dir, { recursive: true, force: true }); } };
});

let cluster: PgCluster | undefined;
let work: string | undefined;
const pgOptions = async (name: string): Promise<Partial<HubOptions>> => {
  cluster ??= await startPostgres();
  work ??= mkdtempSync(join(tmpdir(), 'vdxp-stream-pg-'));
  return { databaseUrl: await cluster.createDatabase(name), keyFile: join(work, `${name}.key`), limits: LIMITS };
};
after(async () => {
  await cluster?.destroy();
  if (work) rmSync(work, { recursive: true, force: true });
});

suite('postgres', async () => {
  const hub = await openHub(await pgOptions('stream'));
  const tokens = await seed(hub);
  const s = await listen(hub);
  return { node: { hub, ...s }, tokens, async close() { await closeServer(s.app); await hub.close(); } };
});

describe('two nodes on PostgreSQL', () => {
  it('an ack made on the other node gives the stream its credit back', async () => {
    const options = await pgOptions('stream2');
    const a = await openHub(options);
    const tokens = await seed(a);
    const b = await openHub(options);
    const sa = await listen(a);
    const sb = await listen(b);
    try {
      const ids: string[] = [];
      for (const n of [1, 2]) {
        const packet = await edoc('000.00.00.G22', ['000.00.00.H41'], { Subject: `Hai nút ${n}` });
        const r = await call(sb.url, tokens['gov'] ?? '', 'POST', '/v1/documents', packet);
        assert.equal(r.status, 201);
        ids.push((r.json['deliveries'] as { id: string }[])[0]?.id ?? '');
      }
      const s = await Stream.open(sa.url, tokens['nghean'] ?? '', 'prefetch=1');
      await s.next();
      const [first] = await s.items(1);
      assert.equal(first?.deliveryId, ids[0]);
      assert.ok((await s.quietFor(1)).every((l) => l.type === 'heartbeat'), 'credit used up');
      // Acked through node B: node A hears of it only from the database.
      const ack = await call(sb.url, tokens['nghean'] ?? '', 'POST', '/v1/deliveries/ack', [{ deliveryId: ids[0], result: 'done' }]);
      assert.equal(ack.status, 200);
      const [second] = await s.items(1);
      assert.equal(second?.deliveryId, ids[1], 'the credit came back on node A');
      // And a delivery queued through node B wakes the stream on node A once the credit allows it.
      await call(sb.url, tokens['nghean'] ?? '', 'POST', `/v1/deliveries/${ids[1]}/ack`, { result: 'done' });
      const packet = await edoc('000.00.00.G22', ['000.00.00.H41'], { Subject: 'Hai nút 3' });
      const r = await call(sb.url, tokens['gov'] ?? '', 'POST', '/v1/documents', packet);
      const [third] = await s.items(1);
      assert.equal(third?.deliveryId, (r.json['deliveries'] as { id: string }[])[0]?.id);
      s.drop();
    } finally {
      await closeServer(sa.app);
      await closeServer(sb.app);
      await a.close();
      await b.close();
    }
  });
});

describe('limits', () => {
  it('keeps the stream limits consistent', () => {
    assert.throws(() => operatorLimits({ streamHeartbeatSeconds: DEFAULT_HUB_LIMITS.httpIdleSecondsMax }), { code: 'VDXP_E_LIMIT_INVALID' }, 'heartbeats keep the idle timer quiet');
    assert.equal(operatorLimits({ streamPrefetchMax: 10 }).streamPrefetchMax, 10);
  });
});
