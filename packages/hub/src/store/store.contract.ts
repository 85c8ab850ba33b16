// The contract every store engine passes, on a real database: registry, documents, inline packets, deliveries,
// statuses, evidence chain and its archived cuts, counters, and transactions that commit whole or not at all.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inScope, scopePattern } from '../scope.ts';
import { eventHash } from './event-hash.ts';
import { GENESIS_HASH, type AgencyInput, type DeliveryRow, type DocumentRow, type Store } from './store.ts';

const agency = (code: string, extra: Partial<AgencyInput> = {}): AgencyInput => ({
  code, name: `Agency ${code}`, parent: null, level: 1, otherCodes: [], email: null, phone: null,
  state: 'active', successor: null, validFrom: null, validTo: null, ...extra,
});

const doc = (id: string, extra: Partial<DocumentRow> = {}): Omit<DocumentRow, 'seq'> => ({
  id, kind: 'edoc', businessType: 0, fromAgency: 'A', senderSystem: 'sysA', edxmlId: `A,2026/11/23,${id}/X`, subject: 'S',
  codeNumber: '1', codeNotation: 'X', statusCode: null, answers: null, dueAt: null, digest: 'd'.repeat(64), bytes: 10,
  header: { h: 1 }, signature: { present: false }, receivedAt: 1000, ...extra,
});

const delivery = (id: string, documentId: string, recipient: string, extra: Partial<DeliveryRow> = {}): Omit<DeliveryRow, 'seq'> => ({
  id, documentId, kind: 'edoc', recipient, addressedTo: recipient, state: 'queued', attempts: 0, businessStatus: null, lastReason: null,
  createdAt: 1000, fetchedAt: null, ackedAt: null, expiresAt: 5000, answerDueAt: 3000, overdue: false, ...extra,
});

export function storeContract(engine: string, open: () => Promise<{ store: Store; close: () => Promise<void> }>): void {
  describe(`store contract: ${engine}`, () => {
    it('keeps agencies with versions, other codes and deleted flags', async () => {
      const { store, close } = await open();
      try {
        const v0 = await store.registryVersion();
        const a = await store.putAgency(agency('000.00.00.G22', { otherCodes: ['G22'] }), 10);
        assert.ok(a.version > v0);
        // getAgenciesList keeps its answer while this version is unchanged: every change must raise it.
        assert.equal(await store.registryVersion(), a.version);
        assert.equal((await store.findAgency('G22'))?.code, '000.00.00.G22');
        assert.equal(await store.getAgency('G22'), undefined, 'getAgency takes the primary code only');
        const v = await store.putAgencies([agency('B'), agency('C', { deleted: true })], 20);
        assert.equal(await store.registryVersion(), v);
        // Many at once: registry codes only, each once, unknown ones left out; more codes than one statement takes.
        const many = await store.getAgencies(['B', 'G22', 'C', 'NOPE', 'B', ...Array.from({ length: 1200 }, (_, i) => `X${i}`), '000.00.00.G22']);
        assert.deepEqual(many.map((x) => [x.code, x.deleted]).sort(), [['000.00.00.G22', false], ['B', false], ['C', true]]);
        assert.deepEqual(await store.getAgencies([]), []);
        assert.equal(await store.countAgencies(), 2);
        const changed = await store.listAgencies({ afterVersion: a.version, limit: 10, includeDeleted: true });
        assert.deepEqual(changed.map((x) => [x.code, x.version, x.deleted]), [['B', v, false], ['C', v, true]]);
        const page1 = await store.listAgencies({ limit: 1 });
        const page2 = await store.listAgencies({ afterVersion: page1[0]?.version ?? 0, afterCode: page1[0]?.code ?? '', limit: 10 });
        assert.deepEqual([...page1, ...page2].map((x) => x.code), ['000.00.00.G22', 'B']);
        await store.putAgency(agency('000.00.15.H41', { parent: '000.00.00.H41', level: 2 }), 25);
        assert.deepEqual((await store.listAgencies({ parent: '000.00.00.H41', limit: 10 })).map((x) => x.code), ['000.00.15.H41']);
        const before = await store.registryVersion();
        await store.putAgency({ ...agency('000.00.00.G22'), otherCodes: [] }, 30);
        assert.ok(await store.registryVersion() > before, 'a change to an existing agency raises the version too');
        assert.equal(await store.findAgency('G22'), undefined, 'dropped other codes stop resolving');
      } finally { await close(); }
    });

    it('writes getAgenciesList\'s pages itself: current agencies only, (version, code) order, JSON as JSON.stringify writes it', async () => {
      const { store, close } = await open();
      try {
        // Names that need escaping (quotes, backslash, controls), Vietnamese and an emoji; other codes in every form.
        const tricky = 'Đơn vị "F" \\ tạm dừng\t\n\r\b\f\u0001\u001f\u007f 😀 \u2028';
        const v1 = await store.putAgencies([
          agency('B', { parent: 'A', email: 'b@x.vn', otherCodes: ['B-QD20', 'H41.15', '000.00.01.b01', '000.00.01.B01', '000.00.02.B02'] }), agency('A'),
          agency('C', { deleted: true }), agency('D', { state: 'merged', successor: 'A' }), agency('E', { state: 'dissolved' }),
          agency('F', { state: 'suspended', name: tricky, otherCodes: ['000.00.00.F00'] }),
          agency('000.00.00.G22', { otherCodes: ['000.00.00.G22', '0000.00.00.G23', '000.00.00.G2', '000.00.00.G23'] }),
          agency('H', { otherCodes: ['H41', '123456789012'] }), agency('Z"\\{"id":"z'),
        ], 10);
        const v2 = (await store.putAgency(agency('0', { name: 'Later, first by code' }), 20)).version;
        assert.ok(v2 > v1);
        const item = (code: string, name: string, extra: { pid?: string; mail?: string; oldCode?: string } = {}): string =>
          JSON.stringify({ id: code, pid: extra.pid ?? '', code, name, mail: extra.mail ?? '', oldCode: extra.oldCode ?? '' });
        const expected = [
          item('000.00.00.G22', 'Agency 000.00.00.G22', { oldCode: '000.00.00.G23' }), item('A', 'Agency A'),
          item('B', 'Agency B', { pid: 'A', mail: 'b@x.vn', oldCode: '000.00.01.B01' }), item('F', tricky, { oldCode: '000.00.00.F00' }),
          item('H', 'Agency H'), item('Z"\\{"id":"z', 'Agency Z"\\{"id":"z'), item('0', 'Later, first by code'),
        ];
        const text = (p: { json: Uint8Array }): string => Buffer.from(p.json).toString('utf8');
        const all = await store.agencyListPage({ afterVersion: 0, limit: 100 });
        assert.equal(text(all), expected.join(','), 'deleted, merged and dissolved agencies are left out; version before code');
        assert.equal(all.rows, 7);
        assert.deepEqual(all.last, { version: v2, code: '0' });
        // Pages of three: the second ends on the code that needs escaping (the cursor is read back from the text).
        const page1 = await store.agencyListPage({ afterVersion: 0, limit: 3 });
        assert.deepEqual([page1.rows, page1.last], [3, { version: v1, code: 'B' }]);
        const page2 = await store.agencyListPage({ afterVersion: v1, afterCode: 'B', limit: 3 });
        assert.deepEqual([page2.rows, page2.last], [3, { version: v1, code: 'Z"\\{"id":"z' }]);
        const page3 = await store.agencyListPage({ afterVersion: v1, afterCode: 'Z"\\{"id":"z', limit: 3 });
        assert.deepEqual([page3.rows, page3.last], [1, { version: v2, code: '0' }]);
        assert.equal([page1, page2, page3].map(text).join(','), expected.join(','));
        assert.equal(text(await store.agencyListPage({ afterVersion: v1, limit: 10 })), expected.at(-1), 'version alone: strictly after it');
        const none = await store.agencyListPage({ afterVersion: v2, limit: 10 });
        assert.deepEqual([none.json.byteLength, none.rows, none.last], [0, 0, undefined]);
      } finally { await close(); }
    });

    it('keeps systems and the agencies they act for', async () => {
      const { store, close } = await open();
      try {
        await store.putSystem({ id: 's1', name: 'S', tokenHash: 'h1', secret: 'sealed', state: 'active', pushUrl: null, vdxpStrict: false, createdAt: 1, updatedAt: 1 });
        await store.setSystemAgencies('s1', ['A', 'B', 'A']);
        assert.deepEqual(await store.systemAgencies('s1'), ['A', 'B']);
        assert.equal(await store.systemActsFor('s1', 'B'), true);
        assert.equal(await store.systemActsFor('s1', 'C'), false);
        assert.equal((await store.getSystemByTokenHash('h1'))?.id, 's1');
        assert.equal((await store.getSystem('s1'))?.vdxpStrict, false);
        await store.putSystem({ id: 's1', name: 'S', tokenHash: 'h2', secret: 'sealed2', state: 'active', pushUrl: null, vdxpStrict: true, createdAt: 1, updatedAt: 2 });
        assert.equal(await store.getSystemByTokenHash('h1'), undefined);
        assert.equal((await store.getSystem('s1'))?.vdxpStrict, true, 'the VDXP strict flag is kept and can be changed');
        assert.equal((await store.listSystems()).length, 1);
      } finally { await close(); }
    });

    it('hands out an inbox oldest first, by state and kind, for the agencies of a system', async () => {
      const { store, close } = await open();
      try {
        await store.putSystem({ id: 'rx', name: 'R', tokenHash: 'h', secret: 's', state: 'active', pushUrl: null, vdxpStrict: false, createdAt: 1, updatedAt: 1 });
        await store.setSystemAgencies('rx', ['R1', 'R2']);
        await store.insertDocument(doc('d1'), ['k1']);
        await store.insertDocument(doc('d2', { kind: 'status', statusCode: '01' }), ['k2']);
        const a = await store.insertDelivery(delivery('x1', 'd1', 'R1'));
        const b = await store.insertDelivery(delivery('x2', 'd1', 'R2'));
        await store.insertDelivery(delivery('x3', 'd1', 'OTHER'));
        await store.insertDelivery(delivery('x4', 'd2', 'R1', { kind: 'status' }));
        assert.ok(b.seq > a.seq);
        assert.deepEqual((await store.inbox('rx', { kind: 'edoc', limit: 10 })).map((i) => i.delivery.id), ['x1', 'x2']);
        assert.deepEqual((await store.inbox('rx', { kind: 'edoc', limit: 10, afterSeq: a.seq })).map((i) => i.delivery.id), ['x2']);
        assert.deepEqual((await store.inbox('rx', { kind: 'status', limit: 10 })).map((i) => i.document.statusCode), ['01']);
        assert.equal(await store.setDeliveryIf('x1', { states: ['queued', 'fetched'] }, { state: 'done', ackedAt: 9 }), true);
        assert.deepEqual((await store.inbox('rx', { kind: 'edoc', limit: 10 })).map((i) => i.delivery.id), ['x2']);
        assert.equal(await store.countInbox('rx', 'edoc'), 1);
        // Any kind (the long-poll's read, over the pending-only index): queued and fetched, not done; other states
        // when named, and the pending ones named in any order read as the default.
        assert.equal(await store.setDeliveryIf('x4', { states: ['queued'] }, { state: 'fetched', firstFetchedAt: 8 }), true);
        assert.deepEqual((await store.inbox('rx', { limit: 10 })).map((i) => i.delivery.id), ['x2', 'x4']);
        assert.deepEqual((await store.inbox('rx', { limit: 10, states: ['fetched', 'queued'] })).map((i) => i.delivery.id), ['x2', 'x4']);
        assert.deepEqual((await store.inbox('rx', { limit: 10, states: ['fetched'] })).map((i) => i.delivery.id), ['x4']);
        assert.deepEqual((await store.inbox('rx', { limit: 10, states: ['done'] })).map((i) => i.delivery.id), ['x1']);
        assert.deepEqual((await store.inbox('rx', { limit: 1, afterSeq: b.seq })).map((i) => i.delivery.id), ['x4']);
        assert.equal((await store.getDelivery('x1'))?.ackedAt, 9);
        assert.equal((await store.findDelivery('d1', 'R2'))?.id, 'x2');
        assert.equal(await store.documentIdByKey('k2'), 'd2');
        assert.equal((await store.findDocumentByEdxmlId('A', 'A,2026/11/23,d1/X'))?.id, 'd1');
        assert.deepEqual((await store.expiredDeliveries(6000, 10)).map((d) => d.id).sort(), ['x2', 'x3', 'x4']);
        // Overdue is about the business answer: x1 was fetched and acked, but nobody answered 01/03 in time.
        assert.deepEqual((await store.overdueCandidates(3500, 10)).map((d) => d.id).sort(), ['x1', 'x2', 'x3']);
        await store.addStatus({ deliveryId: 'x2', statusCode: '03', documentId: null, description: null, at: 2000 });
        assert.equal(await store.setDeliveryIf('x2', { states: ['queued'], businessStatus: null }, { businessStatus: '03' }), true);
        assert.deepEqual((await store.overdueCandidates(3500, 10)).map((d) => d.id).sort(), ['x1', 'x3']);
      } finally { await close(); }
    });

    it('changes a delivery only by compare-and-set, and says whether it did', async () => {
      const { store, close } = await open();
      try {
        await store.insertDocument(doc('d1'), []);
        await store.insertDelivery(delivery('x1', 'd1', 'R'));
        assert.equal(await store.setDeliveryIf('x1', { states: ['fetched'] }, { state: 'done' }), false, 'a state it is not in');
        assert.equal(await store.setDeliveryIf('nobody', { states: ['queued'] }, { state: 'done' }), false, 'a delivery that does not exist');
        assert.equal(await store.setDeliveryIf('x1', { states: ['queued'] }, { state: 'fetched', firstFetchedAt: 5 }), true);
        assert.equal(await store.setDeliveryIf('x1', { states: ['fetched'] }, { state: 'queued', firstFetchedAt: 7 }), true);
        assert.equal((await store.getDelivery('x1'))?.fetchedAt, 5, 'firstFetchedAt keeps the first hand-out');
        assert.equal(await store.setDeliveryIf('x1', { states: ['queued'], neverFetched: true }, { state: 'recalled' }), false, 'fetched once');
        assert.equal(await store.setDeliveryIf('x1', { states: ['queued'], businessStatus: '03' }, { businessStatus: '04' }), false);
        assert.equal(await store.setDeliveryIf('x1', { states: ['queued'], businessStatus: null, overdue: false }, { businessStatus: '01', overdue: true }), true);
        assert.equal(await store.setDeliveryIf('x1', { states: ['queued'], overdue: false }, { overdue: true }), false, 'flagged once');
        const d = await store.getDelivery('x1');
        assert.deepEqual([d?.state, d?.businessStatus, d?.overdue], ['queued', '01', true]);
        await assert.rejects(store.setDeliveryIf('x1', { states: [] }, { state: 'done' }), /assertion/);
        await assert.rejects(store.setDeliveryIf('x1', { states: ['queued'] }, {}), /assertion/);
      } finally { await close(); }
    });

    it('numbers statuses per delivery and links documents', async () => {
      const { store, close } = await open();
      try {
        await store.insertDocument(doc('d1'), []);
        await store.insertDocument(doc('d2'), []);
        await store.insertDelivery(delivery('x1', 'd1', 'R'));
        await store.addStatus({ deliveryId: 'x1', statusCode: '01', documentId: null, description: null, at: 1 });
        await store.addStatus({ deliveryId: 'x1', statusCode: '03', documentId: 'd2', description: 'ok', at: 2 });
        assert.deepEqual((await store.statusHistory('x1')).map((s) => [s.seq, s.statusCode]), [[1, '01'], [2, '03']]);
        await store.linkDocuments('d2', 'd1', 'replaces');
        assert.deepEqual(await store.documentLinks('d1'), [{ documentId: 'd2', relatedId: 'd1', relation: 'replaces' }]);
      } finally { await close(); }
    });

    it('keeps inline packets by digest, byte for byte, once, and only with a transaction that commits', async () => {
      const { store, close } = await open();
      try {
        const bytes = new Uint8Array(300_000).map((_, i) => (i * 31) & 0xff);
        const empty = new Uint8Array(0);
        assert.equal(await store.inlineBlob('a'.repeat(64)), undefined);
        await store.transaction(async (tx) => {
          await tx.insertDocument(doc('i1', { digest: 'a'.repeat(64), bytes: bytes.byteLength }), []);
          await tx.putInlineBlob('a'.repeat(64), bytes);
          await tx.putInlineBlob('e'.repeat(64), empty);
        });
        assert.deepEqual(Buffer.from((await store.inlineBlob('a'.repeat(64))) ?? []), Buffer.from(bytes));
        assert.equal((await store.inlineBlob('e'.repeat(64)))?.byteLength, 0, 'an empty packet is kept, not missing');
        // The same digest again (a second document with the same bytes) keeps the first copy and does not fail.
        await store.transaction(async (tx) => { await tx.putInlineBlob('a'.repeat(64), new Uint8Array([1, 2, 3])); });
        assert.equal((await store.inlineBlob('a'.repeat(64)))?.byteLength, bytes.byteLength);
        await assert.rejects(store.transaction(async (tx) => {
          await tx.putInlineBlob('b'.repeat(64), bytes);
          throw new Error('refused');
        }), /refused/);
        assert.equal(await store.inlineBlob('b'.repeat(64)), undefined, 'a rolled-back transaction keeps no bytes');
        assert.equal(await store.digestReferenced('a'.repeat(64)), true, 'document i1 names it');
        assert.equal(await store.digestReferenced('e'.repeat(64)), false, 'kept bytes alone are not a reference');
        assert.equal(await store.digestReferenced('b'.repeat(64)), false);
      } finally { await close(); }
    });

    it('chains events by hash from the genesis', async () => {
      const { store, close } = await open();
      try {
        const e1 = await store.appendEvent({ at: 1, type: 't', actor: 'a', data: { x: 'é' } });
        const e2 = await store.appendEvent({ at: 2, type: 't', actor: null, documentId: 'd', data: {} });
        assert.equal(e1.prevHash, GENESIS_HASH);
        assert.equal(e2.prevHash, e1.hash);
        const stored = await store.events(0, 10);
        assert.deepEqual(stored.map((e) => e.seq), [1, 2]);
        for (const e of stored) assert.equal(eventHash(e.prevHash, e), e.hash);
      } finally { await close(); }
    });

    it('cuts an archived prefix of the chain: the segment, the checkpoint, archived documents and their inline packets', async () => {
      const { store, close } = await open();
      try {
        const own = 'b'.repeat(64);
        const shared = 'c'.repeat(64);
        await store.transaction(async (tx) => {
          await tx.insertDocument(doc('old', { digest: own, receivedAt: 100 }), []);
          await tx.putInlineBlob(own, new Uint8Array([1, 2, 3]));
          await tx.insertDelivery(delivery('dl-old', 'old', 'B', { state: 'done' }));
          await tx.appendEvent({ at: 100, type: 'document:accepted', actor: 's', documentId: 'old', data: { digest: own } });
          await tx.insertDocument(doc('old2', { digest: shared, receivedAt: 110 }), []);
          await tx.putInlineBlob(shared, new Uint8Array([4, 5]));
          await tx.insertDelivery(delivery('dl-old2', 'old2', 'B', { state: 'expired' }));
          await tx.appendEvent({ at: 110, type: 'document:accepted', actor: 's', documentId: 'old2', data: { digest: shared } });
          await tx.appendEvent({ at: 120, type: 'delivery:acked', actor: 's', documentId: 'old', deliveryId: 'dl-old', data: {} });
          await tx.insertDocument(doc('busy', { digest: 'd'.repeat(64), receivedAt: 130 }), []);
          await tx.insertDelivery(delivery('dl-busy', 'busy', 'B', { state: 'queued' }));
          await tx.appendEvent({ at: 130, type: 'document:accepted', actor: 's', documentId: 'busy', data: { digest: 'd'.repeat(64) } });
          // A live document naming the same bytes as an archived one (content-addressed).
          await tx.insertDocument(doc('twin', { digest: shared, receivedAt: 140 }), []);
          await tx.appendEvent({ at: 500, type: 'late', actor: null, data: {} });
        });
        assert.deepEqual(await store.archivableSegment(1000, 100), { firstSeq: 1, lastSeq: 3, prevHash: GENESIS_HASH }, 'stops before a pending document');
        assert.deepEqual(await store.archivableSegment(115, 100), { firstSeq: 1, lastSeq: 2, prevHash: GENESIS_HASH }, 'and before the cutoff');
        assert.deepEqual(await store.archivableSegment(1000, 1), { firstSeq: 1, lastSeq: 1, prevHash: GENESIS_HASH }, 'and at eventsMax');
        assert.equal(await store.archivableSegment(100, 100), undefined, 'nothing is older than the cutoff');
        assert.deepEqual((await store.documentsAcceptedIn(1, 3, 0, 10)).map((d) => d.id), ['old', 'old2']);
        assert.deepEqual((await store.documentsAcceptedIn(1, 3, 1, 10)).map((d) => d.id), ['old2'], 'paged by document seq');

        const before = await store.events(0, 10);
        const cp = { firstSeq: 1, lastSeq: 3, prevHash: GENESIS_HASH, hash: before[2]?.hash ?? '', file: 'f1.vdxa', sha256: 'e'.repeat(64), documents: 2, createdAt: 900 };
        await assert.rejects(store.transaction((tx) => tx.cutArchive({ ...cp, hash: 'f'.repeat(64) })), /another cut/);
        await assert.rejects(store.transaction((tx) => tx.cutArchive({ ...cp, documents: 3 })), /holds 3/);
        assert.equal((await store.events(0, 10)).length, 5, 'a refused cut changes nothing');
        assert.equal((await store.getDocument('old'))?.archivedIn, undefined);

        assert.equal((await store.storageSize()).packetBytes, 40, 'four documents of 10 bytes');
        const cut = await store.transaction((tx) => tx.cutArchive(cp));
        assert.deepEqual(cut, { documents: 2, inlinePackets: 1, inlineBytes: 3, unnamedDigests: [own] });
        assert.equal((await store.storageSize()).packetBytes, 20, 'archived documents\' packets no longer count');
        assert.deepEqual(await store.checkpoints(), [cp]);
        assert.deepEqual((await store.events(0, 10)).map((e) => e.seq), [4, 5]);
        assert.equal((await store.getDocument('old'))?.archivedIn, 'f1.vdxa');
        assert.equal((await store.getDocument('twin'))?.archivedIn, undefined);
        assert.equal((await store.deliveriesOfDocument('old')).length, 1, 'rows and deliveries stay');
        assert.equal(await store.inlineBlob(own), undefined);
        assert.deepEqual(Buffer.from((await store.inlineBlob(shared)) ?? []), Buffer.from([4, 5]), 'a live document still names it');
        assert.equal(await store.digestReferenced(own), false);
        assert.equal(await store.digestReferenced(shared), true);
        assert.deepEqual(await store.unnamedDigestsOf('f1.vdxa'), [own]);
        assert.equal(await store.digestReferenced('d'.repeat(64)), true, 'a live document names it');
        assert.deepEqual(await store.archivedDocumentCounts(), new Map([['f1.vdxa', 2]]));
        const next = await store.appendEvent({ at: 600, type: 't', actor: null, data: {} });
        assert.deepEqual([next.seq, next.prevHash], [6, before[4]?.hash], 'the chain goes on');
        assert.equal(await store.archivableSegment(1000, 100), undefined, 'the pending document is first now');
        await assert.rejects(store.transaction((tx) => tx.cutArchive(cp)), /another cut/, 'a segment is cut once');
      } finally { await close(); }
    });

    it('writes a batch of decided rows in one go: seqs after the last, statuses numbered per delivery, the chain continued, counters summed', async () => {
      const { store, close } = await open();
      try {
        await store.insertDocument(doc('d0'), ['k0']);
        await store.insertDelivery(delivery('v0', 'd0', 'B'));
        await store.addStatus({ deliveryId: 'v0', statusCode: '01', documentId: null, description: null, at: 1100 });
        const e0 = await store.appendEvent({ at: 1000, type: 'document:accepted', actor: 'sysA', documentId: 'd0', data: { n: 0 } });
        await store.bumpCounter('2026-01-02', 'B', 'received', 1);
        const packet = new Uint8Array([1, 2, 3, 250]);
        const r = await store.writeBatch({
          inlineBlobs: [{ digest: 'e'.repeat(64), bytes: packet }, { digest: 'e'.repeat(64), bytes: packet }],
          documents: [
            { doc: doc('d1', { digest: 'e'.repeat(64), header: { x: 'é' }, dueAt: 5000 }), keys: ['k1', 'k1b'] },
            { doc: doc('d2', { kind: 'status', statusCode: '03', answers: 'd0', digest: 'e'.repeat(64), edxmlId: null }), keys: [] },
          ],
          links: [{ documentId: 'd1', relatedId: 'd0', relation: 'updates' }],
          deliveries: [delivery('v1', 'd1', 'B'), delivery('v2', 'd1', 'C', { state: 'done', fetchedAt: 1200, ackedAt: 1300, businessStatus: '01' })],
          deliveryUpdates: [{ id: 'v0', state: 'done', attempts: 0, businessStatus: '03', lastReason: null, fetchedAt: 1050, ackedAt: 1060, answerDueAt: 3000, overdue: true }],
          statuses: [
            { deliveryId: 'v0', statusCode: '03', documentId: 'd2', description: 'vào sổ', at: 1200 },
            { deliveryId: 'v2', statusCode: '01', documentId: null, description: null, at: 1250 },
            { deliveryId: 'v0', statusCode: '04', documentId: null, description: null, at: 1300 },
          ],
          events: [
            { at: 1200, type: 'document:accepted', actor: 'sysA', documentId: 'd1', deliveryId: null, data: { n: 1 } },
            { at: 1300, type: 'delivery:acked', actor: 'sysB', documentId: 'd0', deliveryId: 'v0', data: { result: 'done' } },
          ],
          counters: [
            { day: '2026-01-02', agency: 'B', metric: 'received', by: 1 }, { day: '2026-01-02', agency: 'C', metric: 'received', by: 1 },
            { day: '2026-01-02', agency: 'B', metric: 'received', by: 1 }, { day: '2026-01-02', agency: 'A', metric: 'sent', by: 1 },
          ],
        });
        assert.deepEqual([(await store.getDocument('d1'))?.seq, (await store.getDocument('d2'))?.seq], [2, 3], 'documents numbered after the last, in order');
        assert.deepEqual((await store.getDocument('d1'))?.header, { x: 'é' });
        assert.equal(await store.documentIdByKey('k1b'), 'd1');
        assert.deepEqual(await store.documentLinks('d1'), [{ documentId: 'd1', relatedId: 'd0', relation: 'updates' }]);
        assert.deepEqual(Buffer.from((await store.inlineBlob('e'.repeat(64))) ?? []), Buffer.from(packet), 'one packet for both documents');
        assert.deepEqual((await store.deliveriesOfDocument('d1')).map((d) => [d.id, d.seq, d.state, d.businessStatus]), [['v1', 2, 'queued', null], ['v2', 3, 'done', '01']]);
        assert.ok((await store.overdueDeliveries({ within: null, now: 10_000, limit: 10 })).some((o) => o.delivery.id === 'v2'),
          'a batch\'s delivery carries its document\'s due date: arrived (01) but not finished by it is overdue');
        const v0 = await store.getDelivery('v0');
        assert.deepEqual([v0?.state, v0?.businessStatus, v0?.fetchedAt, v0?.ackedAt, v0?.overdue, v0?.seq], ['done', '03', 1050, 1060, true, 1]);
        assert.deepEqual((await store.statusHistory('v0')).map((s) => [s.seq, s.statusCode, s.documentId]), [[1, '01', null], [2, '03', 'd2'], [3, '04', null]]);
        assert.deepEqual((await store.statusHistory('v2')).map((s) => s.seq), [1]);
        const events = await store.events(0, 10);
        assert.deepEqual(events.map((e) => e.seq), [1, 2, 3]);
        assert.equal(events[1]?.prevHash, e0.hash);
        for (const e of events) assert.equal(e.hash, eventHash(e.prevHash, e), `event ${e.seq} hashes as appendEvent would`);
        assert.deepEqual(r, { lastEventSeq: 3, lastEventHash: events[2]?.hash });
        assert.deepEqual((await store.counters({})).map((c) => [c.agency, c.metric, c.value]), [['A', 'sent', 1], ['B', 'received', 3], ['C', 'received', 1]]);
        // A batch that fails in its middle (an update of a delivery that does not exist) leaves nothing behind.
        await assert.rejects(store.writeBatch({
          inlineBlobs: [], documents: [{ doc: doc('d3'), keys: ['k3'] }], links: [], deliveries: [], statuses: [], counters: [{ day: '2026-01-02', agency: 'A', metric: 'sent', by: 1 }],
          deliveryUpdates: [{ id: 'nope', state: 'done', attempts: 0, businessStatus: null, lastReason: null, fetchedAt: null, ackedAt: null, answerDueAt: null, overdue: false }],
          events: [{ at: 1400, type: 'x', actor: null, data: {} }],
        }));
        assert.equal(await store.getDocument('d3'), undefined);
        assert.equal(await store.documentIdByKey('k3'), undefined);
        assert.equal((await store.events(0, 10)).length, 3);
        assert.equal((await store.counters({})).find((c) => c.agency === 'A')?.value, 1);
      } finally { await close(); }
    });

    it('loads in bulk: what a session writes reads as the ordinary writes left it (rollups, word search, packet bytes), and its end puts everything back', async () => {
      const { store, close } = await open();
      try {
        await store.putAgencies([agency('000.00.00.H41', { level: 1 }), agency('000.00.15.H41', { level: 2, parent: '000.00.00.H41' })], 5);
        const within = '___.__.__.H41';
        const sums = async (): Promise<unknown> => [await store.counterSums({ fromDay: '2026-01-01', toDay: '2026-12-31', within }),
          await store.counterSums({ fromDay: '2026-01-01', toDay: '2026-12-31', within: null })];
        // Before the session, the ordinary way.
        await store.insertDocument(doc('d1', { fromAgency: '000.00.00.H41', subject: 'Kế hoạch một', receivedAt: 1000 }), []);
        await store.bumpCounter('2026-01-02', '000.00.15.H41', 'received', 2);
        await store.endBulkLoad();
        await store.beginBulkLoad();
        await store.beginBulkLoad();
        await store.writeBatch({
          inlineBlobs: [], links: [], deliveries: [delivery('v2', 'd2', '000.00.15.H41')], deliveryUpdates: [], statuses: [], events: [],
          documents: [{ doc: doc('d2', { fromAgency: '000.00.00.H41', subject: 'Kế hoạch hai', receivedAt: 2000, bytes: 30 }), keys: ['k2'] },
            { doc: doc('d3', { kind: 'status', statusCode: '03', answers: 'd1', subject: 'Kế hoạch ba', receivedAt: 2100, bytes: 5 }), keys: [] }],
          counters: [{ day: '2026-01-02', agency: '000.00.15.H41', metric: 'received', by: 3 }, { day: '2026-01-03', agency: '000.00.00.H41', metric: 'sent', by: 1 }],
        });
        await store.bumpCounter('2026-01-03', '000.00.00.H41', 'sent', 1);
        // What the session's reads need still answers: keys, documents by DocumentId, a document's deliveries.
        assert.equal(await store.documentIdByKey('k2'), 'd2');
        assert.equal((await store.findDocumentByEdxmlId('000.00.00.H41', doc('d2').edxmlId ?? ''))?.id, 'd2');
        assert.deepEqual((await store.deliveriesOfDocument('d2')).map((d) => d.id), ['v2']);
        await store.endBulkLoad();
        await store.endBulkLoad();
        assert.deepEqual(await sums(), [
          [{ day: '2026-01-02', level: 2, letter: 'H', metric: 'received', value: 5 }, { day: '2026-01-03', level: 1, letter: 'H', metric: 'sent', value: 2 }],
          [{ day: '2026-01-02', level: 2, letter: 'H', metric: 'received', value: 5 }, { day: '2026-01-03', level: 1, letter: 'H', metric: 'sent', value: 2 }],
        ]);
        assert.deepEqual((await store.searchDocuments({ within: null, text: 'Kế hoạch', limit: 10 })).map((d) => d.id), ['d2', 'd1'], 'edocs only, newest first');
        assert.equal((await store.storageSize()).packetBytes, 45);
        // The triggers are back: an ordinary write after the session reaches the rollups and the word index.
        await store.bumpCounter('2026-01-03', '000.00.00.H41', 'sent', 4);
        await store.insertDocument(doc('d4', { fromAgency: '000.00.00.H41', subject: 'Kế hoạch bốn', receivedAt: 3000 }), []);
        assert.equal((await store.counterSums({ fromDay: '2026-01-03', toDay: '2026-01-03', within: null }))[0]?.value, 6);
        assert.deepEqual((await store.searchDocuments({ within: null, text: 'Kế hoạch', limit: 10 })).map((d) => d.id), ['d4', 'd2', 'd1']);
        assert.equal((await store.storageSize()).packetBytes, 55);
      } finally { await close(); }
    });

    it('writes batches through its batch writer in order, each whole, seen by the store once written; a failing one rejects and leaves nothing', async () => {
      const { store, close } = await open();
      const writer = store.batchWriter();
      try {
        const empty = { inlineBlobs: [], links: [], deliveryUpdates: [], statuses: [], counters: [] };
        // Two batches handed over at once: the second's delivery update needs the first's delivery.
        const first = writer.write({ ...empty, documents: [{ doc: doc('w1', { header: { x: 'é' } }), keys: ['kw1'] }], deliveries: [delivery('wv1', 'w1', 'B')],
          events: [{ at: 1000, type: 'document:accepted', actor: 'sysA', documentId: 'w1', deliveryId: null, data: { n: 1 } }] });
        const second = writer.write({ ...empty, documents: [{ doc: doc('w2'), keys: [] }], deliveries: [],
          deliveryUpdates: [{ id: 'wv1', state: 'done', attempts: 0, businessStatus: '03', lastReason: null, fetchedAt: 1100, ackedAt: 1100, answerDueAt: 3000, overdue: false }],
          events: [{ at: 1100, type: 'delivery:acked', actor: 'sysB', documentId: 'w1', deliveryId: 'wv1', data: { result: 'done' } }],
          counters: [{ day: '2026-01-02', agency: 'A', metric: 'sent', by: 2 }] });
        assert.deepEqual([(await first).lastEventSeq, (await second).lastEventSeq], [1, 2]);
        assert.deepEqual((await store.getDocument('w1'))?.header, { x: 'é' });
        assert.deepEqual([(await store.getDocument('w2'))?.seq, (await store.getDelivery('wv1'))?.state, await store.documentIdByKey('kw1')], [2, 'done', 'w1']);
        const events = await store.events(0, 10);
        assert.deepEqual(events.map((e) => [e.type, e.data]), [['document:accepted', { n: 1 }], ['delivery:acked', { result: 'done' }]]);
        for (const e of events) assert.equal(e.hash, eventHash(e.prevHash, e), `event ${e.seq} chained as appendEvent would`);
        await assert.rejects(writer.write({ ...empty, documents: [{ doc: doc('w3'), keys: ['kw3'] }], deliveries: [], events: [],
          deliveryUpdates: [{ id: 'nope', state: 'done', attempts: 0, businessStatus: null, lastReason: null, fetchedAt: null, ackedAt: null, answerDueAt: null, overdue: false }] }));
        assert.equal(await store.getDocument('w3'), undefined);
        assert.equal(await store.documentIdByKey('kw3'), undefined);
        // The writer goes on after a refused batch.
        await writer.write({ ...empty, documents: [{ doc: doc('w4'), keys: [] }], deliveries: [], events: [] });
        assert.equal((await store.getDocument('w4'))?.seq, 3);
      } finally {
        await writer.close();
        await close();
      }
    });

    it('adds counters up per day, agency and metric', async () => {
      const { store, close } = await open();
      try {
        await store.bumpCounter('2026-11-23', 'A', 'sent', 1);
        await store.bumpCounter('2026-11-23', 'A', 'sent', 2);
        await store.bumpCounter('2026-11-24', 'B', 'received', 1);
        assert.deepEqual(await store.counters({ fromDay: '2026-11-23', toDay: '2026-11-23' }), [{ day: '2026-11-23', agency: 'A', metric: 'sent', value: 3 }]);
        assert.equal((await store.counters({ agencies: ['B'] })).length, 1);
      } finally { await close(); }
    });

    it('commits a transaction whole or not at all, and keeps others out while it runs', async () => {
      const { store, close } = await open();
      try {
        await assert.rejects(store.transaction(async (tx) => {
          await tx.insertDocument(doc('gone'), ['kgone']);
          await tx.appendEvent({ at: 1, type: 't', actor: null, data: {} });
          throw new Error('boom');
        }), /boom/);
        assert.equal(await store.getDocument('gone'), undefined);
        assert.equal(await store.documentIdByKey('kgone'), undefined);
        assert.deepEqual(await store.events(0, 10), []);
        let seenInside: DocumentRow | undefined = { id: 'sentinel' } as DocumentRow;
        const tx = store.transaction(async (t) => {
          await t.insertDocument(doc('slow'), []);
          await new Promise((r) => setTimeout(r, 20));
          throw new Error('rolled back');
        });
        const reader = store.getDocument('slow').then((d) => { seenInside = d; });
        await assert.rejects(tx);
        await reader;
        assert.equal(seenInside, undefined, 'a reader never sees an open transaction\'s rows');
        // Concurrent transactions (committed together by engines that group commits) stay independent.
        const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => store.transaction(async (tx) => {
          await tx.insertDocument(doc(`c${i}`), [`kc${i}`]);
          if (i % 3 === 0) throw new Error(`fail ${i}`);
          return i;
        })));
        results.forEach((r, i) => assert.equal(r.status, i % 3 === 0 ? 'rejected' : 'fulfilled', `transaction ${i}`));
        for (let i = 0; i < 20; i++) assert.equal((await store.getDocument(`c${i}`)) === undefined, i % 3 === 0, `document c${i}`);
        await assert.rejects(store.insertDocument(doc('dup'), ['same']).then(() => store.insertDocument(doc('dup2'), ['same'])));
        assert.equal(await store.getDocument('dup2'), undefined, 'a failed insert leaves no row');
      } finally { await close(); }
    });
    it('keeps console accounts, sessions, login failures and calendar days', async () => {
      const { store, close } = await open();
      try {
        const u = { username: 'lanhdao', role: 'leader' as const, scope: '000.00.00.H41', passwordHash: 'scrypt$1$2$3$s$h', state: 'active' as const, createdAt: 1, updatedAt: 1 };
        await store.putUser(u);
        await store.putUser({ ...u, username: 'a.ops', role: 'operator', scope: null });
        assert.deepEqual(await store.getUser('lanhdao'), u);
        assert.deepEqual((await store.listUsers()).map((x) => x.username), ['a.ops', 'lanhdao']);
        await store.putUser({ ...u, state: 'disabled', updatedAt: 2 });
        assert.equal((await store.getUser('lanhdao'))?.state, 'disabled');
        await store.putSession({ tokenHash: 't1', username: 'lanhdao', csrf: 'c', createdAt: 1, expiresAt: 9 });
        await store.putSession({ tokenHash: 't2', username: 'lanhdao', csrf: 'c', createdAt: 1, expiresAt: 9 });
        await store.putSession({ tokenHash: 't3', username: 'a.ops', csrf: 'c', createdAt: 1, expiresAt: 9 });
        assert.equal((await store.getSession('t1'))?.csrf, 'c');
        await store.deleteSessions({ tokenHash: 't1' });
        assert.equal(await store.getSession('t1'), undefined);
        await store.deleteSessions({ username: 'lanhdao' });
        assert.equal(await store.getSession('t2'), undefined);
        assert.ok(await store.getSession('t3'));
        await store.addLoginFailure('user:x', 10, 0);
        await store.addLoginFailure('user:x', 20, 0);
        assert.equal(await store.loginFailures('user:x', 15), 1);
        await store.addLoginFailure('user:x', 30, 15);
        assert.equal(await store.loginFailures('user:x', 0), 2, 'failures before forgetBefore were forgotten');
        await store.clearLoginFailures('user:x');
        assert.equal(await store.loginFailures('user:x', 0), 0);
        await store.putCalendarDay({ day: '2026-04-30', kind: 'off', note: null, updatedAt: 1 });
        await store.putCalendarDay({ day: '2026-05-09', kind: 'working', note: 'bù', updatedAt: 1 });
        await store.putCalendarDay({ day: '2026-04-30', kind: 'off', note: 'Giải phóng', updatedAt: 2 });
        assert.deepEqual((await store.calendarDays('2026-01-01', '2026-12-31')).map((d) => [d.day, d.kind, d.note]), [['2026-04-30', 'off', 'Giải phóng'], ['2026-05-09', 'working', 'bù']]);
        assert.equal(await store.deleteCalendarDay('2026-05-09'), true);
        assert.equal(await store.deleteCalendarDay('2026-05-09'), false);
      } finally { await close(); }
    });

    it('answers the console\'s reads within a scope pattern', async () => {
      const { store, close } = await open();
      try {
        await store.putAgencies([agency('000.00.00.H41', { level: 1 }), agency('000.00.15.H41', { level: 2, parent: '000.00.00.H41' }), agency('000.00.00.H24'),
          agency('000.00.00.H22', { state: 'merged', successor: '000.00.00.H41' })], 5);
        await store.putSystem({ id: 's1', name: 'S', tokenHash: 'h1', secret: 'x', state: 'active', pushUrl: null, vdxpStrict: false, createdAt: 1, updatedAt: 1 });
        await store.setSystemAgencies('s1', ['000.00.15.H41']);
        const within = '___.__.__.H41';
        await store.insertDocument(doc('d1', { fromAgency: '000.00.00.G22', subject: 'Về việc 100% kế hoạch', receivedAt: 1000, dueAt: 50_000 }), []);
        await store.insertDocument(doc('d2', { fromAgency: '000.00.00.G22', subject: 'Khác', receivedAt: 2000, codeNotation: 'UBND-VP' }), []);
        await store.insertDelivery(delivery('v1', 'd1', '000.00.15.H41', { answerDueAt: 3000 }));
        await store.insertDelivery(delivery('v2', 'd2', '000.00.00.H24', { answerDueAt: 3000 }));
        await store.insertDelivery(delivery('v3', 'd2', '000.00.00.H41', { answerDueAt: 3000, businessStatus: '03', state: 'done' }));
        await store.appendEvent({ at: 1000, type: 'document:accepted', actor: 'x', documentId: 'd1', data: {} });
        await store.bumpCounter('2026-01-02', '000.00.15.H41', 'received', 2);
        await store.bumpCounter('2026-01-02', '000.00.00.H24', 'received', 5);
        assert.deepEqual(await store.counterSums({ fromDay: '2026-01-01', toDay: '2026-12-31', within }), [{ day: '2026-01-02', level: 2, letter: 'H', metric: 'received', value: 2 }]);
        assert.equal((await store.counterSums({ fromDay: '2026-01-01', toDay: '2026-12-31', within: null })).reduce((n, r) => n + r.value, 0), 7);
        assert.deepEqual(await store.pendingCounts(within, 2999), { inFlight: 1, overdue: 0 });
        assert.deepEqual(await store.pendingCounts(within, 3000), { inFlight: 1, overdue: 1 });
        assert.deepEqual(await store.pendingCounts(null, 3000), { inFlight: 2, overdue: 2 }, 'v3 answered 03: not overdue');
        assert.deepEqual((await store.overdueDeliveries({ within, now: 3000, limit: 10 })).map((r) => [r.delivery.id, r.document.subject]), [['v1', 'Về việc 100% kế hoạch']]);
        assert.deepEqual((await store.overdueDeliveries({ within: null, now: 3000, fromAt: 1500, limit: 10 })).map((r) => r.delivery.id), ['v2']);
        assert.deepEqual((await store.searchDocuments({ within, limit: 10 })).map((d) => d.id), ['d2', 'd1'], 'd2 reached H41 too, newest first');
        assert.deepEqual((await store.searchDocuments({ within: null, text: '100%', limit: 10 })).map((d) => d.id), ['d1'], '% is the text, not a wildcard');
        assert.deepEqual((await store.searchDocuments({ within: null, text: 'UBND-VP', limit: 10 })).map((d) => d.id), ['d2']);
        assert.deepEqual((await store.searchDocuments({ within: null, agency: '000.00.00.H24', limit: 10 })).map((d) => d.id), ['d2']);
        assert.deepEqual((await store.searchDocuments({ within: null, text: 'ubnd-vp', limit: 10 })).map((d) => d.id), ['d2'], 'ASCII case aside');
        assert.deepEqual((await store.searchDocuments({ within: null, text: 'kế hoạch', limit: 10 })).map((d) => d.id), ['d1']);
        assert.deepEqual((await store.searchDocuments({ within: null, text: 'X', limit: 10 })).map((d) => d.id), ['d2', 'd1'], 'one letter: every notation X');
        const d2seq = (await store.getDocument('d2'))?.seq ?? 0;
        assert.deepEqual((await store.searchDocuments({ within: null, text: '2026/11/23', beforeSeq: d2seq, limit: 10 })).map((d) => d.id), ['d1'], 'the next page');
        assert.deepEqual((await store.searchDocuments({ within: null, text: '2026/11/23', limit: 1 })).map((d) => d.id), ['d2'], 'newest first, cut at the limit');
        assert.deepEqual((await store.searchDocuments({ within, text: 'Khác', limit: 10 })).map((d) => d.id), ['d2'], 'words within a scope');
        assert.deepEqual((await store.searchDocuments({ within: null, text: 'Khác', agency: '000.00.00.H41', fromAt: 2000, toAt: 2001, limit: 10 })).map((d) => d.id), ['d2']);
        assert.deepEqual((await store.searchDocuments({ within: null, text: 'Khác', fromAt: 2001, limit: 10 })).map((d) => d.id), []);
        assert.equal(await store.documentWithin('d1', '___.__.__.H24'), false);
        assert.equal(await store.documentWithin('d2', '___.__.__.H24'), true);
        assert.deepEqual((await store.documentEvents('d1', 10)).map((e) => e.type), ['document:accepted']);
        assert.deepEqual((await store.searchAgencies({ within, limit: 10 })).map((a) => a.code), ['000.00.00.H41', '000.00.15.H41']);
        assert.deepEqual((await store.searchAgencies({ within: null, text: 'H2', limit: 10 })).map((a) => a.code), ['000.00.00.H22', '000.00.00.H24']);
        assert.deepEqual((await store.searchAgencies({ within: null, afterCode: '000.00.00.H41', limit: 10 })).map((a) => a.code), ['000.00.15.H41']);
        assert.deepEqual(await store.connectedCounts(within), { agencies: 2, connected: 1 });
        assert.deepEqual((await store.agencyPredecessors('000.00.00.H41')).map((a) => a.code), ['000.00.00.H22']);
        assert.deepEqual(await store.deliveryStateCounts(), { done: 1, queued: 2 });
        await store.bumpCounter('2026-01-03', '000.00.00.H41', 'received', 1);
        await store.bumpCounter('2026-02-01', '000.00.00.H41', 'received', 9);
        assert.deepEqual(await store.counterTopAgencies({ fromDay: '2026-01-01', toDay: '2026-01-31', within: null, metric: 'received', limit: 2 }),
          [{ agency: '000.00.00.H24', value: 5 }, { agency: '000.00.15.H41', value: 2 }], 'largest first, February left out, cut at the limit');
        assert.deepEqual(await store.counterTopAgencies({ fromDay: '2026-01-01', toDay: '2026-01-31', within, metric: 'received', limit: 5 }),
          [{ agency: '000.00.15.H41', value: 2 }, { agency: '000.00.00.H41', value: 1 }]);
        await store.addStatus({ deliveryId: 'v3', statusCode: '01', documentId: null, description: null, at: 2200 });
        await store.addStatus({ deliveryId: 'v3', statusCode: '03', documentId: null, description: null, at: 2500 });
        await store.addStatus({ deliveryId: 'v3', statusCode: '06', documentId: null, description: null, at: 4000 });
        await store.addStatus({ deliveryId: 'v3', statusCode: '06', documentId: null, description: null, at: 4100 });
        assert.deepEqual(await store.answerTimes({ within: null, fromAt: 0, toAt: 10_000, limit: 10 }), [
          { deliveryId: 'v3', recipient: '000.00.00.H41', receivedAt: 2000, acceptedAt: 2200, finishedAt: 4000 },
          { deliveryId: 'v2', recipient: '000.00.00.H24', receivedAt: 2000, acceptedAt: null, finishedAt: null },
          { deliveryId: 'v1', recipient: '000.00.15.H41', receivedAt: 1000, acceptedAt: null, finishedAt: null }], 'newest first');
        assert.deepEqual((await store.answerTimes({ within: null, fromAt: 0, toAt: 10_000, limit: 2 })).map((r) => r.deliveryId), ['v3', 'v2'], 'a limit keeps the newest');
        assert.deepEqual((await store.answerTimes({ within: '000.00.15.H41', fromAt: 0, toAt: 10_000, limit: 10 })).map((r) => r.deliveryId), ['v1'], 'one agency by its code');
        assert.deepEqual((await store.answerTimes({ within, fromAt: 1500, toAt: 10_000, limit: 10 })).map((r) => r.deliveryId), ['v3'], 'scope and the receipt window both hold');
        // The nationwide sums come from the rollup the counters' triggers keep: they equal the per-agency counters summed.
        await store.bumpCounter('2026-01-02', '000.00.15.H41', 'received', 3);
        await store.bumpCounter('2026-01-02', '000.00.00.X99', 'sent', 4);
        await store.transaction(async (tx) => { await tx.bumpCounter('2026-01-04', '000.00.00.H24', 'sent', 6); });
        await assert.rejects(store.transaction(async (tx) => { await tx.bumpCounter('2026-01-04', '000.00.00.H24', 'sent', 100); throw new Error('rolled back'); }));
        const key = (r: { day: string; level: number | null; letter: string; metric: string }): string => `${r.day} ${r.metric} ${r.level} ${r.letter}`;
        const expected = new Map<string, { day: string; level: number | null; letter: string; metric: string; value: number }>();
        for (const c of await store.counters({ fromDay: '2026-01-01', toDay: '2026-12-31' })) {
          const r = { day: c.day, level: (await store.getAgency(c.agency))?.level ?? null, letter: c.agency.slice(-3, -2), metric: c.metric, value: 0 };
          const e = expected.get(key(r)) ?? r;
          e.value += c.value;
          expected.set(key(r), e);
        }
        const national = await store.counterSums({ fromDay: '2026-01-01', toDay: '2026-12-31', within: null });
        assert.deepEqual([...national].sort((x, y) => key(x).localeCompare(key(y))), [...expected.values()].sort((x, y) => key(x).localeCompare(key(y))));
        assert.ok(national.some((r) => r.letter === 'X' && r.level === null && r.value === 4), 'an agency not in the registry: level unknown');
        assert.equal(national.filter((r) => r.metric === 'sent' && r.letter === 'H').reduce((n, r) => n + r.value, 0), 6, 'the rolled-back bump left nothing in the rollup');
      } finally { await close(); }
    });

    it('counts open deliveries only, by the overdue rule, as their answers change', async () => {
      const { store, close } = await open();
      try {
        await store.insertDocument(doc('e1', { receivedAt: 1000, dueAt: 10_000 }), []);
        await store.insertDocument(doc('e2', { receivedAt: 1000 }), []);
        await store.transaction(async (tx) => {
          await tx.insertDelivery(delivery('a', 'e1', 'R', { createdAt: 1001 }));
          await tx.insertDelivery(delivery('b', 'e1', 'R', { createdAt: 1002, state: 'done', businessStatus: '03' }));
          await tx.insertDelivery(delivery('c', 'e1', 'R', { createdAt: 1003, state: 'done', businessStatus: '06' }));
          await tx.insertDelivery(delivery('d', 'e2', 'R', { createdAt: 1004, state: 'done' }));
          await tx.insertDelivery(delivery('e', 'e2', 'R', { createdAt: 1005, state: 'done', businessStatus: '03' }));
          await tx.insertDelivery(delivery('f', 'e2', 'R', { createdAt: 1006, state: 'expired' }));
        });
        assert.deepEqual(await store.pendingCounts(null, 2999), { inFlight: 1, overdue: 0 });
        assert.deepEqual(await store.pendingCounts(null, 3000), { inFlight: 1, overdue: 2 }, 'a unanswered, d acknowledged but never accepted');
        assert.deepEqual(await store.pendingCounts(null, 10_000), { inFlight: 1, overdue: 3 }, 'b accepted but not finished by the due date');
        assert.deepEqual((await store.overdueDeliveries({ within: null, now: 10_000, limit: 10 })).map((r) => r.delivery.id), ['a', 'b', 'd']);
        assert.deepEqual((await store.overdueCandidates(10_000, 10)).map((r) => r.id), ['a', 'b', 'd']);
        assert.equal(await store.setDeliveryIf('b', { states: ['done'], businessStatus: '03' }, { businessStatus: '06' }), true);
        assert.equal(await store.setDeliveryIf('a', { states: ['queued'] }, { state: 'done', businessStatus: '03' }), true);
        assert.deepEqual(await store.pendingCounts(null, 10_000), { inFlight: 0, overdue: 2 }, 'a accepted, yet past its document\'s due date; b finished');
        assert.deepEqual((await store.overdueDeliveries({ within: 'R', now: 10_000, limit: 1 })).map((r) => r.delivery.id), ['a'], 'oldest first, cut at the limit');
      } finally { await close(); }
    });

    it('keeps the day counters per scope exact: every scope\'s sums equal its agencies\' counters', async () => {
      const { store, close } = await open();
      try {
        await store.putAgencies([agency('000.00.00.H41', { level: 1 }), agency('000.00.15.H41', { level: 2 }), agency('000.03.15.H41', { level: 3 }),
          agency('001.03.15.H41', { level: 4 }), agency('000.03.00.H41', { level: 3 }), agency('000.00.00.G05', { level: 1 }), agency('000.00.07.G05', { level: 2 })], 5);
        const codes = ['000.00.00.H41', '000.00.15.H41', '000.03.15.H41', '001.03.15.H41', '000.03.00.H41', '000.00.00.G05', '000.00.07.G05',
          '000.00.16.H41', 'H41.15', 'free-code', '000.00.00.X99'];
        for (let i = 0; i < 70; i++) {
          const bump = [`2026-01-0${1 + (i % 5)}`, codes[i % codes.length] ?? '', ['sent', 'received', 'overdue'][i % 3] ?? '', 1 + (i % 4)] as const;
          if (i % 2 === 0) await store.bumpCounter(...bump);
          else await store.transaction(async (tx) => { await tx.bumpCounter(...bump); await tx.bumpCounter(bump[0], bump[1], bump[2], 1); });
        }
        await assert.rejects(store.transaction(async (tx) => { await tx.bumpCounter('2026-01-01', '000.00.15.H41', 'sent', 1000); throw new Error('rolled back'); }));
        const key = (r: { day: string; level: number | null; letter: string; metric: string }): string => `${r.day} ${r.metric} ${r.level} ${r.letter}`;
        const all = await store.counters({});
        for (const scope of ['000.00.00.H41', '000.00.15.H41', '000.03.15.H41', '001.03.15.H41', '000.03.00.H41', '000.00.00.G05', '000.00.07.G05', 'H41', '000.00.00.X99']) {
          const expected = new Map<string, { day: string; level: number | null; letter: string; metric: string; value: number }>();
          for (const c of all.filter((x) => inScope(scope, x.agency))) {
            const r = { day: c.day, level: (await store.getAgency(c.agency))?.level ?? null, letter: c.agency.slice(-3, -2), metric: c.metric, value: 0 };
            const e = expected.get(key(r)) ?? r;
            e.value += c.value;
            expected.set(key(r), e);
          }
          const got = await store.counterSums({ fromDay: '2026-01-01', toDay: '2026-12-31', within: scopePattern(scope) });
          assert.ok(got.length > 0, scope);
          assert.deepEqual([...got].sort((x, y) => key(x).localeCompare(key(y))), [...expected.values()].sort((x, y) => key(x).localeCompare(key(y))), scope);
          // The overview's two sums: per day and metric, per level, letter and metric, for the metrics asked only.
          const metrics = ['sent', 'overdue'];
          const byDay = new Map<string, number>();
          const byGroup = new Map<string, number>();
          for (const e of expected.values()) {
            if (!metrics.includes(e.metric)) continue;
            byDay.set(`${e.day} ${e.metric}`, (byDay.get(`${e.day} ${e.metric}`) ?? 0) + e.value);
            byGroup.set(`${e.level} ${e.letter} ${e.metric}`, (byGroup.get(`${e.level} ${e.letter} ${e.metric}`) ?? 0) + e.value);
          }
          const totals = await store.counterTotals({ fromDay: '2026-01-01', toDay: '2026-12-31', within: scopePattern(scope), metrics });
          assert.deepEqual(new Map(totals.days.map((d) => [`${d.day} ${d.metric}`, d.value])), byDay, `${scope}: per day`);
          assert.deepEqual(new Map(totals.groups.map((g) => [`${g.level} ${g.letter} ${g.metric}`, g.value])), byGroup, `${scope}: per level`);
          assert.deepEqual(totals.days.map((d) => d.day), [...totals.days.map((d) => d.day)].sort(), 'days in order');
        }
        const cut = await store.counterTotals({ fromDay: '2026-01-02', toDay: '2026-01-03', within: null, metrics: ['received'] });
        assert.deepEqual([...new Set(cut.days.map((d) => d.day))], ['2026-01-02', '2026-01-03'], 'the span only');
        assert.ok(cut.days.every((d) => d.metric === 'received') && cut.groups.length > 0);
      } finally { await close(); }
    });

    it('keeps each system\'s activity per hour: calls and refusals add up, the latest call wins', async () => {
      const { store, close } = await open();
      try {
        const H = 3600_000;
        for (const id of ['s1', 's2', 's3']) {
          await store.putSystem({ id, name: id, tokenHash: `h-${id}`, secret: 's', state: 'active', pushUrl: null, vdxpStrict: false, createdAt: 1, updatedAt: 1 });
        }
        await store.setSystemAgencies('s1', ['000.00.00.H41']);
        await store.setSystemAgencies('s2', ['000.00.15.H41', '000.00.00.H24']);
        await store.setSystemAgencies('s3', ['000.00.00.G01']);
        await store.addSystemActivity({ systemId: 's1', hourAt: 10 * H, calls: 3, refusals: 1, lastAt: 10 * H + 500, protocol: 'native' });
        // A second node's tally for the same hour adds to it; an older call does not move the last seen back.
        await store.addSystemActivity({ systemId: 's1', hourAt: 10 * H, calls: 2, refusals: 0, lastAt: 10 * H + 100, protocol: 'vdxp' });
        await store.addSystemActivity({ systemId: 's1', hourAt: 12 * H, calls: 1, refusals: 1, lastAt: 12 * H + 7, protocol: 'vdxp' });
        await store.addSystemActivity({ systemId: 's2', hourAt: 2 * H, calls: 4, refusals: 0, lastAt: 2 * H + 9, protocol: 'native' });
        assert.deepEqual(await store.systemActivity(10 * H + 30), [
          { systemId: 's1', lastAt: 12 * H + 7, protocol: 'vdxp', calls: 6, refusals: 2 },
          { systemId: 's2', lastAt: 2 * H + 9, protocol: 'native', calls: 0, refusals: 0 },
          { systemId: 's3', lastAt: null, protocol: null, calls: 0, refusals: 0 },
        ], 'counted from the hour holding sinceAt; s2 seen before it, s3 never');
        assert.deepEqual((await store.systemActivity(11 * H)).map((a) => [a.systemId, a.calls]), [['s1', 1], ['s2', 0], ['s3', 0]]);
        assert.deepEqual(await store.activeSystemCounts(null, 10 * H), { systems: 3, active: 1 });
        assert.deepEqual(await store.activeSystemCounts(null, 0), { systems: 3, active: 2 });
        assert.deepEqual(await store.activeSystemCounts('___.__.__.H41', 0), { systems: 2, active: 2 });
        assert.deepEqual(await store.activeSystemCounts('___.__.__.H41', 12 * H + 8), { systems: 2, active: 0 }, 'a call before sinceAt in its hour does not count');
        assert.deepEqual(await store.activeSystemCounts('___.__.__.G01', 0), { systems: 1, active: 0 });
        const size0 = await store.storageSize();
        assert.ok(size0.databaseBytes > 0);
        assert.equal(size0.packetBytes, 0);
        await store.insertDocument(doc('sz1', { bytes: 700 }), []);
        await store.insertDocument(doc('sz2', { bytes: 40, edxmlId: 'other' }), []);
        assert.equal((await store.storageSize()).packetBytes, 740);
      } finally { await close(); }
    });

    it('searches one agency\'s documents newest first, page by page, with the other terms, as a brute filter would', async () => {
      const { store, close } = await open();
      try {
        // 40 documents: X sends every third, receives every second (twice over on some), others pass between others;
        // every fifth is a status; subjects alternate so a word drops some of X's documents from a window.
        const want: { id: string; seq: number; subject: string }[] = [];
        await store.transaction(async (tx) => {
          for (let i = 0; i < 40; i++) {
            const kind = i % 5 === 4 ? 'status' : 'edoc';
            const subject = i % 4 < 2 ? `alpha ${i}` : `beta ${i}`;
            const d = await tx.insertDocument(doc(`s${i}`, { kind, subject, fromAgency: i % 3 === 0 ? 'X' : 'Y', receivedAt: 1000 + i }), []);
            const to = i % 2 === 0 ? ['X', 'Z'] : ['Z'];
            if (i % 8 === 0) to.push('X');
            for (const [r, a] of to.entries()) await tx.insertDelivery(delivery(`s${i}-${r}`, d.id, a, { kind }));
            if (kind === 'edoc' && (i % 3 === 0 || i % 2 === 0)) want.push({ id: d.id, seq: d.seq, subject });
          }
        });
        want.reverse();
        for (const text of [undefined, 'alpha']) {
          const all = want.filter((w) => text === undefined || w.subject.includes(text)).map((w) => w.id);
          for (const limit of [1, 3, 7, 100]) {
            const pages: string[] = [];
            let before: number | undefined;
            for (;;) {
              const page = await store.searchDocuments({ within: null, agency: 'X', limit, ...(text ? { text } : {}), ...(before !== undefined ? { beforeSeq: before } : {}) });
              assert.ok(page.length <= limit);
              pages.push(...page.map((d) => d.id));
              if (page.length < limit) break;
              before = page[page.length - 1]!.seq;
            }
            assert.deepEqual(pages, all, `text ${text ?? '-'}, ${limit} a page`);
          }
        }
        assert.deepEqual((await store.searchDocuments({ within: null, agency: 'X', fromAt: 1030, toAt: 1036, limit: 2 })).map((d) => d.id), ['s33', 's32'], 'dates too');
        assert.deepEqual((await store.searchDocuments({ within: 'Q%', agency: 'X', limit: 5 })).map((d) => d.id), [], 'and the account\'s scope');
        assert.deepEqual((await store.searchDocuments({ within: null, agency: 'nobody', limit: 5 })).map((d) => d.id), []);
      } finally { await close(); }
    });

    it('keeps the nationwide totals (active, connected agencies) equal to counting them, through every registry change, and rolls them back', async () => {
      const { store, close } = await open();
      try {
        // What connectedCounts(null) must equal: the registry's active agencies, and those of them a system names.
        const counted = async (): Promise<{ agencies: number; connected: number }> => {
          const active = (await store.listAgencies({ limit: 1000, includeDeleted: true })).filter((a) => !a.deleted && a.state === 'active').map((a) => a.code);
          const served = new Set<string>();
          for (const s of await store.listSystems()) for (const a of await store.systemAgencies(s.id)) served.add(a);
          return { agencies: active.length, connected: active.filter((a) => served.has(a)).length };
        };
        const check = async (want: { agencies: number; connected: number }, why: string): Promise<void> => {
          assert.deepEqual(await counted(), want, `the brute count: ${why}`);
          assert.deepEqual(await store.connectedCounts(null), want, why);
        };
        await check({ agencies: 0, connected: 0 }, 'empty');
        const sys = (id: string): Parameters<Store['putSystem']>[0] => ({ id, name: id, tokenHash: `h-${id}`, secret: 's', state: 'active', pushUrl: null, vdxpStrict: false, createdAt: 1, updatedAt: 1 });
        await store.putSystem(sys('s1'));
        await store.putSystem(sys('s2'));
        // A system may name a code before the registry has it: it connects when the agency arrives.
        await store.setSystemAgencies('s1', ['A', 'B', 'Z']);
        await check({ agencies: 0, connected: 0 }, 'no agency yet');
        await store.putAgencies([agency('A'), agency('B'), agency('C'), agency('D', { state: 'suspended' }), agency('E', { deleted: true })], 10);
        await check({ agencies: 3, connected: 2 }, 'A, B, C active; A, B served');
        await store.setSystemAgencies('s2', ['B', 'C', 'D']);
        await check({ agencies: 3, connected: 3 }, 'B served twice counts once; D is not active');
        await store.setSystemAgencies('s1', ['A']);
        await check({ agencies: 3, connected: 3 }, 'B still served by s2');
        await store.setSystemAgencies('s2', ['D']);
        await check({ agencies: 3, connected: 1 }, 'B and C lost their last system');
        await store.putAgencies([agency('D'), agency('A', { state: 'merged', successor: 'C' }), agency('Z')], 20);
        await check({ agencies: 4, connected: 1 }, 'D active and served; A merged; Z arrives, no longer named');
        await store.putAgencies([agency('D', { deleted: true })], 30);
        await check({ agencies: 3, connected: 0 }, 'D deleted');
        await assert.rejects(store.transaction(async (tx) => {
          await tx.setSystemAgencies('s1', ['B', 'C', 'Z']);
          await tx.putAgencies([agency('Y')], 40);
          throw new Error('boom');
        }), /boom/);
        await check({ agencies: 3, connected: 0 }, 'a rolled-back transaction leaves them as they were');
        await store.setSystemAgencies('s1', ['B', 'C', 'Z']);
        await check({ agencies: 3, connected: 3 }, 'B, C, Z');
      } finally { await close(); }
    });

    it('keeps an agency\'s history: its own changes and those naming it as successor, in order, rolled back with their transaction', async () => {
      const { store, close } = await open();
      try {
        const e = (code: string, kind: 'added' | 'renamed' | 'merged' | 'dissolved', at: number, extra: Partial<{ name: string; oldName: string; successor: string; effective: number }> = {}) => ({
          code, kind, at, effective: extra.effective ?? null, name: extra.name ?? null, oldName: extra.oldName ?? null, successor: extra.successor ?? null, actor: 'op',
        });
        await store.addAgencyHistory(e('A', 'added', 10, { name: 'Old A' }));
        await store.addAgencyHistory(e('B', 'added', 11, { name: 'B' }));
        await store.addAgencyHistory(e('A', 'renamed', 20, { name: 'New A', oldName: 'Old A' }));
        await store.addAgencyHistory(e('B', 'merged', 30, { successor: 'A', effective: 25, name: 'B' }));
        await assert.rejects(store.transaction(async (tx) => { await tx.addAgencyHistory(e('A', 'dissolved', 40)); throw new Error('rolled back'); }));
        const a = await store.agencyHistory('A', 10);
        assert.deepEqual(a.map((x) => [x.code, x.kind, x.at, x.effective, x.name, x.oldName, x.successor, x.actor]), [
          ['A', 'added', 10, null, 'Old A', null, null, 'op'], ['A', 'renamed', 20, null, 'New A', 'Old A', null, 'op'], ['B', 'merged', 30, 25, 'B', null, 'A', 'op']]);
        assert.deepEqual((await store.agencyHistory('B', 10)).map((x) => x.kind), ['added', 'merged']);
        assert.deepEqual((await store.agencyHistory('A', 2)).map((x) => x.kind), ['added', 'renamed'], 'cut at the limit');
      } finally { await close(); }
    });
  });
}
