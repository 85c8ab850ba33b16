// Data folder permissions for real: a new folder and everything the hub writes in it (database, -wal, -shm,
// key, packet folders and files, staged files) are owner-only under umask 022 and 000; a folder others can
// write is refused before anything is created in it; one others can read is opened with a warning.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildPacketBytes, type PacketModel } from '@vdxp/edxml';
import { ensurePrivateDir, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, writePrivateFile } from './data-folder.ts';
import { HubError } from './errors.ts';
import { openHub } from './hub.ts';
import { submitPacket } from './intake.ts';
import { addSystem, importAgencies } from './registry.ts';
import { SecretBox } from './secrets.ts';

let root: string;
let n = 0;
const fresh = (): string => join(root, `case-${++n}`);
const modeOf = (p: string): number => statSync(p).mode & 0o777;
const octal = (m: number): string => m.toString(8).padStart(4, '0');

before(() => { root = mkdtempSync(join(tmpdir(), 'vdxp-data-folder-')); });
after(() => rmSync(root, { recursive: true, force: true }));

let packets = 0;
function edoc(from: string, to: string, attachments: PacketModel['attachments'] = []): Promise<Buffer> {
  packets++;
  return buildPacketBytes({
    header: {
      MessageHeader: {
        From: { OrganId: from }, To: [{ OrganId: to }], DocumentId: `${from},2026/03/01,${packets}/CV-PERM`,
        Code: { CodeNumber: String(packets), CodeNotation: 'CV-PERM' }, Subject: `Công văn ${packets}`, ResponseFor: [],
      },
      TraceHeaderList: { TraceHeader: [{ OrganId: from, Timestamp: '2026/03/01 08:00:00' }] },
    },
    attachments,
  });
}

/** Every path under `dir` (itself included) with its mode, so a failure names the file that is too open. */
function modes(dir: string): Map<string, string> {
  const out = new Map<string, string>([['.', octal(modeOf(dir))]]);
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(dir, rel))) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const st = statSync(join(dir, r));
      out.set(r, octal(st.mode & 0o777));
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}

describe('a new data folder', () => {
  for (const umask of [0o022, 0o000]) {
    it(`is owner-only, every folder 0700 and file 0600, under umask ${octal(umask)}`, async () => {
      const previous = process.umask(umask);
      const dir = join(fresh(), 'nested', 'data');
      try {
        const hub = await openHub({ dataDir: dir, limits: { inlinePacketBytesMax: 1024 } });
        try {
          await importAgencies(hub.ctx, [{ code: '000.00.00.G22', name: 'A' }, { code: '000.00.00.H41', name: 'B' }], 'test');
          const gov = await addSystem(hub.ctx, { id: 'sys.gov', agencies: ['000.00.00.G22'] }, 'test');
          const sender = await hub.ctx.store.getSystem(gov.id);
          assert.ok(sender);
          const big = { ContentId: 'cid:1', AttachmentName: 'a.bin', ContentType: 'application/octet-stream', content: Buffer.alloc(4096, 7) };
          await submitPacket(hub.ctx, sender, [await edoc('000.00.00.G22', '000.00.00.H41', [big])], { via: 'native' });
          await submitPacket(hub.ctx, sender, [await edoc('000.00.00.G22', '000.00.00.H41')], { via: 'native' });
          // A staged file, as an upload in flight has it.
          const w = hub.ctx.blobs.begin();
          await w.write(Buffer.alloc(2048, 1));
          assert.equal(w.spilled, true);
          assert.equal(octal(modeOf(w.path)), octal(PRIVATE_FILE_MODE), 'a staged upload');
          await w.abort();
          const seen = modes(dir);
          for (const name of ['vdxp.sqlite', 'vdxp.sqlite-wal', 'vdxp.sqlite-shm', 'secret.key']) assert.ok(seen.has(name), `${name} exists`);
          assert.ok([...seen.keys()].some((k) => /^blobs\/[0-9a-f]{2}\/[0-9a-f]{64}$/.test(k)), 'a packet file was written');
          const tooOpen = [...seen].filter(([rel, m]) => {
            const isDir = statSync(join(dir, rel)).isDirectory();
            return m !== octal(isDir ? PRIVATE_DIR_MODE : PRIVATE_FILE_MODE);
          });
          assert.deepEqual(tooOpen, [], 'every entry is owner-only');
          assert.deepEqual(hub.warnings, []);
        } finally {
          await hub.close();
        }
        // The parents it had to create too: 0777 & ~umask would let anyone in.
        assert.equal(octal(modeOf(join(dir, '..'))), octal(PRIVATE_DIR_MODE));
      } finally {
        process.umask(previous);
      }
    });
  }

  it('is owner-only when the command line creates it in a child process under umask 000', () => {
    const dir = fresh();
    const main = new URL('../../cli/src/main.ts', import.meta.url).pathname;
    execFileSync('sh', ['-c', 'umask 000; exec "$0" "$@"', process.execPath, main, 'agency', 'add', '--code', 'X1', '--name', 'x', '--data', dir], {
      stdio: 'pipe', env: { ...process.env, NODE_NO_WARNINGS: '1' },
    });
    const seen = modes(dir);
    assert.ok(seen.has('vdxp.sqlite') && seen.has('secret.key'));
    for (const [rel, m] of seen) {
      assert.equal(m, octal(statSync(join(dir, rel)).isDirectory() ? PRIVATE_DIR_MODE : PRIVATE_FILE_MODE), rel);
    }
  });
});

describe('an existing data folder', () => {
  it('others can write to is refused, naming the chmod to run, and nothing is created in it', async () => {
    for (const mode of [0o777, 0o770, 0o702]) {
      const dir = fresh();
      mkdirSync(dir);
      chmodSync(dir, mode);
      await assert.rejects(openHub({ dataDir: dir }), (e) => {
        assert.ok(e instanceof HubError);
        assert.equal(e.code, 'VDXP_E_DATA_FOLDER_UNSAFE');
        assert.match(e.message, new RegExp(`chmod -R go-rwx ${dir}`));
        assert.match(e.message, new RegExp(octal(mode)));
        return true;
      });
      assert.deepEqual(readdirSync(dir), [], `mode ${octal(mode)}: nothing was created`);
    }
  });

  it('is refused when an entry others can reach is writable, and not when the folder shields it', async () => {
    const dir = fresh();
    const first = await openHub({ dataDir: dir });
    await first.close();
    chmodSync(join(dir, 'blobs'), 0o777);
    // 0700 around it: nobody else can enter, so the open blobs/ reaches no one.
    const shielded = await openHub({ dataDir: dir });
    assert.deepEqual(shielded.warnings, []);
    await shielded.close();
    chmodSync(dir, 0o755);
    await assert.rejects(openHub({ dataDir: dir }), (e) => e instanceof HubError && e.code === 'VDXP_E_DATA_FOLDER_UNSAFE'
      && e.message.includes(`${join(dir, 'blobs')} 0777`));
  });

  it('others can read (as an older version left it) opens with a warning that names the files and the fix', async () => {
    const dir = fresh();
    const first = await openHub({ dataDir: dir });
    await first.close();
    chmodSync(dir, 0o755);
    chmodSync(join(dir, 'vdxp.sqlite'), 0o644);
    const hub = await openHub({ dataDir: dir });
    try {
      assert.equal(hub.warnings.length, 1);
      assert.match(hub.warnings[0] ?? '', new RegExp(`other accounts on this machine can read the data folder ${dir}`));
      assert.ok(hub.warnings[0]?.includes(`${join(dir, 'vdxp.sqlite')} 0644`));
      assert.ok(hub.warnings[0]?.includes(`chmod -R go-rwx ${dir}`));
    } finally {
      await hub.close();
    }
    execFileSync('chmod', ['-R', 'go-rwx', dir]);
    const fixed = await openHub({ dataDir: dir });
    assert.deepEqual(fixed.warnings, [], 'the suggested command silences it');
    await fixed.close();
  });
});

describe('the helpers archives and connectors reuse', () => {
  it('writePrivateFile creates 0600 under umask 000 and refuses to overwrite; ensurePrivateDir leaves an existing folder alone', () => {
    const previous = process.umask(0);
    try {
      const dir = fresh();
      ensurePrivateDir(dir);
      assert.equal(octal(modeOf(dir)), '0700');
      writePrivateFile(join(dir, 'k'), 'secret\n');
      assert.equal(octal(modeOf(join(dir, 'k'))), '0600');
      assert.throws(() => writePrivateFile(join(dir, 'k'), 'again'), /EEXIST/);
      assert.equal(readFileSync(join(dir, 'k'), 'utf8'), 'secret\n', 'the first file stays whole');
      assert.deepEqual(readdirSync(dir), ['k'], 'no temporary file is left, written or refused');
      chmodSync(dir, 0o750);
      ensurePrivateDir(dir);
      assert.equal(octal(modeOf(dir)), '0750', 'an existing folder is the operator\'s: checked, not changed');
      assert.equal(existsSync(join(dir, 'k')), true);
    } finally {
      process.umask(previous);
    }
  });
});

describe('the sealing key', () => {
  it('is made once, whole, and a key file that is not a 32-byte key is refused with what to do', () => {
    const dir = fresh();
    ensurePrivateDir(dir);
    const path = join(dir, 'secret.key');
    const first = SecretBox.fromKeyFile(path);
    const sealed = first.seal('bí mật');
    assert.equal(SecretBox.fromKeyFile(path).open(sealed), 'bí mật', 'the second opening reads the same key');
    writeFileSync(path, '');
    assert.throws(() => SecretBox.fromKeyFile(path), /holds 0 bytes, not a 32-byte key: restore it from a backup/);
  });
});
