// The folder connector's steps against a real hub, each crash window replayed on purpose (the crash test
// hits them only by chance): a redelivery after the agency took the file writes nothing, a marker without
// its rename finishes the rename, a half-written temporary file is rewritten; a file sent before a crash is
// moved with the original ids; a refused file goes to failed/ with its reason.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VdxpClient, type InboxItem, type ReceivedPacket } from '@vdxp/client';
import { edoc, listen, startTestHub, type TestHub } from '../../hub/test-support/testkit.ts';
import { FolderConnector, STATE_DIR, type Receipt } from './connector.ts';

let t: TestHub;
let url: string;
let root: string;
let stop: () => Promise<void>;

before(async () => {
  t = await startTestHub();
  const s = await listen(t.hub);
  url = s.url;
  root = mkdtempSync(join(tmpdir(), 'vdxp-connector-'));
  stop = async () => { await s.app.close(); await t.close(); rmSync(root, { recursive: true, force: true }); };
});
after(async () => stop());

const client = (name: string): VdxpClient => new VdxpClient({ hub: url, token: t.systems[name]?.token ?? '', retry: { attemptsMax: 1 } });

function connector(name: string, sub: string): { c: FolderConnector; inbox: string; outbox: string; lines: string[] } {
  const lines: string[] = [];
  const inbox = join(root, sub, 'inbox');
  const outbox = join(root, sub, 'outbox');
  return { c: new FolderConnector({ client: client(name), inbox, outbox, log: (l) => lines.push(l) }), inbox, outbox, lines };
}

/** The packet of a fresh delivery to caobang, as the receive loop hands it to the connector. */
async function delivered(): Promise<{ packet: Buffer; item: InboxItem; again: () => Promise<ReceivedPacket> }> {
  const packet = await edoc('000.00.00.G22', ['000.00.00.H14']);
  const sent = await client('gov').send(packet);
  const item = (await client('caobang').inbox({ kind: 'edoc', limit: 100 })).items.find((i) => i.documentId === sent.id);
  assert.ok(item);
  const again = async (): Promise<ReceivedPacket> => {
    const d = await client('caobang').fetchPacket(item.deliveryId);
    return { item, deliveryId: item.deliveryId, digest: d.digest, bytes: d.bytes, body: d.body, signal: new AbortController().signal };
  };
  return { packet, item, again };
}

const visible = (dir: string): string[] => readdirSync(dir).filter((n) => !n.startsWith('.')).sort();

describe('folder connector', () => {
  it('writes a packet once: a redelivery after the agency took the file writes nothing', async () => {
    const { c, inbox } = connector('caobang', 'a');
    await c.prepare();
    const { packet, item, again } = await delivered();
    await c.store(await again());
    const name = `edoc-${item.deliveryId}.edxml`;
    assert.deepEqual(visible(inbox), [name]);
    assert.deepEqual(readFileSync(join(inbox, name)), packet);
    // The agency takes it; the connector crashes before its ack; the hub hands it out again.
    mkdirSync(join(root, 'a', 'taken'));
    renameSync(join(inbox, name), join(root, 'a', 'taken', name));
    await c.store(await again());
    assert.deepEqual(visible(inbox), [], 'not written a second time');
  });

  it('finishes the rename of a whole temporary file, and rewrites a half-written one', async () => {
    const { c, inbox } = connector('caobang', 'b');
    await c.prepare();
    const one = await delivered();
    const name1 = `edoc-${one.item.deliveryId}.edxml`;
    // Crash after the marker, before the rename: the temporary file is whole.
    writeFileSync(join(inbox, `.${name1}.part`), one.packet);
    writeFileSync(join(inbox, STATE_DIR, one.item.deliveryId), '');
    await c.store(await one.again());
    assert.deepEqual(readFileSync(join(inbox, name1)), one.packet);
    const two = await delivered();
    const name2 = `edoc-${two.item.deliveryId}.edxml`;
    // Crash mid-write: no marker, a torn temporary file.
    writeFileSync(join(inbox, `.${name2}.part`), two.packet.subarray(0, 100));
    await c.store(await two.again());
    assert.deepEqual(readFileSync(join(inbox, name2)), two.packet);
    assert.deepEqual(readdirSync(inbox).filter((n) => n.endsWith('.part')), []);
  });

  it('sends an outbox file with a receipt; one the hub took before a crash is moved with the original ids', async () => {
    const { c, outbox } = connector('nghean', 'c');
    await c.prepare();
    const packet = await edoc('000.00.00.H41', ['000.00.00.G22']);
    const first = await client('nghean').send(packet);
    writeFileSync(join(outbox, 'cv-1.edxml'), packet);
    writeFileSync(join(outbox, '.cv-2.edxml.tmp'), 'not yet complete');
    assert.equal(await c.sendOutbox(), 1, 'hidden files are not packets yet');
    const receipt = JSON.parse(readFileSync(join(outbox, 'sent', 'cv-1.edxml.receipt.json'), 'utf8')) as Receipt;
    assert.equal(receipt.documentId, first.id);
    assert.equal(receipt.created, false);
    assert.deepEqual(receipt.recipients, ['000.00.00.G22']);
    assert.ok(!Number.isNaN(Date.parse(receipt.sentAt)));
    assert.deepEqual(readFileSync(join(outbox, 'sent', 'cv-1.edxml')), packet);
    // A second file of the same name: kept beside the first, not over it.
    writeFileSync(join(outbox, 'cv-1.edxml'), await edoc('000.00.00.H41', ['000.00.00.G22']));
    await c.sendOutbox();
    assert.equal(visible(join(outbox, 'sent')).filter((n) => n.endsWith('.edxml')).length, 2);
    assert.deepEqual(visible(outbox), ['failed', 'sent']);
  });

  it('moves a refused file to failed/ with its reason, once', async () => {
    const { c, outbox } = connector('nghean', 'd');
    await c.prepare();
    writeFileSync(join(outbox, 'wrong.edxml'), await edoc('000.00.00.H41', ['000.00.00.Z99']));
    writeFileSync(join(outbox, 'garbage.xml'), 'this is not xml');
    await c.sendOutbox();
    assert.deepEqual(visible(join(outbox, 'failed')), ['garbage.xml', 'garbage.xml.reason.json', 'wrong.edxml', 'wrong.edxml.reason.json']);
    const reason = JSON.parse(readFileSync(join(outbox, 'failed', 'wrong.edxml.reason.json'), 'utf8')) as { code: string; status: number };
    assert.deepEqual([reason.code, reason.status], ['VDXP_E_RECIPIENT_UNKNOWN', 422]);
    assert.equal(await c.sendOutbox(), 0, 'never retried');
  });
});
