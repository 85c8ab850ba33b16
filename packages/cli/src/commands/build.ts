// `vdxp build`: writes a packet from a JSON header model and/or flags, with attachments streamed from disk,
// to a file (written beside it, then renamed: never a half packet under the final name) or to stdout.

import { createWriteStream } from 'node:fs';
import { readFile, rename, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import {
  DEFAULT_LIMITS, buildPacket, edxmlTimestamp, formatDocumentId, isEdxmlError, sniffPayload, tryParseDocumentId,
  type BuildAttachment, type MessageHeader,
} from '@vdxp/edxml';
import { CliError, EXIT_CODES, type CliContext } from '../context.ts';
import { fileHead, fileSlices, resolveFile } from '../files.ts';
import { formatBytes } from '../format.ts';
import { checkHeaderModel, headerFromJson, type HeaderModel } from '../model-json.ts';

export interface BuildOptions {
  model?: string;
  attach?: string[];
  from?: string;
  to?: string;
  subject?: string;
  documentId?: string;
  codeNumber?: string;
  codeNotation?: string;
  status?: string;
  responseFor?: string;
  description?: string;
  output?: string;
}

// A MIME type after the last comma of --attach; anything else there is part of the file name.
const MIME = /^[\w.+-]+\/[\w.+-]+$/;

export function registerBuild(program: Command, ctx: CliContext): void {
  program.command('build')
    .summary('write a packet / tạo gói tin')
    .description('Write an edXML packet from a JSON header model ({ "header": { "MessageHeader": …, "TraceHeaderList": … } }) '
      + 'and/or flags, attachments streamed from disk. Flags override the model. An edoc without TraceHeaderList gets '
      + "one with the sender's TraceHeader; a DocumentId is derived from the sender, date and code when absent; a "
      + 'status packet gets the current Timestamp (Vietnam time, UTC+7).')
    .option('--model <file>', 'JSON header model')
    .option('--attach <file[,type]>', 'attach a file, with its MIME type (sniffed when omitted); repeatable', collect)
    .option('--from <code>', 'sender OrganId')
    .option('--to <codes>', 'recipient OrganIds, comma-separated')
    .option('--subject <text>', 'Subject (trích yếu)')
    .option('--document-id <id>', 'DocumentId (OrganId,yyyy/MM/dd,Number/Notation)')
    .option('--code-number <number>', 'CodeNumber (số)')
    .option('--code-notation <notation>', 'CodeNotation (ký hiệu)')
    .option('--status <code>', 'build a status packet with this StatusCode (01–06, 13, 15, 16)')
    .option('--response-for <documentId>', 'the DocumentId a status packet answers')
    .option('--description <text>', 'Description of a status packet (the reason, for 02 and 13)')
    .option('-o, --output <file>', 'write here instead of stdout')
    .action(async (opts: BuildOptions) => {
      const header = await headerOf(ctx, opts);
      await checkHeaderModel(header);
      const attachments = await attachmentsOf(ctx, opts.attach ?? []);
      const written = await writePacket(ctx, buildPacket({ header, attachments }), opts.output);
      if (opts.output !== undefined) {
        ctx.err(`vdxp: ${opts.output}: ${formatBytes(written)}, ${attachments.length} tệp đính kèm / attachments`);
      }
    });
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The header from the model file and the flags (flags win), completed with what every packet carries. */
async function headerOf(ctx: CliContext, o: BuildOptions): Promise<HeaderModel> {
  if (o.model === undefined && o.from === undefined) throw new CliError('build needs --model <file> or --from <code>', EXIT_CODES.usage);
  if (o.status !== undefined && o.to !== undefined) {
    throw new CliError('--to does not apply to a status packet: it goes back to the sender of --response-for', EXIT_CODES.usage);
  }
  if (o.status !== undefined && o.responseFor === undefined && o.model === undefined) {
    throw new CliError('a status packet needs --response-for <documentId>', EXIT_CODES.usage);
  }
  const header: HeaderModel = o.model === undefined
    ? { MessageHeader: { From: { OrganId: '' }, To: [], ResponseFor: [] } }
    : headerFromJson(await readText(resolveFile(ctx, o.model)));
  const mh: MessageHeader = header.MessageHeader;
  if (o.from !== undefined) mh.From = { ...mh.From, OrganId: o.from };
  if (o.to !== undefined) mh.To = o.to.split(',').map((s) => s.trim()).filter((s) => s !== '').map((OrganId) => ({ OrganId }));
  if (o.subject !== undefined) mh.Subject = o.subject;
  if (o.documentId !== undefined) mh.DocumentId = o.documentId;
  if (o.codeNumber !== undefined || o.codeNotation !== undefined) {
    mh.Code = { ...mh.Code, ...(o.codeNumber === undefined ? {} : { CodeNumber: o.codeNumber }), ...(o.codeNotation === undefined ? {} : { CodeNotation: o.codeNotation }) };
  }
  if (o.status !== undefined) mh.StatusCode = o.status;
  if (o.description !== undefined) mh.Description = o.description;
  if (o.responseFor !== undefined) {
    const parts = tryParseDocumentId(o.responseFor);
    mh.ResponseFor = [parts === undefined ? { DocumentId: o.responseFor } : {
      OrganId: parts.organId, Code: `${parts.number}/${parts.notation}`, PromulgationDate: parts.date, DocumentId: o.responseFor,
    }];
  }
  const [date, time] = vietnamTime(ctx.now());
  if (mh.StatusCode !== undefined) {
    mh.Timestamp ??= `${date} ${time}`;
  } else {
    const { CodeNumber: number, CodeNotation: notation } = mh.Code ?? {};
    if (mh.DocumentId === undefined && number && notation && mh.From.OrganId) {
      mh.DocumentId = formatDocumentId({ organId: mh.From.OrganId, date: mh.PromulgationInfo?.PromulgationDate ?? date, number, notation });
    }
    header.TraceHeaderList ??= { TraceHeader: [{ OrganId: mh.From.OrganId, Timestamp: `${date} ${time}` }] };
  }
  return header;
}

/** `yyyy/MM/dd` and `HH:mm:ss` in Vietnam's time (UTC+7, no daylight saving), whatever the machine's zone. */
function vietnamTime(now: Date): [string, string] {
  const [date = '', time = ''] = edxmlTimestamp(now.getTime()).split(' ');
  return [date, time];
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${path}: ${(e as Error).message}`, EXIT_CODES.usage, { cause: e });
  }
}

/** Each --attach as a streamed attachment; files are checked before anything is written. */
async function attachmentsOf(ctx: CliContext, specs: readonly string[]): Promise<BuildAttachment[]> {
  const out: BuildAttachment[] = [];
  for (const [i, spec] of specs.entries()) {
    const comma = spec.lastIndexOf(',');
    const typed = comma !== -1 && MIME.test(spec.slice(comma + 1));
    const path = resolveFile(ctx, typed ? spec.slice(0, comma) : spec);
    let isFile: boolean;
    try {
      isFile = (await stat(path)).isFile();
    } catch (e) {
      throw new CliError(`cannot read attachment ${path}: ${(e as Error).message}`, EXIT_CODES.usage, { cause: e });
    }
    if (!isFile) throw new CliError(`attachment ${path} is not a file`, EXIT_CODES.usage);
    const type = typed ? spec.slice(comma + 1) : sniffPayload(await fileHead(path, DEFAULT_LIMITS.attachmentHeadBytes)).mime;
    out.push({ ContentId: `cid:${i + 1}`, AttachmentName: basename(path), ContentType: type, content: fileSlices(path) });
  }
  return out;
}

/** Streams the packet to `output` (via a temporary file, renamed at the end) or stdout; returns the bytes written. */
async function writePacket(ctx: CliContext, packet: AsyncIterable<Buffer>, output: string | undefined): Promise<number> {
  let written = 0;
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of packet) {
      written += chunk.length;
      yield chunk;
    }
  }
  if (output === undefined) {
    for await (const chunk of counted()) if (!ctx.stdout.write(chunk)) await once(ctx.stdout, 'drain');
    return written;
  }
  const target = resolveFile(ctx, output);
  const temporary = `${target}.${process.pid}.partial`;
  try {
    await pipeline(counted(), createWriteStream(temporary, { flags: 'wx' }));
    await rename(temporary, target);
  } catch (e) {
    await rm(temporary, { force: true });
    if (isEdxmlError(e) || e instanceof CliError) throw e;
    throw new CliError(`cannot write ${target}: ${(e as Error).message}`, EXIT_CODES.usage, { cause: e });
  }
  return written;
}
