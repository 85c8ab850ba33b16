// `vdxp send|receive|reply|recall`: an agency's side of the exchange over the native API (@vdxp/client), for
// operators and scripts: send packet files, receive into a folder (each packet on disk before its ack), answer
// a delivery with a status, recall a sent document.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { VdxpClientError, type StatusDraft, type VdxpClient } from '@vdxp/client';
import { fileSource, writeFileDurably } from '@vdxp/client/node';
import { CliError, EXIT_CODES, type CliContext } from '../context.ts';
import { resolveFile } from '../files.ts';
import { addHubClientOptions, asClientCliError, clientErrorLine, hubClient, progressLine, type HubClientOpts } from '../hub-client.ts';

/** What a recipient may answer with `vdxp reply`: the business statuses, and the answers to a recall. */
export const REPLY_CODES = ['01', '02', '03', '04', '05', '06', '15', '16'] as const;
type ReplyCode = (typeof REPLY_CODES)[number];

export function registerExchange(program: Command, ctx: CliContext): void {
  addHubClientOptions(program.command('send')
    .summary('send packet files to the hub / gửi gói tin')
    .description('Gửi từng tệp gói tin edXML lên trục / Send each edXML packet file to the hub over the native API. '
      + 'Gửi lại cùng tệp thì nhận lại đúng mã cũ / sending the same file again answers the same ids (the hub keys a packet by its bytes), '
      + 'so a retry never makes a second document. Exit 1 if the hub refused any file.')
    .argument('<files...>', 'packet files'))
    .action(async (files: string[], opts: HubClientOpts) => {
      const client = hubClient(ctx, opts);
      for (const name of files) {
        const path = resolveFile(ctx, name);
        let source;
        try {
          source = await fileSource(path);
        } catch (e) {
          throw new CliError(`cannot read ${path}: ${(e as Error).message}`, EXIT_CODES.usage, { cause: e });
        }
        const progress = progressLine(ctx, name, opts.json);
        try {
          const r = await client.send(source, progress.listener ? { onProgress: progress.listener } : {});
          progress.done();
          if (opts.json) {
            ctx.out(JSON.stringify({ file: name, ok: true, id: r.id, created: r.created, kind: r.kind, digest: r.digest, deliveries: r.deliveries, warnings: r.warnings, ...(r.recall ? { recall: r.recall } : {}) }));
            continue;
          }
          ctx.out(`${name}: ${r.created ? 'đã gửi / sent' : 'đã gửi trước đó / sent before'} ${r.id} → ${r.deliveries.map((d) => d.recipient).join(', ') || '—'}`);
          for (const w of r.warnings) ctx.out(`  ${w.code}: ${w.message}`);
        } catch (e) {
          progress.done();
          if (!(e instanceof VdxpClientError)) throw e;
          ctx.fail(EXIT_CODES.failed);
          if (opts.json) ctx.out(JSON.stringify({ file: name, ok: false, error: { code: e.code, status: e.status ?? null, message: e.message } }));
          else ctx.err(`${name}: bị từ chối / refused — ${clientErrorLine(e)}`);
          // A refused file is this file's problem; an unreachable hub or a bad token is every file's.
          if (e.retryable || e.status === 401) return;
        }
      }
    });

  addHubClientOptions(program.command('receive')
    .summary('receive packets into a folder / nhận gói tin')
    .description('Nhận gói tin về thư mục / Write each waiting packet to --out as <deliveryId>.edxml (temporary name, '
      + 'fsync, rename) and only then acknowledge it, so a crash loses nothing (a packet may come again: the file is '
      + 'then written again, the same bytes). With --follow, keeps long-polling until Ctrl-C.')
    .requiredOption('--out <dir>', 'folder to write packets into')
    .option('--follow', 'keep receiving / nhận liên tục')
    .option('--kind <kind>', 'edoc or status (default both)', (v: string) => {
      if (v !== 'edoc' && v !== 'status') throw new InvalidArgumentError('edoc hoặc status / edoc or status');
      return v;
    }))
    .action(async (opts: HubClientOpts & { out: string; follow?: boolean; kind?: 'edoc' | 'status' }) => {
      const client = hubClient(ctx, opts);
      const out = resolveFile(ctx, opts.out);
      mkdirSync(out, { recursive: true, mode: 0o700 });
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      if (opts.follow) for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, onSignal);
      try {
        const summary = await client.receive(async (p) => {
          const file = join(out, `${p.deliveryId}.edxml`);
          const progress = progressLine(ctx, p.deliveryId, opts.json);
          try {
            await writeFileDurably(file, progress.listener ? observe(p.body, p.bytes, progress.listener) : p.body);
          } finally {
            progress.done();
          }
          const i = p.item;
          if (opts.json) ctx.out(JSON.stringify({ deliveryId: i.deliveryId, documentId: i.documentId, kind: i.kind, from: i.from, to: i.to, edxmlDocumentId: i.edxmlDocumentId, statusCode: i.statusCode, bytes: p.bytes, digest: p.digest, file }));
          else ctx.out(`${file}: ${i.kind === 'status' ? `trạng thái / status ${i.statusCode ?? ''}` : i.subject ?? ''} — ${i.from} → ${i.to}`);
        }, {
          signal: stop.signal, ...(opts.kind ? { kind: opts.kind } : {}), once: opts.follow !== true,
          onEvent: (e) => {
            if (e.type === 'failed') ctx.err(`${e.item.deliveryId}: không ghi được, trả lại trục / could not write it, handed back (fail): ${(e.error as Error).message}`);
            if (e.type === 'unreachable') ctx.err(`vdxp: không tới được trục / hub unreachable (${clientErrorLine(e.error)}); thử lại sau / retrying in ${Math.round(e.delayMs / 1000)} s`);
          },
        });
        if (summary.failed > 0) ctx.fail(EXIT_CODES.failed);
        if (!opts.json) ctx.err(`vdxp: đã nhận / received ${summary.acked}, lỗi / failed ${summary.failed}, đã thu hồi / gone ${summary.gone}`);
      } catch (e) {
        throw asClientCliError(e);
      } finally {
        for (const s of ['SIGINT', 'SIGTERM'] as const) process.off(s, onSignal);
      }
    });

  addHubClientOptions(program.command('reply')
    .summary('answer a received document with a status / trả lời văn bản đến')
    .description('Gửi trạng thái xử lý cho văn bản đã nhận / Send the status of a document this system received, to its sender: '
      + '01 đã đến / arrived, 02 từ chối / rejected, 03 đã tiếp nhận / registered, 04 phân công / assigned, 05 đang xử lý / '
      + 'processing, 06 hoàn thành / finished; 15 or 16 agree to or refuse a recall (13). The hub checks the order.')
    .requiredOption('--delivery <id>', 'the delivery id (from receive)')
    .requiredOption('--status <code>', REPLY_CODES.join('|'), (v: string) => {
      if (!(REPLY_CODES as readonly string[]).includes(v)) throw new InvalidArgumentError(`một trong / one of ${REPLY_CODES.join(', ')}`);
      return v;
    })
    .option('--note <text>', 'mô tả / description')
    .option('--staff <name>', 'người xử lý / staff name'))
    .action(async (opts: HubClientOpts & { delivery: string; status: ReplyCode; note?: string; staff?: string }) => {
      const client = hubClient(ctx, opts);
      try {
        const d = await client.delivery(opts.delivery);
        if (d.kind !== 'edoc' || d.edxmlDocumentId === null) {
          throw new CliError(`${opts.delivery} không phải văn bản / is not a document (${d.kind}): statuses answer documents`, EXIT_CODES.usage);
        }
        const draft: StatusDraft = {
          from: d.to, about: d.from, documentId: d.edxmlDocumentId, code: opts.status, now: ctx.now(),
          ...(opts.note !== undefined ? { description: opts.note } : {}), ...(opts.staff !== undefined ? { staff: opts.staff } : {}),
        };
        const r = await client.sendStatus(draft);
        if (opts.json) return ctx.out(JSON.stringify({ deliveryId: opts.delivery, status: opts.status, id: r.id, created: r.created }));
        ctx.out(`${opts.delivery}: đã gửi trạng thái / status sent ${opts.status} (${r.id}) → ${d.from}`);
      } catch (e) {
        throw asClientCliError(e);
      }
    });

  addHubClientOptions(program.command('recall')
    .summary('recall a sent document / thu hồi văn bản đã gửi')
    .description('Thu hồi văn bản đã gửi (trạng thái 13) / Recall a document this system sent (status 13), from every recipient or '
      + 'the ones given: withdrawn at once where it was not fetched yet, else asked of the recipient, who answers 15 or 16.')
    .requiredOption('--document <id>', 'the document id the hub gave at send')
    .requiredOption('--reason <text>', 'lý do / why')
    .option('--recipient <codes...>', 'only these recipients (agency codes)')
    .option('--staff <name>', 'người thu hồi / staff name'))
    .action(async (opts: HubClientOpts & { document: string; reason: string; recipient?: string[]; staff?: string }) => {
      const client = hubClient(ctx, opts);
      try {
        await recall(ctx, client, opts);
      } catch (e) {
        throw asClientCliError(e);
      }
    });
}

async function recall(ctx: CliContext, client: VdxpClient, opts: HubClientOpts & { document: string; reason: string; recipient?: string[]; staff?: string }): Promise<void> {
  const doc = await client.document(opts.document);
  if (doc.kind !== 'edoc' || doc.documentId === null) throw new CliError(`${opts.document} không phải văn bản / is not a document`, EXIT_CODES.usage);
  const all = doc.deliveries.map((d) => d.recipient);
  const targets = opts.recipient ?? all;
  const unknown = targets.filter((r) => !all.includes(r));
  if (unknown.length > 0) throw new CliError(`không phải nơi nhận / not recipients of ${opts.document}: ${unknown.join(', ')}`, EXIT_CODES.usage);
  for (const recipient of targets) {
    try {
      const r = await client.recall({ from: doc.from, recipient, documentId: doc.documentId, reason: opts.reason, now: ctx.now(), ...(opts.staff ? { staff: opts.staff } : {}) });
      if (opts.json) ctx.out(JSON.stringify({ recipient, ok: true, id: r.id, recall: r.recall ?? null }));
      else ctx.out(`${recipient}: ${r.recall === 'withdrawn' ? 'đã rút lại / withdrawn' : 'đã đề nghị thu hồi, chờ 15/16 / requested, awaiting 15/16'}`);
    } catch (e) {
      if (!(e instanceof VdxpClientError) || e.retryable) throw e;
      ctx.fail(EXIT_CODES.failed);
      if (opts.json) ctx.out(JSON.stringify({ recipient, ok: false, error: { code: e.code, status: e.status ?? null, message: e.message } }));
      else ctx.err(`${recipient}: bị từ chối / refused — ${clientErrorLine(e)}`);
    }
  }
}

/** The download stream with a progress listener on it (the client reports download progress per fetch). */
function observe(body: ReadableStream<Uint8Array>, total: number, listener: (p: { phase: 'download'; bytes: number; total: number }) => void): ReadableStream<Uint8Array> {
  let bytes = 0;
  return body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      bytes += chunk.byteLength;
      listener({ phase: 'download', bytes, total });
      controller.enqueue(chunk);
    },
  }));
}
