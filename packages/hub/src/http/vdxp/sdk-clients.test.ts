// The VDXP API against clients that behave as SDKVXP 2.0.1 really runs: local time in any zone, one service
// object (one timestamp, so one signature per set of inputs) reused for many calls over more than the replay
// window, on a lenient system (the default); what a captured call can and cannot do when replayed; and a
// strict system refusing that reuse while taking a client that signs each call fresh in Việt Nam time.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addSystem, mergeAgency, setSystemVdxpStrict } from '../../registry.ts';
import { edoc, listen, startTestHub, type TestHub } from '../../../test-support/testkit.ts';
import { SdkServiceObject, sdkTimestamp } from '../../../test-support/sdk-test-client.ts';
import type { CallResult, Json } from '../../../test-support/vdxp-test-client.ts';

let t: TestHub;
let url: string;
let close: () => Promise<void>;
let windowMs: number;

before(async () => {
  t = await startTestHub();
  const s = await listen(t.hub);
  url = s.url;
  close = async () => { await s.app.close(); await t.close(); };
  windowMs = t.hub.ctx.limits.vdxpReplayWindowSeconds * 1000;
});
after(async () => close());

const SECRETS: Record<string, string> = { 'sys.gov': 'gov-secret', 'sys.mof': 'mof-secret', 'sys.nghean': 'nghean-secret', 'sys.caobang': 'caobang-secret' };

/** A service object made now (the hub's clock stands for the client machine's, set right but in `zone`). */
function sdk(systemId: string, timeZone: string): SdkServiceObject {
  return new SdkServiceObject({ endpoint: url, systemId, secret: SECRETS[systemId] ?? assert.fail(systemId), madeAt: t.clock.now(), timeZone });
}

function ok(r: CallResult): Json {
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json['status'], 'OK', JSON.stringify(r.json));
  return r.json;
}

function refused(r: CallResult, code: string): void {
  assert.equal(r.json['status'], 'FAIL', JSON.stringify(r.json));
  assert.equal(r.json['ErrorCode'], code, JSON.stringify(r.json));
}

interface Received { docId: string; from: string; to: string; status: string }

describe('the SDK\'s timestamp', () => {
  it('is the machine\'s local wall-clock time in its own zone, written without the zone', () => {
    const at = Date.UTC(2026, 10, 23, 1, 0, 0, 250);
    assert.equal(sdkTimestamp(at, 'UTC'), '23112026T010000+0250');
    assert.equal(sdkTimestamp(at, 'Asia/Ho_Chi_Minh'), '23112026T080000+0250');
    assert.equal(sdkTimestamp(at, 'Pacific/Kiritimati'), '23112026T150000+0250', 'UTC+14');
    assert.equal(sdkTimestamp(at, 'America/Los_Angeles'), '22112026T170000+0250', 'UTC-8 in November, the day before');
  });
});

// Each zone's clock is 7 hours (UTC), 0, 7 hours the other way, or 15 hours off Việt Nam time as the hub reads it.
const ZONES = ['UTC', 'Asia/Ho_Chi_Minh', 'Pacific/Kiritimati', 'America/Los_Angeles'];
const ROUNDS = 7;
const ROUND_MS = 60_000;

describe('SDKVXP 2.0.1 with one service object for the life of its gateway, on a lenient system (the default)', () => {
  for (const zone of ZONES) {
    it(`sends, lists, gets, acknowledges and reads lists, counts and agencies from a clock in ${zone}, for ${ROUNDS} minutes`, async () => {
      const made = t.clock.now();
      const gov = sdk('sys.gov', zone);
      const nghean = sdk('sys.nghean', zone);
      const countSignatures = new Set<string | undefined>();
      for (let round = 0; round < ROUNDS; round++) {
        const packet = await edoc('000.00.00.G22', ['000.00.00.H41']);
        const docId = String(ok(await gov.sendEdoc(packet, '000.00.00.G22'))['DocId']);

        const count = await nghean.countReceiveEdoc();
        assert.equal(ok(count)['count'], 1);
        countSignatures.add(count.sent['XroadVnpt-hash-header']);
        const list = ok(await nghean.getReceivedEdocList('edoc'))['data'] as Received[];
        assert.deepEqual(list.map((i) => [i.from, i.to, i.status]), [['000.00.00.G22', '000.00.00.H41', 'pending']]);
        const item = list[0] ?? assert.fail('listed');
        assert.deepEqual(Buffer.from(String(ok(await nghean.getEdoc(item.docId))['data']), 'base64'), packet, 'the stored packet, without the SDK\'s CRLF');
        ok(await nghean.updateStatus(item.docId, 'done'));
        assert.deepEqual(ok(await nghean.getReceivedEdocList('edoc'))['data'], []);

        const sent = ok(await gov.getSentEdocList('edoc', docId))['data'] as Json[];
        assert.deepEqual(sent.map((r) => [r['receiverDocId'], r['sendStatus']]), [[item.docId, 'done']]);
        assert.equal(ok(await gov.countReceiveStatus())['count'], 0);
        const agencies = ok(await gov.getAgenciesList())['data'] as Json[];
        assert.ok(agencies.some((a) => a['code'] === '000.00.00.H41'));
        t.clock.advance(ROUND_MS);
      }
      assert.ok(t.clock.now() - made > windowMs, 'the object outlived the replay window');
      assert.equal(countSignatures.size, 1, 'every count carried the one signature the object was made with');
      assert.equal([...countSignatures][0]?.length, 64);
    });
  }
});

describe('what a captured call can and cannot do when replayed (lenient system)', () => {
  it('refuses a timestamp later than any clock on earth shows, so no signature waits unseen to become fresh', async () => {
    const ahead = new SdkServiceObject({ endpoint: url, systemId: 'sys.gov', secret: 'gov-secret', madeAt: t.clock.now() + 24 * 3600 * 1000, timeZone: 'UTC' });
    refused(await ahead.countReceiveEdoc(), 'VDXP_E_VDXP_TIMESTAMP');
    const kiritimati = new SdkServiceObject({ endpoint: url, systemId: 'sys.gov', secret: 'gov-secret', madeAt: t.clock.now() + windowMs, timeZone: 'Pacific/Kiritimati' });
    ok(await kiritimati.countReceiveEdoc());
  });

  it('sendEdoc: the same bytes give the same DocId and no second document; other bytes are refused, nothing stored', async () => {
    const gov = sdk('sys.gov', 'Asia/Ho_Chi_Minh');
    const packet = await edoc('000.00.00.G22', ['000.00.00.H14']);
    const first = await gov.sendEdoc(packet, '000.00.00.G22');
    const docId = ok(first)['DocId'];
    const sentBefore = (await t.hub.ctx.store.listSentDocuments('sys.gov', { limit: 10_000 })).length;
    t.clock.advance(2 * windowMs);
    const body = Buffer.concat([packet, Buffer.from('\r\n')]);
    assert.equal(ok(await gov.send('sendEdoc', first.sent, body))['DocId'], docId);
    const other = await edoc('000.00.00.G22', ['000.00.00.H14']);
    refused(await gov.send('sendEdoc', first.sent, other), 'VDXP_E_VDXP_HASH_FILE');
    assert.equal((await t.hub.ctx.store.listSentDocuments('sys.gov', { limit: 10_000 })).length, sentBefore);
    assert.equal(ok(await sdk('sys.caobang', 'UTC').countReceiveEdoc())['count'], 1, 'one delivery, not two');
  });

  it('getEdoc and updateStatus act on the docId and status they were signed for, and again change nothing', async () => {
    const caobang = sdk('sys.caobang', 'UTC');
    const [item] = ok(await caobang.getReceivedEdocList('edoc'))['data'] as Received[];
    assert.ok(item);
    const get = await caobang.getEdoc(item.docId);
    const packet = ok(get)['data'];
    const processing = await caobang.updateStatus(item.docId, 'processing');
    ok(processing);
    ok(await caobang.send('updateStatus', processing.sent, '{}'));
    const events = await t.hub.ctx.store.events(0, 100_000);
    assert.equal(events.filter((e) => e.type === 'delivery:processing' && e.deliveryId === item.docId).length, 1, 'processing again is a no-op');

    // A captured signature cannot be pointed at another delivery or turned into another status.
    refused(await caobang.send('updateStatus', { ...processing.sent, 'XroadVnpt-status': 'done' }, '{}'), 'VDXP_E_VDXP_UNSIGNED_HEADER');
    refused(await caobang.send('getEdoc', { ...get.sent, 'XroadVnpt-docId': 'another-delivery' }, '{}'), 'VDXP_E_VDXP_UNSIGNED_HEADER');

    const done = await caobang.updateStatus(item.docId, 'done');
    ok(done);
    const acked = (await t.hub.ctx.store.events(0, 100_000)).filter((e) => e.type === 'delivery:acked' && e.deliveryId === item.docId).length;
    t.clock.advance(2 * windowMs);
    ok(await caobang.send('updateStatus', done.sent, '{}'));
    assert.equal((await t.hub.ctx.store.getDelivery(item.docId))?.state, 'done');
    assert.equal((await t.hub.ctx.store.events(0, 100_000)).filter((e) => e.type === 'delivery:acked' && e.deliveryId === item.docId).length, acked, 'done again records nothing');
    assert.equal(ok(await caobang.send('getEdoc', get.sent, '{}'))['data'], packet, 'getEdoc again gives what the channel already carried');
    assert.equal((await t.hub.ctx.store.getDelivery(item.docId))?.state, 'done');
  });

  it('updateStatus fail again, on a delivery queued again and not handed out since, is a no-op answered OK', async () => {
    const nghean = sdk('sys.nghean', 'UTC');
    ok(await sdk('sys.gov', 'UTC').sendEdoc(await edoc('000.00.00.G22', ['000.00.15.H41']), '000.00.00.G22'));
    const [item] = ok(await nghean.getReceivedEdocList('edoc'))['data'] as Received[];
    assert.ok(item);
    ok(await nghean.getEdoc(item.docId));
    const fail = await nghean.updateStatus(item.docId, 'fail');
    ok(fail);
    ok(await nghean.send('updateStatus', fail.sent, '{}'));
    assert.equal((await t.hub.ctx.store.getDelivery(item.docId))?.attempts, 1);
  });

  it('registerAgency needs a signature of its own: a transplanted or reused one is refused, a retry with a new one changes nothing', async () => {
    const unit = { pcode: '000.00.00.H41', code: '000.00.41.H41', name: 'UBND xã Thử Một' };
    const version = async (): Promise<number> => t.hub.ctx.store.registryVersion();
    const start = await version();

    // Its JSON body is signed nowhere: a captured count signature must not register anything with it.
    const vn = sdk('sys.nghean', 'Asia/Ho_Chi_Minh');
    const count = await vn.countReceiveEdoc();
    ok(count);
    refused(await vn.send('registerAgency', count.sent, JSON.stringify(unit)), 'VDXP_E_VDXP_REPLAY');
    const utc = sdk('sys.nghean', 'UTC');
    const utcCount = await utc.countReceiveEdoc();
    ok(utcCount);
    refused(await utc.send('registerAgency', utcCount.sent, JSON.stringify(unit)), 'VDXP_E_VDXP_TIMESTAMP');
    assert.equal(await version(), start, 'nothing registered');

    // A clock ahead of Việt Nam's writes a timestamp that becomes fresh hours later: its use is remembered.
    const east = sdk('sys.nghean', 'Pacific/Kiritimati');
    const eastCount = await east.countReceiveEdoc();
    ok(eastCount);
    t.clock.advance(7 * 3600 * 1000);
    refused(await east.send('registerAgency', eastCount.sent, JSON.stringify(unit)), 'VDXP_E_VDXP_REPLAY');
    assert.equal(await version(), start, 'nothing registered');

    t.clock.advance(1);
    const register = await sdk('sys.nghean', 'Asia/Ho_Chi_Minh').registerAgency(unit);
    ok(register);
    assert.equal(await version(), start + 1);
    refused(await vn.send('registerAgency', register.sent, JSON.stringify({ ...unit, code: '000.00.49.H41' })), 'VDXP_E_VDXP_REPLAY');
    t.clock.advance(1);
    ok(await sdk('sys.nghean', 'Asia/Ho_Chi_Minh').registerAgency(unit));
    assert.equal(await version(), start + 1, 'the same unit again: OK, no change');
    assert.ok((await t.hub.ctx.store.systemAgencies('sys.nghean')).includes(unit.code));

    // deleteAgency is bound to its AgencyCode: again, it deletes nothing more.
    const del = await sdk('sys.nghean', 'UTC').deleteAgency(unit.code);
    ok(del);
    assert.equal(await version(), start + 2);
    t.clock.advance(2 * windowMs);
    ok(await vn.send('deleteAgency', del.sent, '{}'));
    assert.equal(await version(), start + 2, 'delete of a deleted unit: OK, no change');
    t.clock.advance(1);
    refused(await sdk('sys.nghean', 'Asia/Ho_Chi_Minh').registerAgency(unit), 'VDXP_E_AGENCY_EXISTS');
    assert.equal((await t.hub.ctx.store.getAgency(unit.code))?.state, 'dissolved', 'a register does not undo a delete');
  });

  it('deleteAgency of a unit the operator merged keeps the merger (its documents still reach the successor)', async () => {
    const unit = { pcode: '000.00.00.H41', code: '000.00.42.H41', name: 'UBND xã Thử Hai' };
    t.clock.advance(1);
    ok(await sdk('sys.nghean', 'Asia/Ho_Chi_Minh').registerAgency(unit));
    await mergeAgency(t.hub.ctx, unit.code, '000.00.15.H41', 'operator');
    const version = await t.hub.ctx.store.registryVersion();
    ok(await sdk('sys.nghean', 'UTC').deleteAgency(unit.code));
    const a = await t.hub.ctx.store.getAgency(unit.code);
    assert.deepEqual([a?.state, a?.successor], ['merged', '000.00.15.H41']);
    assert.equal(await t.hub.ctx.store.registryVersion(), version);
  });
});

describe('a strict system', () => {
  before(async () => {
    await addSystem(t.hub.ctx, { id: 'sys.strict', agencies: ['000.00.00.G12'], secret: 'strict-secret', vdxpStrict: true }, 'test');
    SECRETS['sys.strict'] = 'strict-secret';
  });

  it('refuses a reused object\'s second call as a replay and, once the window is past, as stale; and any zone but Việt Nam', async () => {
    const vn = sdk('sys.strict', 'Asia/Ho_Chi_Minh');
    const first = await vn.countReceiveEdoc();
    ok(first);
    refused(await vn.countReceiveEdoc(), 'VDXP_E_VDXP_REPLAY');
    // getAgenciesList signs no input either: the object's one signature again, on another call.
    refused(await vn.getAgenciesList(), 'VDXP_E_VDXP_REPLAY');
    t.clock.advance(windowMs + 1000);
    refused(await vn.countReceiveEdoc(), 'VDXP_E_VDXP_TIMESTAMP');
    for (const zone of ['UTC', 'Pacific/Kiritimati', 'America/Los_Angeles']) refused(await sdk('sys.strict', zone).countReceiveEdoc(), 'VDXP_E_VDXP_TIMESTAMP');
  });

  it('takes a client that makes a new object, in Việt Nam time, for every call, over more than the window', async () => {
    let last = 0;
    /** The client's clock: the hub's, and never the same millisecond twice, so no two calls share a signature. */
    const fresh = (systemId: string): SdkServiceObject => {
      last = Math.max(t.clock.now(), last + 1);
      return new SdkServiceObject({ endpoint: url, systemId, secret: SECRETS[systemId] ?? '', madeAt: last, timeZone: 'Asia/Ho_Chi_Minh' });
    };
    const made = t.clock.now();
    for (let round = 0; round < ROUNDS; round++) {
      const packet = await edoc('000.00.00.G22', ['000.00.00.G12']);
      ok(await sdk('sys.gov', 'UTC').sendEdoc(packet, '000.00.00.G22'));
      assert.equal(ok(await fresh('sys.strict').countReceiveEdoc())['count'], 1);
      const [item] = ok(await fresh('sys.strict').getReceivedEdocList('edoc'))['data'] as Received[];
      assert.ok(item);
      assert.deepEqual(Buffer.from(String(ok(await fresh('sys.strict').getEdoc(item.docId))['data']), 'base64'), packet);
      ok(await fresh('sys.strict').updateStatus(item.docId, 'done'));
      t.clock.advance(ROUND_MS);
    }
    assert.ok(t.clock.now() - made > windowMs);
  });

  it('takes the reused object again once the operator turns strict off', async () => {
    const vn = sdk('sys.strict', 'UTC');
    refused(await vn.countReceiveEdoc(), 'VDXP_E_VDXP_TIMESTAMP');
    assert.equal(await setSystemVdxpStrict(t.hub.ctx, 'sys.strict', false, 'operator'), true);
    ok(await vn.countReceiveEdoc());
    ok(await vn.countReceiveEdoc());
    assert.equal(await setSystemVdxpStrict(t.hub.ctx, 'sys.strict', true, 'operator'), true);
    refused(await vn.countReceiveEdoc(), 'VDXP_E_VDXP_TIMESTAMP');
  });
});
