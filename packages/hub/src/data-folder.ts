// Who may read a data folder: only the account that runs the hub. Folders are created 0700 and files 0600
// whatever the process umask, a folder others can write is refused at start, one others can read is warned
// about. The hub's data folder uses it; archives and an agency-side connector's folders are meant to as well.

import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fchmodSync, fstatSync, fsyncSync, linkSync, mkdirSync, openSync, rmSync, statSync, writeSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { HubError } from './errors.ts';

/** rwx for the owner only: nobody else may list, enter or change the folder. */
export const PRIVATE_DIR_MODE = 0o700;
/** rw for the owner only. */
export const PRIVATE_FILE_MODE = 0o600;
/** Group or others may write: a local account could replace packets, the database or the key. */
const WRITABLE_BY_OTHERS = 0o022;
/** Group or others may read (a file) or list (a folder): a local account could read every agency's documents. */
const READABLE_BY_OTHERS = 0o044;
/** Group or others may enter a folder, and so open what is inside by name. */
const ENTERABLE_BY_OTHERS = 0o011;

/**
 * Creates `path` (and missing parents) as 0700, exactly: mkdir's mode passes through the umask, so each folder
 * this call created is chmod-ed after. An existing folder is left as it is (see checkPrivateDir).
 */
export function ensurePrivateDir(path: string): void {
  const first = mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (first === undefined) return;
  // Every folder from the first one created down to `path` is new: tighten each (a 022 umask leaves 0700 as
  // it is, a 000 one too, but a parent created on the way must not stay 0777 & ~umask either).
  const made: string[] = [];
  for (let p = resolve(path); ; p = dirname(p)) {
    made.push(p);
    if (p === resolve(first) || dirname(p) === p) break;
  }
  for (const p of made) chmodSync(p, PRIVATE_DIR_MODE);
}

/**
 * Creates a file (refusing one that exists: EEXIST) with `data`, 0600 whatever the umask, all at once: the bytes
 * go to a temporary name, are flushed, and the file appears under `path` by a hard link (which, unlike a rename,
 * never replaces a file another process made meanwhile), then the folder is flushed. A crash leaves no file or
 * the whole file, never an empty key. For small files written once: keys, markers. Large streamed files open
 * with PRIVATE_FILE_MODE themselves.
 */
export function writePrivateFile(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', PRIVATE_FILE_MODE);
  try {
    try {
      fchmodSync(fd, PRIVATE_FILE_MODE);
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      for (let at = 0; at < bytes.byteLength; ) at += writeSync(fd, bytes, at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    linkSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
  const dir = openSync(dirname(resolve(path)), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/**
 * Makes sure `path` exists as an empty 0600 file when it does not exist yet, so that a library which creates
 * it with its own default (SQLite: 0644 & ~umask; its -wal and -shm files copy the database file's mode)
 * finds it private. An existing file is left as it is.
 */
export function touchPrivateFile(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', PRIVATE_FILE_MODE);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw e;
  }
  try {
    if ((fstatSync(fd).mode & 0o777) !== PRIVATE_FILE_MODE) fchmodSync(fd, PRIVATE_FILE_MODE);
  } finally {
    closeSync(fd);
  }
}

export interface PrivacyCheck {
  /** Lines to show the operator at start: what others can read, and the command that stops it. */
  warnings: string[];
}

/**
 * Checks a folder and the entries the caller names inside it (missing ones are skipped). Refuses with
 * VDXP_E_DATA_FOLDER_UNSAFE when group or others can write any of them; warns when they can read. `what` names
 * the folder in messages ("data folder", "archive folder").
 */
export function checkPrivateDir(path: string, entries: readonly string[] = [], what = 'data folder'): PrivacyCheck {
  const dir = resolve(path);
  const checked: { path: string; stats: Stats }[] = [];
  for (const p of [dir, ...entries.map((e) => join(dir, e))]) {
    try {
      checked.push({ path: p, stats: statSync(p) });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  const folderMode = (checked[0]?.stats.mode ?? 0) & 0o777;
  // Inside a folder others cannot enter (no x for group or others), an entry's own mode reaches nobody else.
  const reachable = (folderMode & ENTERABLE_BY_OTHERS) !== 0 ? checked : checked.slice(0, 1);
  const writable = reachable.filter((c) => (c.stats.mode & WRITABLE_BY_OTHERS) !== 0);
  if (writable.length > 0) {
    const list = writable.map((c) => `${c.path} ${modeText(c.stats)}`).join(', ');
    throw new HubError('VDXP_E_DATA_FOLDER_UNSAFE',
      `Tài khoản khác ghi được vào ${dir}; không chạy trên thư mục này / Other accounts can write to the ${what} ${dir} `
      + `(${list}), so the hub refuses to start on it. Run: chmod -R go-rwx ${shellQuote(dir)}`,
      { details: { paths: writable.map((c) => c.path) } });
  }
  const readable = reachable.filter((c) => (c.stats.mode & READABLE_BY_OTHERS) !== 0);
  if (readable.length === 0) return { warnings: [] };
  return {
    warnings: [`Cảnh báo: tài khoản khác đọc được ${dir} / Warning: other accounts on this machine can read the ${what} ${dir} `
      + `(${readable.map((c) => `${c.path} ${modeText(c.stats)}`).join(', ')}). Run: chmod -R go-rwx ${shellQuote(dir)}`],
  };
}

function modeText(s: Stats): string {
  return (s.mode & 0o777).toString(8).padStart(4, '0');
}

function shellQuote(p: string): string {
  return /^[\w./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`;
}

/** Makes a folder's entries durable (a rename or a new file in it survives a power cut once this returns). */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
