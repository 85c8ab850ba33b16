// `vdxp send|receive|reply|recall` in-process against a real hub on a real socket: files sent and resent
// without a second document, refusals with their codes and exit 1, the token from VDXP_TOKEN, packets
// written byte for byte before their ack, statuses answered and recalls made.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VdxpClient } from '@vdxp/client';
import { edoc, listen, startTestHub, type TestHub } from '../../../hub/test-support/testkit.ts';
import { cli } from '../../test-support/cli.ts';

let t: TestHub;
let url: string;
let dir: string;
let stop: () => Promise<void>;

before(async () => {
  t = await startTestHub();
  const s = await listen(t.hub);
  url = s.url;
  dir = mkdtempSync(join(tmpdir(), 'vdxp-cli-exchange-'));
  stop = async () => { await s.app.close(); await t.close(); rmSync(dir, { recursive: true, force: true }); };
});
after(async () => stop());

const tok = (name: string): string => t.systems[name]?.token ?? '';
const as = (name: string, ...args: string[]): ReturnType<typeof cli> => cli([...args, '--hub', url, '--token', tok(name)], { cwd: dir });
const lines = (s: string): Record<string, unknown>[] => s.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);

async function packetFile(name: string, to: string[]): Promise<Buffer> {
  const bytes = await edoc('000.00.00.G22', to);
  writeFileSync(join(dir, name), bytes);
  return bytes;
}

describe('vdxp send / receive / reply / recall', () => {
  it('sends files; the same file again is the same document; refusals exit 1 with their code', async () => {
    await packetFile('a.edxml', ['000.00.00.H41']);
    await packetFile('bad.edxml', ['000.00.00.Z99']);
    const first = await as('gov', 'send', 'a.edxml', '--json');
    assert.equal(first.code, 0, first.stderr);
    const [a] = lines(first.stdout);
    assert.equal(a?.['created'], true);
    const again = await as('gov', 'send', 'bad.edxml', 'a.edxml', '--json');
    assert.equal(again.code, 1);
    const [bad, a2] = lines(again.stdout);
    assert.deepEqual(bad?.['error'], { code: 'VDXP_E_RECIPIENT_UNKNOWN', status: 422, message: (bad?.['error'] as { message: string }).message });
    assert.equal(a2?.['id'], a?.['id']);
    assert.equal(a2?.['created'], false);
    const human = await as('gov', 'send', 'a.edxml');
    assert.match(human.stdout, /a\.edxml: đã gửi trước đó \/ sent before \S+ → 000\.00\.00\.H41/);
  });

  it('takes the token from VDXP_TOKEN, and says what is missing without it', async () => {
    await packetFile('b.edxml', ['000.00.00.G12']);
    const viaEnv = await cli(['send', 'b.edxml', '--hub', url], { cwd: dir, env: { VDXP_TOKEN: tok('gov') } });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    const none = await cli(['send', 'b.edxml', '--hub', url], { cwd: dir });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--token \(or VDXP_TOKEN\) is needed/);
    const wrong = await cli(['send', 'b.edxml', '--hub', url, '--token', 'vdxp_wrong'], { cwd: dir });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /VDXP_E_AUTH_INVALID \(HTTP 401\)/);
  });

  it('receives into a folder byte for byte, acks, and a second run finds nothing', async () => {
    const bytes = await packetFile('c.edxml', ['000.00.00.H14']);
    const sent = lines((await as('gov', 'send', 'c.edxml', '--json')).stdout)[0];
    const r = await as('caobang', 'receive', '--out', 'in', '--json');
    assert.equal(r.code, 0, r.stderr);
    const [got] = lines(r.stdout);
    assert.equal(got?.['documentId'], sent?.['id']);
    assert.deepEqual(readFileSync(String(got?.['file'])), bytes);
    assert.deepEqual(readdirSync(join(dir, 'in')), [`${String(got?.['deliveryId'])}.edxml`], 'no temporary file left');
    const view = await new VdxpClient({ hub: url, token: tok('gov') }).document(String(sent?.['id']));
    assert.equal(view.deliveries[0]?.state, 'done');
    const second = await as('caobang', 'receive', '--out', 'in', '--json');
    assert.equal(second.stdout, '');
  });

  it('replies with statuses in order, and refuses one out of order', async () => {
    await packetFile('d.edxml', ['000.00.00.H41']);
    const sent = lines((await as('gov', 'send', 'd.edxml', '--json')).stdout)[0];
    const got = lines((await as('nghean', 'receive', '--out', 'in2', '--json', '--kind', 'edoc')).stdout).find((l) => l['documentId'] === sent?.['id']);
    assert.ok(got);
    const deliveryId = String(got['deliveryId']);
    for (const code of ['01', '03']) {
      const r = await as('nghean', 'reply', '--delivery', deliveryId, '--status', code, '--note', 'Đã tiếp nhận');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`status sent ${code}`));
    }
    const early = await as('nghean', 'reply', '--delivery', deliveryId, '--status', '15');
    assert.equal(early.code, 1);
    assert.match(early.stderr, /VDXP_E_STATUS_TRANSITION/);
    const badCode = await as('nghean', 'reply', '--delivery', deliveryId, '--status', '07');
    assert.equal(badCode.code, 2);
    const view = await new VdxpClient({ hub: url, token: tok('gov') }).document(String(sent?.['id']));
    assert.deepEqual(view.deliveries[0]?.statuses.map((s) => s.statusCode), ['01', '03']);
    const statuses = lines((await as('gov', 'receive', '--out', 'status-in', '--kind', 'status', '--json')).stdout);
    assert.deepEqual(statuses.filter((s) => s['edxmlDocumentId'] === view.documentId).map((s) => s['statusCode']), ['01', '03']);
  });

  it('recalls a sent document: withdrawn where not fetched, requested where fetched', async () => {
    await packetFile('e.edxml', ['000.00.00.H41', '000.00.00.H14']);
    const sent = lines((await as('gov', 'send', 'e.edxml', '--json')).stdout)[0];
    await as('caobang', 'receive', '--out', 'in3');
    const r = await as('gov', 'recall', '--document', String(sent?.['id']), '--reason', 'Gửi nhầm', '--json');
    assert.equal(r.code, 0, r.stderr);
    const byRecipient: Record<string, unknown> = Object.fromEntries(lines(r.stdout).map((l) => [String(l['recipient']), l['recall']]));
    assert.deepEqual(byRecipient, { '000.00.00.H41': 'withdrawn', '000.00.00.H14': 'requested' });
    const badPoll = await as('gov', 'connect', '--inbox', 'i', '--outbox', 'o', '--poll', 'fast');
    assert.equal(badPoll.code, 2);
    assert.match(badPoll.stderr, /a whole number from 10 to 3600000/);
    const stranger = await as('gov', 'recall', '--document', String(sent?.['id']), '--reason', 'x', '--recipient', '000.00.00.G12');
    assert.equal(stranger.code, 2);
  });
});
