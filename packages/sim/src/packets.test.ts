// The simulator's packet templates make packets the hub's own parser and validator accept, with the fields asked for.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parsePacketBytes, validatePacket } from '@vdxp/edxml';
import { PacketMaker } from './packets.ts';

describe('PacketMaker', () => {
  it('fills an edoc template: recipients, DocumentId, business type, and no validation errors', async () => {
    const maker = await PacketMaker.create();
    const at = Date.UTC(2026, 5, 10, 2, 30);
    for (const [to, bt] of [[['000.00.00.H41'], 0], [['000.00.00.H41', '001.00.00.H41', '002.00.00.H41'], 2], [['000.00.00.G12'], 3]] as const) {
      const bytes = maker.edoc({ from: '000.00.00.G22', to, documentId: '000.00.00.G22,2026/06/10,17/VP', number: '17', notation: 'VP', subject: 3, at, businessType: bt, relatedDocumentId: '000.00.00.G22,2026/06/01,3/VP' });
      const p = await parsePacketBytes(bytes);
      const mh = p.header.MessageHeader;
      assert.equal(p.kind, 'edoc');
      assert.deepEqual([...new Set(mh.To.map((t) => t.OrganId))], [...to]);
      assert.equal(mh.DocumentId, '000.00.00.G22,2026/06/10,17/VP');
      assert.equal(p.header.TraceHeaderList?.Bussiness?.BussinessDocType ?? '0', String(bt));
      assert.equal(p.attachments.length, 1);
      assert.deepEqual(validatePacket(p, 'lenient').filter((f) => f.severity === 'error'), []);
    }
  });

  it('fills a status template', async () => {
    const maker = await PacketMaker.create();
    const bytes = maker.status({ from: '001.00.00.H41', responseOrgan: '000.00.00.H41', documentId: '000.00.00.H41,2026/06/10,5/UBND-TH', code: '03', description: 'Đã vào sổ', at: Date.UTC(2026, 5, 10) });
    const p = await parsePacketBytes(bytes);
    assert.equal(p.kind, 'status');
    assert.equal(p.header.MessageHeader.StatusCode, '03');
    assert.deepEqual(p.header.MessageHeader.ResponseFor, [{ OrganId: '000.00.00.H41', DocumentId: '000.00.00.H41,2026/06/10,5/UBND-TH' }]);
    assert.deepEqual(validatePacket(p, 'lenient').filter((f) => f.severity === 'error'), []);
  });
});
