// Lifecycle edges: shutdown does not wait for long-polls; systems registered by another code of an agency act
// for its registry code; a document fetched in the instant between its commit and its blob's move is served;
// a changed packet, file or inline, is never handed out complete.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { it } from 'node:test';
import { fetchPacket, inbox } from './delivery.ts';
import { submitPacket } from './intake.ts';
import { addSystem, importAgencies } from './registry.ts';
import { edoc, inlinePackets, listen, startTestHub } from '../test-support/testkit.ts';
import { waitFor } from '../test-support/wait-for.ts';

it('closes promptly while a client long-polls', async () => {
  const t = await startTestHub();
  const { app, url } = await listen(t.hub);
  try {
    const poll = fetch(`${url}/v1/inbox?wait=50`, { headers: { authorization: `Bearer ${t.systems['gov']?.token}` } });
    // Close only once the request is parked in a long-poll: closing before it arrives would prove nothing.
    await waitFor(() => t.hub.ctx.notifier.waiting === 1, { what: 'the inbox request to wait' });
    const started = performance.now();
    await app.close();
    const ms = performance.now() - started;
    assert.ok(ms < 5000, `close took ${ms.toFixed(0)} ms`);
    const res = await poll;
    assert.equal(res.status, 200);
    assert.deepEqual(((await res.json()) as { items: unknown[] }).items, []);
  } finally {
    await t.close();
  }
});

it('stores a system\'s agencies under their registry codes', async () => {
  const t = await startTestHub();
  try {
    await importAgencies(t.hub.ctx, [{ code: '000.00.00.G05', name: 'Bộ thử', otherCodes: ['G05'] }], 'test');
    await addSystem(t.hub.ctx, { id: 'sys.g05', agencies: ['G05'] }, 'test');
    assert.deepEqual(await t.hub.ctx.store.systemAgencies('sys.g05'), ['000.00.00.G05']);
  } finally {
    await t.close();
  }
});

it('hands out a document fetched between its commit and its blob\'s move into place, once the move is done', async () => {
  // Files only: an inline packet commits with its document, so it has no such instant.
  const t = await startTestHub({ limits: { inlinePacketBytesMax: 0 } });
  // The move into place is held until the fetch has asked for the packet (no sleep to widen the window):
  // a fetch that did not wait for the announced digest would find no file and fail.
  let releaseMove: () => void = () => undefined;
  const moveReleased = new Promise<void>((r) => { releaseMove = r; });
  try {
    const blobs = t.hub.ctx.blobs;
    const commit = blobs.commit.bind(blobs);
    const open = blobs.open.bind(blobs);
    let moved = false;
    blobs.commit = async (staged) => {
      await moveReleased;
      await commit(staged);
      moved = true;
    };
    blobs.open = (digest, bytes) => {
      const opening = open(digest, bytes);
      releaseMove();
      return opening;
    };
    const gov = await t.hub.ctx.store.getSystem('sys.gov');
    const mof = await t.hub.ctx.store.getSystem('sys.mof');
    assert.ok(gov && mof);
    const packet = await edoc('000.00.00.G22', ['000.00.00.G12']);
    const submitting = submitPacket(t.hub.ctx, gov, [packet], { via: 'native' });
    let items: Awaited<ReturnType<typeof inbox>> = [];
    // Listed while its move is held: the window under test.
    await waitFor(async () => (items = await inbox(t.hub.ctx, mof, { kind: 'edoc' })).length > 0, { what: 'the delivery to be listed' });
    const fetched = await fetchPacket(t.hub.ctx, mof, items[0]?.delivery.id ?? '');
    assert.deepEqual(Buffer.concat(await fetched.stream.toArray() as Buffer[]), packet);
    assert.equal(moved, true);
    await submitting;
  } finally {
    releaseMove();
    await t.close();
  }
});

it('never hands a changed packet file out complete, even when its length is unchanged', async () => {
  // Files only, so that a one-chunk packet is a file too.
  const t = await startTestHub({ limits: { inlinePacketBytesMax: 0 } });
  const { app, url } = await listen(t.hub);
  try {
    const gov = await t.hub.ctx.store.getSystem('sys.gov');
    assert.ok(gov);
    const sent = await submitPacket(t.hub.ctx, gov, [await edoc('000.00.00.G22', ['000.00.00.G12'])], { via: 'native' });
    const path = t.hub.ctx.blobs.pathOf(sent.document.digest);
    const bytes = readFileSync(path);
    bytes.writeUInt8((bytes.at(-20) ?? 0) ^ 1, bytes.length - 20);
    writeFileSync(path, bytes);
    const get = (): Promise<Response> => fetch(`${url}/v1/deliveries/${sent.deliveries[0]?.id}/packet`, { headers: { authorization: `Bearer ${t.systems['mof']?.token}` } });
    // One chunk: the check fails before anything is sent, so the answer is an error with its code.
    const small = await get();
    assert.equal(small.status, 500);
    assert.equal(((await small.json()) as { error: { code: string } }).error.code, 'VDXP_E_BLOB_CORRUPT');
    // Several chunks: the answer has started, and is cut off before its last bytes.
    const big = await submitPacket(t.hub.ctx, gov, [await edoc('000.00.00.G22', ['000.00.00.G12'], {}, [
      { ContentId: 'cid:1', AttachmentName: 'scan.pdf', ContentType: 'application/pdf', content: Buffer.alloc(2_000_000, 7) }])], { via: 'native' });
    const bigPath = t.hub.ctx.blobs.pathOf(big.document.digest);
    const bigBytes = readFileSync(bigPath);
    bigBytes.writeUInt8((bigBytes.at(-20) ?? 0) ^ 1, bigBytes.length - 20);
    writeFileSync(bigPath, bigBytes);
    const res = await fetch(`${url}/v1/deliveries/${big.deliveries[0]?.id}/packet`, { headers: { authorization: `Bearer ${t.systems['mof']?.token}` } });
    assert.equal(res.status, 200, 'headers went out before the end of the file was read');
    await assert.rejects(res.arrayBuffer(), 'the body is cut off before its last bytes');
  } finally {
    await app.close();
    await t.close();
  }
});

it('refuses a changed or missing inline packet before sending a byte of it', async () => {
  const t = await startTestHub();
  const { app, url } = await listen(t.hub);
  try {
    const gov = await t.hub.ctx.store.getSystem('sys.gov');
    assert.ok(gov);
    const packet = await edoc('000.00.00.G22', ['000.00.00.G12'], {}, [
      { ContentId: 'cid:1', AttachmentName: 'scan.pdf', ContentType: 'application/pdf', content: Buffer.alloc(30_000, 7) }]);
    const sent = await submitPacket(t.hub.ctx, gov, [packet], { via: 'native' });
    const digest = sent.document.digest;
    assert.deepEqual(inlinePackets.get(t.dir, digest), packet, 'kept inline');
    const get = (): Promise<Response> => fetch(`${url}/v1/deliveries/${sent.deliveries[0]?.id}/packet`, { headers: { authorization: `Bearer ${t.systems['mof']?.token}` } });
    const changed = Buffer.from(packet);
    changed.writeUInt8((changed.at(-20) ?? 0) ^ 1, changed.length - 20);
    inlinePackets.set(t.dir, digest, changed);
    const corrupt = await get();
    assert.equal(corrupt.status, 500);
    assert.equal(((await corrupt.json()) as { error: { code: string } }).error.code, 'VDXP_E_BLOB_CORRUPT');
    inlinePackets.set(t.dir, digest, undefined);
    const missing = await get();
    assert.equal(missing.status, 500);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'VDXP_E_BLOB_CORRUPT');
    inlinePackets.set(t.dir, digest, packet);
    const restored = await get();
    assert.equal(restored.status, 200);
    assert.deepEqual(Buffer.from(await restored.arrayBuffer()), packet);
  } finally {
    await app.close();
    await t.close();
  }
});
