// The protocol's JSON answers: `status` OK/FAIL, `ErrorCode` ("0" on success), `ErrorDesc` in Vietnamese
// without diacritics, plus each call's fields; long lists are streamed page by page, never built whole
// (getAgenciesList writes its own bytes and keeps them, up to a limit: agencies.ts).

import { Readable } from 'node:stream';
import { edxmlTimestamp } from '@vdxp/edxml';
import type { FastifyReply } from 'fastify';

export const JSON_TYPE = 'application/json; charset=utf-8';
export const OK_DESC = 'Thanh cong';

export interface Answer {
  status: 'OK' | 'FAIL';
  ErrorCode: string;
  ErrorDesc: string;
  [field: string]: unknown;
}

export function ok(fields: Record<string, unknown> = {}): Answer {
  return { status: 'OK', ErrorCode: '0', ErrorDesc: OK_DESC, ...fields };
}

export function fail(code: string, description: string): Answer {
  return { status: 'FAIL', ErrorCode: code, ErrorDesc: toAscii(description) };
}

/** Vietnamese without diacritics, as the axis writes its messages ("Thành công" → "Thanh cong"). */
export function toAscii(s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D')
    .replace(/[–—]/g, '-').replace(/[^\x20-\x7e]/g, '?');
}

/**
 * JSON with every non-ASCII character written as a \u escape. The same text for any JSON parser, and it
 * survives a client that decodes the answer in the wrong charset: SDKVXP 2.0.1 reads sendEdoc's answer as
 * US-ASCII.
 */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function sendAnswer(reply: FastifyReply, answer: Answer, httpStatus = 200): FastifyReply {
  return reply.code(httpStatus).type(JSON_TYPE).send(asciiJson(answer));
}

/**
 * Streams `{"status":"OK",…,"data":[…]}` from pages of items. The first page is read before anything is sent,
 * so a refusal there is still a proper FAIL answer; a failure later cuts the response off (invalid JSON),
 * which a client cannot mistake for a complete list.
 */
export async function sendList(reply: FastifyReply, pages: AsyncIterator<unknown[]>): Promise<FastifyReply> {
  const first = await pages.next();
  async function* body(): AsyncGenerator<string> {
    yield asciiJson(ok()).slice(0, -1) + ',"data":[';
    let separator = '';
    for (let page = first; page.done !== true; page = await pages.next()) {
      if (page.value.length === 0) continue;
      // UTF-8, unescaped: the SDK reads lists as UTF-8, and escaping a national registry's names costs time.
      yield separator + JSON.stringify(page.value).slice(1, -1);
      separator = ',';
    }
    yield ']}';
  }
  return reply.code(200).type(JSON_TYPE).send(Readable.from(body(), { objectMode: false }));
}

/** A time as `yyyy/MM/dd HH:mm:ss` in Việt Nam, edXML's own Timestamp form; "" for none. */
export function vnTime(t: number | null | undefined): string {
  return t === null || t === undefined ? '' : edxmlTimestamp(t);
}
