// The folder connector behind `vdxp connect`, for systems that can only read and write files.
//
// Outbox: a packet file (`*.edxml` or `*.xml`, not starting with `.`: write it under another name, then
// rename) is sent; once the hub accepted it, a receipt `sent/<name>.receipt.json` is written and the file
// moved to `sent/`. A refusal writes `failed/<name>.reason.json` and moves the file to `failed/`, never
// retried; a hub that cannot be reached is tried again with backoff. A crash anywhere resends the same bytes
// on restart, which the hub answers with the original ids: never a second document.
//
// Inbox: each received packet (documents and statuses alike) goes to `<inbox>/<kind>-<deliveryId>.edxml`
// by a hidden temporary file (fsync), a marker in `<inbox>/.vdxp/` saying the temporary file is whole, a
// rename, a folder fsync, and only then the ack. If the same delivery comes again (a crash before the ack),
// the marker tells whether the rename was done: so a file the agency's system already took away is not
// written a second time. The marker goes once the ack is recorded (the hub never hands it out again).
// Temporary and marker files start with `.`: the agency's system must ignore those.

import { createReadStream } from 'node:fs';
import { mkdir, open, opendir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { VdxpClientError, backoffMs, isAbort, type ReceivedPacket, type VdxpClient } from '@vdxp/client';
import { syncDir } from '@vdxp/client/node';

export interface ConnectorOptions {
  client: VdxpClient;
  inbox: string;
  outbox: string;
  /** How often the outbox is looked at; default 1000 ms. */
  outboxPollMs?: number;
  /** Long-poll seconds of the receive loop; default 30. */
  waitSeconds?: number;
  log: (line: string) => void;
  now?: () => Date;
}

/** Folders inside the outbox and the inbox. */
export const SENT_DIR = 'sent';
export const FAILED_DIR = 'failed';
export const STATE_DIR = '.vdxp';
export const PACKET_EXTENSIONS = ['.edxml', '.xml'];
/** Outbox files looked at per pass: a burst of 100,000 files is worked through in slices, not listed into memory at once. */
export const OUTBOX_FILES_PER_PASS_MAX = 1000;
const OUTBOX_POLL_MS_DEFAULT = 1000;
const SEND_RETRY = { attemptsMax: Number.POSITIVE_INFINITY, delayMsInitial: 1000, delayMsMax: 60_000 };
/**
 * The agency's system reads, takes and writes these files, usually as another account of a shared group: the
 * group may read and write, others nothing (the process umask may narrow it further).
 */
const FILE_MODE = 0o660;
/** A marker matters only until its delivery's ack, which is moments later; past the hub's delivery time-to-live (30 days) it is dead weight. */
const MARKER_KEEP_MS = 90 * 24 * 3600 * 1000;
const DIR_MODE = 0o770;

export interface Receipt {
  file: string;
  documentId: string;
  kind: 'edoc' | 'status';
  digest: string;
  bytes: number;
  /** true: a new document; false: the hub had it already (a resend after a crash). */
  created: boolean;
  sentAt: string;
  recipients: string[];
  deliveries: { id: string; recipient: string; addressedTo: string }[];
  warnings: { code: string; message: string }[];
}

export class FolderConnector {
  readonly #o: ConnectorOptions;
  readonly #now: () => Date;

  constructor(o: ConnectorOptions) {
    this.#o = o;
    this.#now = o.now ?? (() => new Date());
  }

  async prepare(): Promise<void> {
    for (const d of [this.#o.inbox, this.#o.outbox, join(this.#o.outbox, SENT_DIR), join(this.#o.outbox, FAILED_DIR), join(this.#o.inbox, STATE_DIR)]) {
      await mkdir(d, { recursive: true, mode: DIR_MODE });
    }
    // A marker whose delivery was acked just before a crash stays behind; it can never be needed again.
    const cutoff = this.#now().getTime() - MARKER_KEEP_MS;
    for await (const entry of await opendir(join(this.#o.inbox, STATE_DIR))) {
      const path = join(this.#o.inbox, STATE_DIR, entry.name);
      if (entry.isFile() && (await stat(path)).mtimeMs < cutoff) await rm(path, { force: true });
    }
  }

  /** Runs both directions until the signal; rejects only on what retrying cannot mend (a refused token). */
  async run(signal: AbortSignal): Promise<void> {
    await this.prepare();
    const inner = new AbortController();
    const stop = (): void => inner.abort();
    signal.addEventListener('abort', stop, { once: true });
    try {
      await Promise.all([
        this.#outboxLoop(inner.signal).catch((e: unknown) => { inner.abort(); throw e; }),
        this.#receiveLoop(inner.signal).catch((e: unknown) => { inner.abort(); throw e; }),
      ]);
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }

  async #outboxLoop(signal: AbortSignal): Promise<void> {
    let unreachable = 0;
    while (!signal.aborted) {
      try {
        await this.sendOutbox(signal);
        unreachable = 0;
        await pause(this.#o.outboxPollMs ?? OUTBOX_POLL_MS_DEFAULT, signal);
      } catch (e) {
        if (signal.aborted || isAbort(e)) return;
        if (!(e instanceof VdxpClientError) || !e.retryable) throw e;
        const delayMs = backoffMs(SEND_RETRY, ++unreachable);
        this.#o.log(`outbox: không tới được trục / hub unreachable (${e.code}: ${e.message}); thử lại sau / retrying in ${Math.round(delayMs / 1000)} s`);
        await pause(delayMs, signal);
      }
    }
  }

  /** One pass over the outbox: each complete packet file is sent and moved. Throws when the hub is unreachable. */
  async sendOutbox(signal?: AbortSignal): Promise<number> {
    let done = 0;
    for (const name of await this.#outboxFiles()) {
      signal?.throwIfAborted();
      await this.sendFile(name, signal);
      done++;
    }
    return done;
  }

  async #outboxFiles(): Promise<string[]> {
    const names: string[] = [];
    const dir = await opendir(this.#o.outbox, { bufferSize: 64 });
    for await (const entry of dir) {
      if (!entry.isFile() || entry.name.startsWith('.') || !PACKET_EXTENSIONS.includes(extname(entry.name).toLowerCase())) continue;
      names.push(entry.name);
      if (names.length >= OUTBOX_FILES_PER_PASS_MAX) break;
    }
    return names.sort();
  }

  async sendFile(name: string, signal?: AbortSignal): Promise<'sent' | 'failed'> {
    const path = join(this.#o.outbox, name);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      return 'failed'; // Taken away meanwhile: not ours any more.
    }
    try {
      const r = await this.#o.client.send({ size, stream: () => createReadStream(path, { highWaterMark: 256 * 1024 }) as AsyncIterable<Uint8Array> }, signal ? { signal } : {});
      const receipt: Receipt = {
        file: name, documentId: r.id, kind: r.kind, digest: r.digest, bytes: r.bytes, created: r.created, sentAt: this.#now().toISOString(),
        recipients: r.deliveries.map((d) => d.recipient), deliveries: r.deliveries, warnings: r.warnings.map((w) => ({ code: w.code, message: w.message })),
      };
      const target = await this.#free(join(this.#o.outbox, SENT_DIR), name, r.id);
      await writeDurably(`${target}.receipt.json`, `${JSON.stringify(receipt, null, 2)}\n`);
      await rename(path, target);
      await syncDir(join(this.#o.outbox, SENT_DIR));
      await syncDir(this.#o.outbox);
      this.#o.log(`outbox: ${name} → ${r.created ? 'đã gửi / sent' : 'đã có trên trục / already on the hub'} ${r.id} (${receipt.recipients.join(', ') || '—'})`);
      return 'sent';
    } catch (e) {
      if (!(e instanceof VdxpClientError) || e.retryable || e.status === 401) throw e;
      const target = await this.#free(join(this.#o.outbox, FAILED_DIR), name, this.#now().toISOString().replace(/[:.]/g, '-'));
      await writeDurably(`${target}.reason.json`, `${JSON.stringify({ file: name, code: e.code, status: e.status ?? null, message: e.message, details: e.details ?? null, at: this.#now().toISOString() }, null, 2)}\n`);
      await rename(path, target);
      await syncDir(join(this.#o.outbox, FAILED_DIR));
      await syncDir(this.#o.outbox);
      this.#o.log(`outbox: ${name} bị từ chối / refused → ${FAILED_DIR}/ (${e.code}: ${e.message})`);
      return 'failed';
    }
  }

  /** `dir/name`, or `dir/<stem>.<tag><ext>` when a file of that name was sent before. */
  async #free(dir: string, name: string, tag: string): Promise<string> {
    const plain = join(dir, name);
    if (!(await exists(plain))) return plain;
    const ext = extname(name);
    return join(dir, `${basename(name, ext)}.${tag}${ext}`);
  }

  async #receiveLoop(signal: AbortSignal): Promise<void> {
    await this.#o.client.receive((p) => this.store(p), {
      signal, waitSeconds: this.#o.waitSeconds ?? 30,
      onEvent: (e) => {
        if (e.type === 'acked') void this.#forget(e.item.deliveryId);
        if (e.type === 'failed') this.#o.log(`inbox: ${e.item.deliveryId} không ghi được / could not be written (${(e.error as Error).message}); trả lại trục / handed back`);
        if (e.type === 'unreachable') this.#o.log(`inbox: không tới được trục / hub unreachable (${e.error.code}); thử lại sau / retrying in ${Math.round(e.delayMs / 1000)} s`);
      },
    });
  }

  /** The receive handler: the packet on disk, exactly once, before the loop acks it. */
  async store(p: ReceivedPacket): Promise<void> {
    const name = `${p.item.kind}-${p.deliveryId}.edxml`;
    const final = join(this.#o.inbox, name);
    const temp = join(this.#o.inbox, `.${name}.part`);
    const marker = join(this.#o.inbox, STATE_DIR, p.deliveryId);
    if (await exists(marker)) {
      // Written whole before a crash: finish the rename if it was not done; never write it a second time. The
      // bytes are read to their end all the same: the receive loop acks only a packet read whole.
      for await (const _ of p.body) { /* already on disk */ }
      if (await exists(temp)) {
        await rename(temp, final);
        await syncDir(this.#o.inbox);
      }
      return;
    }
    const fh = await open(temp, 'w', FILE_MODE);
    try {
      for await (const chunk of p.body) await fh.write(chunk);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await writeDurably(marker, '');
    await syncDir(join(this.#o.inbox, STATE_DIR));
    await rename(temp, final);
    await syncDir(this.#o.inbox);
    this.#o.log(`inbox: ${name} (${p.item.kind === 'status' ? `trạng thái / status ${p.item.statusCode ?? ''}` : p.item.subject ?? ''}, ${p.item.from})`);
  }

  async #forget(deliveryId: string): Promise<void> {
    await rm(join(this.#o.inbox, STATE_DIR, deliveryId), { force: true }).catch(() => {});
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function writeDurably(path: string, text: string): Promise<void> {
  const temp = join(path, '..', `.${basename(path)}.part`);
  await writeFile(temp, text, { mode: FILE_MODE });
  const fh = await open(temp, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(temp, path);
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => { clearTimeout(timer); signal.removeEventListener('abort', done); resolve(); };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

