// Business types beyond "new": revoke (1), update (2) with its ReceiverList, replace (3) with its
// ReplacementInfoList; and a delivery's time-to-live. Driven through the hub functions on a real store.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parsePacketBytes, type Bussiness } from '@vdxp/edxml';
import { buildPacketBytes } from '@vdxp/edxml';
import { fetchPacket, inbox, sweep } from './delivery.ts';
import { documentView } from './documents.ts';
import { submitPacket } from './intake.ts';
import type { SystemRecord } from './store/store.ts';
import { edoc, startTestHub, type TestHub } from '../test-support/testkit.ts';

let t: TestHub;
const sys = async (id: string): Promise<SystemRecord> => {
  const s = await t.hub.ctx.store.getSystem(id);
  assert.ok(s, id);
  return s;
};

async function businessPacket(from: string, to: string[], bussiness: Bussiness): Promise<Buffer> {
  const base = await parsePacketBytes(await edoc(from, to));
  return buildPacketBytes({ header: { ...base.header, TraceHeaderList: { TraceHeader: base.header.TraceHeaderList?.TraceHeader ?? [], Bussiness: bussiness } } });
}

async function send(packet: Buffer): Promise<Awaited<ReturnType<typeof submitPacket>>> {
  return submitPacket(t.hub.ctx, await sys('sys.gov'), [packet], { via: 'native' });
}

async function edxmlIdOf(id: string): Promise<string> {
  return (await t.hub.ctx.store.getDocument(id))?.edxmlId ?? '';
}

before(async () => { t = await startTestHub(); });
after(async () => t.close());

describe('business types', () => {
  it('revoke (1) withdraws deliveries not yet fetched and links the documents', async () => {
    const original = await send(await edoc('000.00.00.G22', ['000.00.00.H41', '000.00.00.H14']));
    const h41 = original.deliveries.find((d) => d.recipient === '000.00.00.H41');
    assert.ok(h41);
    await fetchPacket(t.hub.ctx, await sys('sys.nghean'), h41.id);
    const revoke = await send(await businessPacket('000.00.00.G22', ['000.00.00.H41', '000.00.00.H14'], {
      DocumentId: await edxmlIdOf(original.document.id), BussinessDocType: '1', BussinessDocReason: 'Ban hành nhầm',
    }));
    assert.equal(revoke.document.businessType, 1);
    const view = await documentView(t.hub.ctx, await sys('sys.gov'), original.document.id);
    const states = Object.fromEntries(view.deliveries.map((d) => [d.recipient, d.state]));
    assert.deepEqual(states, { '000.00.00.H41': 'fetched', '000.00.00.H14': 'recalled' });
    assert.deepEqual(view.links, [{ documentId: revoke.document.id, relatedId: original.document.id, relation: 'revokes' }]);
    const caobangInbox = await inbox(t.hub.ctx, await sys('sys.caobang'), { kind: 'edoc' });
    assert.ok(!caobangInbox.some((i) => i.document.id === original.document.id));
    assert.ok(caobangInbox.some((i) => i.document.id === revoke.document.id), 'the revoke itself is delivered');
  });

  it('update (2) adds the recipients its ReceiverList adds and withdraws the ones it removes', async () => {
    const original = await send(await edoc('000.00.00.G22', ['000.00.00.H41', '000.00.00.H14']));
    const update = await send(await businessPacket('000.00.00.G22', ['000.00.00.H41'], {
      DocumentId: await edxmlIdOf(original.document.id), BussinessDocType: '2',
      BussinessDocumentInfo: { ReceiverList: [{ OrganId: '000.00.00.H14', ReceiverType: '0' }, { OrganId: '000.00.00.G12', ReceiverType: '1' }] },
    }));
    assert.deepEqual(update.deliveries.map((d) => d.recipient).sort(), ['000.00.00.G12', '000.00.00.H41']);
    const view = await documentView(t.hub.ctx, await sys('sys.gov'), original.document.id);
    assert.equal(view.deliveries.find((d) => d.recipient === '000.00.00.H14')?.state, 'recalled');
    assert.equal(view.deliveries.find((d) => d.recipient === '000.00.00.H41')?.state, 'queued');
    assert.deepEqual(view.links.map((l) => l.relation), ['updates']);
  });

  it('replace (3) links the new document to every document it replaces, for the recipients too', async () => {
    const a = await send(await edoc('000.00.00.G22', ['000.00.00.H41']));
    const b = await send(await edoc('000.00.00.G22', ['000.00.00.H41']));
    const replacement = await send(await businessPacket('000.00.00.G22', ['000.00.00.H41'], {
      BussinessDocType: '3',
      ReplacementInfoList: [
        { DocumentId: await edxmlIdOf(a.document.id), OrganIdList: ['000.00.00.H41'] },
        { DocumentId: await edxmlIdOf(b.document.id), OrganIdList: ['000.00.00.H41'] },
        { DocumentId: 'never-sent', OrganIdList: ['000.00.00.H41'] },
      ],
    }));
    assert.ok(replacement.warnings.some((w) => w.code === 'VDXP_W_RELATED_UNKNOWN'), 'the unknown one is reported');
    const recipientView = await documentView(t.hub.ctx, await sys('sys.nghean'), replacement.document.id);
    assert.deepEqual(recipientView.links.map((l) => [l.relatedId, l.relation]).sort(),
      [[a.document.id, 'replaces'], [b.document.id, 'replaces']].sort());
    const oldView = await documentView(t.hub.ctx, await sys('sys.nghean'), a.document.id);
    assert.deepEqual(oldView.links.map((l) => l.documentId), [replacement.document.id], 'the replaced one points to its replacement');
  });
});

describe('time-to-live', () => {
  it('expires deliveries nobody fetched within deliveryTtlSeconds, and the sender sees it', async () => {
    const sent = await send(await edoc('000.00.00.G22', ['000.00.00.G12']));
    t.clock.advance(t.hub.ctx.limits.deliveryTtlSeconds * 1000 + 1);
    const r = await sweep(t.hub.ctx);
    assert.ok(r.expired >= 1);
    const view = await documentView(t.hub.ctx, await sys('sys.gov'), sent.document.id);
    assert.equal(view.deliveries[0]?.state, 'expired');
    assert.ok(!(await inbox(t.hub.ctx, await sys('sys.mof'), { kind: 'edoc' })).some((i) => i.document.id === sent.document.id));
  });
});
