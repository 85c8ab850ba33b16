// The fast path against the reference: parsePacket (the markup scanner, payload text straight to the base64
// decoder, sax for whatever the scanner leaves) must give exactly what parsePacketSaxOnly (sax reads every
// character) gives — the same packet, the same attachment bytes, or the same refusal code — on random and mutated
// packets cut into any slices: entities, CDATA, comments and '<' in or near payloads, folded base64, namespaces,
// attributes and names the scanner must leave to sax, truncation, bytes that are not UTF-8.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { buildPacketBytes, type PacketModel } from './build.ts';
import { EdxmlError } from './errors.ts';
import { EXAMPLES_DIR } from './examples.ts';
import type { EdxmlLimits } from './limits.ts';
import { parsePacket, parsePacketSaxOnly, type ParseOptions } from './parse.ts';
import { EXTRA_CORPUS_DIR, EXTRA_CORPUS_FILES } from '../test-support/extra-corpus.ts';

type Parse = typeof parsePacket;

/** What a parse amounts to: the whole result with each sink's bytes, or the refusal's code. */
async function outcome(parse: Parse, slices: readonly Uint8Array[], limits?: Partial<EdxmlLimits>): Promise<unknown> {
  const sinks: Buffer[][] = [];
  const options: ParseOptions = {
    onAttachment: ({ index }) => {
      const parts: Buffer[] = [];
      sinks[index] = parts;
      return new Writable({ write(c: Buffer, _e, cb) { parts.push(c); cb(); } });
    },
  };
  if (limits !== undefined) options.limits = limits;
  try {
    const packet = await parse(slices, options);
    return { packet, sinks: sinks.map((parts) => Buffer.concat(parts).toString('hex')) };
  } catch (e) {
    if (!(e instanceof EdxmlError)) throw e;
    return { error: e.code };
  }
}

/**
 * The one way the paths may differ: which of two faults a refused packet is refused for. sax judges a payload's
 * text only when the node after it begins (or past 64 KiB, at a point set by its own write sizes), the fast path
 * as each slice brings it. So when the text is bad (not base64, or over the byte limit) and what comes right after
 * it is bad too (a stray '&' or '<', the packet cut short, or the next slice passing packetBytesMax, which is
 * checked before a slice is parsed), sax names that and the fast path the text; both refuse. Today's parser did
 * either, depending on how the sender's bytes were sliced. Never the other way round.
 */
const TEXT_FAULTS = new Set(['VDXP_E_BASE64_INVALID', 'VDXP_E_ATTACHMENT_TOO_LARGE']);
const FAULTS_AFTER_TEXT = new Set([...TEXT_FAULTS, 'VDXP_E_XML_MALFORMED', 'VDXP_E_XML_TRUNCATED', 'VDXP_E_PACKET_TOO_LARGE']);

let faultOrderDiffers = 0;

async function same(bytes: Buffer, cuts: readonly number[], limits?: Partial<EdxmlLimits>): Promise<unknown> {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const slices = [0, ...at].map((from, i) => bytes.subarray(from, [...at, bytes.length][i]));
  const fast = await outcome(parsePacket, slices, limits);
  const reference = await outcome(parsePacketSaxOnly, slices, limits);
  const [f, r] = [fast, reference].map((o) => (o as { error?: string }).error);
  if (f !== undefined && r !== undefined && f !== r && TEXT_FAULTS.has(f) && FAULTS_AFTER_TEXT.has(r)) {
    faultOrderDiffers++;
    return fast;
  }
  assert.deepEqual(fast, reference, `${bytes.length} bytes cut at ${at.join(',')}`);
  return fast;
}

const files = (dir: URL): Buffer[] => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.edxml')).sort()
  .map((f) => readFileSync(new URL(f, dir))) : []);
/** The project's examples and, when present, the extra corpus of real packets (test-support/extra-corpus.ts). */
const CORPUS = [...files(EXAMPLES_DIR), ...EXTRA_CORPUS_FILES.map((f) => readFileSync(new URL(f, EXTRA_CORPUS_DIR)))];

const PAYLOAD = /(<(?:\w+:)?ContentTransferEncoded\b[^>]*>)([^<]*)(<)/g;

/** Rewrites each payload's text with `f` (text between the start tag and the next '<'). */
function rewritePayloads(bytes: Buffer, f: (text: string, index: number) => string): Buffer {
  let i = 0;
  return Buffer.from(bytes.toString('utf8').replace(PAYLOAD, (_m, open: string, text: string, lt: string) => open + f(text, i++) + lt), 'utf8');
}

/** Ways real or hostile producers write payload text; each keeps or breaks the packet, both paths must agree. */
const PAYLOAD_FORMS: readonly ((text: string, n: number) => string)[] = [
  (t, n) => t.replace(/\s+/g, '').replace(new RegExp(`.{${1 + (n % 80)}}`, 'g'), '$&\r\n'),
  (t, n) => t.replace(/\s+/g, '').replace(new RegExp(`.{${1 + (n % 80)}}`, 'g'), '$&\n'),
  (t) => t.replace(/\r/g, '&#13;'),
  (t) => t.replace(/\r?\n/g, '&#xD;&#xA;'),
  (t, n) => `${t.slice(0, n % (t.length + 1))}&#65;${t.slice(n % (t.length + 1))}`,
  (t, n) => `${t.slice(0, n % (t.length + 1))}&amp;${t.slice(n % (t.length + 1))}`,
  (t, n) => `${t.slice(0, n % (t.length + 1))}&${t.slice(n % (t.length + 1))}`,
  (t, n) => `${t.slice(0, n % (t.length + 1))}&#x41${t.slice(n % (t.length + 1))}`,
  (t, n) => `${t.slice(0, n % (t.length + 1))}<![CDATA[${t.slice(n % (t.length + 1))}]]>`,
  (t, n) => `<![CDATA[${t.slice(0, n % (t.length + 1))}]]>${t.slice(n % (t.length + 1))}`,
  (t, n) => `${t.slice(0, n % (t.length + 1))}<!-- note -->${t.slice(n % (t.length + 1))}`,
  (t, n) => `${t.slice(0, n % (t.length + 1))}<?pi data?>${t.slice(n % (t.length + 1))}`,
  (t, n) => `${t.slice(0, n % (t.length + 1))}<${t.slice(n % (t.length + 1))}`,
  (t, n) => `${t.slice(0, n % (t.length + 1))}<x>y</x>${t.slice(n % (t.length + 1))}`,
  (t, n) => `${t.slice(0, n % (t.length + 1))}]]>${t.slice(n % (t.length + 1))}`,
  (t, n) => `${t.slice(0, n % (t.length + 1))}${['=', '-', '_', '\f', 'é', '\u{1F600}', '\t', ' ', '>'][n % 9] ?? ''}${t.slice(n % (t.length + 1))}`,
  (t) => `  ${t}\r\n  `,
  (t) => t.replace(/=+$/, ''),
  () => '',
];

const TOKENS = ['<', '>', '&', '&#13;', '&lt;', ']]>', '<![CDATA[', '<!--', '-->', '</ContentTransferEncoded>', '<ContentTransferEncoded>',
  '</Attachment>', '<Attachment>', '</AttachmentEncoded>', '<AttachmentEncoded>', 'AttachmentEncoded', '<edXML:ContentTransferEncoded>',
  'xmlns:edXML="urn:other"', '"', '=', 'QUJD', '\r\n', 'é', '\uD83D\uDE00'];

/** Markup the scanner must either read as sax does or leave to sax. */
const MARKUP = ['<!-- c -->', '<?pi x?>', '<?xml version="1.0"?>', ' xmlns:p="urn:p"', ' xmlns=""', ' xmlns:p=""', ' xmlns:xml="urn:x"',
  ' a="1"', ' a="1" a="2"', " a='>'", ' a="&amp;"', ' a="<"', ' a=1', ' a', 'a="1"', ' xml:lang="vi"', ' p:a="1"', ' b:c:d="1"',
  '&amp;', '&AMP;', '&#65;', '&#x41;', '&nbsp;', '&lt;&gt;&quot;&apos;', '</x>', '<x>', '<x/>', '<x />', '<x/ >', '<p:x>', '</p:x>',
  '<x><y/></x>', '<p:x/>', '<p:x>t</p:x>', '<x p:a="1"/>', '<x xmlns:p="urn:p"><p:y/></x>', '< x>', '</ x>', '<x >', '</x >', '<1x>', '<x:>', '<Việt>', '<\uFEFF>', '\uFEFF', ']]>', '<![CDATA[c]]>',
  '<!DOCTYPE x>', '<edXML:x xmlns:edXML="">', '<edXML:Subject>s</edXML:Subject>', '<Subject>s</Subject>', '<To><OrganId>z</OrganId></To>',
  '\r\n', '\t', ' ', '"', "'", '=', '/', '>', '<', '&', '?>', '<?'];

/** A byte-level mutation anywhere (often inside or next to a payload): insert a token, flip bits, truncate. */
function mutate(bytes: Buffer, kind: number, where: number, what: number): Buffer {
  const pos = where % (bytes.length + 1);
  switch (kind % 5) {
    case 0: return Buffer.concat([bytes.subarray(0, pos), Buffer.from(TOKENS[what % TOKENS.length] ?? '', 'utf8'), bytes.subarray(pos)]);
    case 1: {
      const out = Buffer.from(bytes);
      if (out.length > 0) out[pos % out.length] = (out[pos % out.length] ?? 0) ^ (1 << (what % 8));
      return out;
    }
    case 2: return bytes.subarray(0, pos);
    case 3: return Buffer.concat([bytes.subarray(0, pos), Buffer.from([[0xff, 0xc3, 0xe2, 0xed][what % 4] ?? 0xff]), bytes.subarray(pos)]);
    default: return Buffer.concat([bytes.subarray(0, pos), bytes.subarray(Math.min(bytes.length, pos + 1 + (what % 40)))]);
  }
}

/** Near a payload: mutations there are the ones the fast path could get wrong. */
function nearPayload(bytes: Buffer, n: number): number {
  const text = bytes.toString('latin1');
  const spots: number[] = [];
  for (const m of text.matchAll(/ContentTransferEncoded/g)) spots.push(m.index, m.index + 23);
  if (spots.length === 0) return n;
  return Math.max(0, (spots[n % spots.length] ?? 0) + ((n >> 4) % 41) - 20);
}

const model = (attachments: Uint8Array[], prefixed: boolean): PacketModel => ({
  header: { MessageHeader: { From: { OrganId: '000.00.00.G22', OrganName: 'Văn phòng <Chính phủ> & "VP"' }, To: [{ OrganId: '000.00.00.H41' }], ResponseFor: [], Subject: prefixed ? 'AttachmentEncoded > ContentTransferEncoded' : 'x' } },
  attachments: attachments.map((content, i) => ({ ContentId: `cid:${i}`, AttachmentName: `a${i}.bin`, ContentType: 'application/octet-stream', content })),
});

const TIGHT: readonly (Partial<EdxmlLimits> | undefined)[] = [
  undefined, undefined, undefined,
  { attachmentBytesMax: 100, attachmentsTotalBytesMax: 150 }, { attachmentsMax: 1, depthMax: 6, fieldCharsMax: 20, repeatedElementsMax: 1 },
  { packetBytesMax: 1200 },
];

describe('parse: the scanner and fast path give what sax alone gives', () => {
  it('the examples (and the shared samples) cut at every byte near a payload, and every 61st elsewhere: the same packet', async () => {
    assert.ok(CORPUS.length >= 13);
    for (const bytes of CORPUS) {
      const whole = await same(bytes, []);
      assert.ok(!('error' in (whole as object)), 'every example parses');
      const near = new Set<number>();
      for (const m of bytes.toString('latin1').matchAll(/<\/?(?:\w+:)?(?:ContentTransferEncoded|AttachmentEncoded)\b[^>]*>/g)) {
        for (let a = m.index - 40; a <= m.index + m[0].length + 40; a++) near.add(a);
      }
      for (let at = 1; at < bytes.length; at++) if (near.has(at) || at % 61 === 0) assert.deepEqual(await same(bytes, [at]), whole);
    }
  });

  it('built packets with random attachments, written in every payload form, cut anywhere (property)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.uint8Array({ maxLength: 2500 }), { minLength: 1, maxLength: 3 }), fc.boolean(),
      fc.array(fc.nat(PAYLOAD_FORMS.length - 1), { maxLength: 3 }), fc.nat(), fc.array(fc.nat(), { maxLength: 6 }), fc.nat(TIGHT.length - 1),
      async (attachments, prefixed, forms, n, cuts, limits) => {
        let bytes = await buildPacketBytes(model(attachments, prefixed));
        if (prefixed) bytes = Buffer.from(bytes.toString('utf8').replace(/<(\/?)(Attachment|AttachmentEncoded|ContentTransferEncoded)\b/g, '<$1edXML:$2')
          .replace('<edXML ', '<edXML xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016" '), 'utf8');
        for (const form of forms) bytes = rewritePayloads(bytes, (t, i) => (PAYLOAD_FORMS[form] ?? ((x: string) => x))(t, n + i));
        await same(bytes, cuts, TIGHT[limits]);
      },
    ), { numRuns: 400 });
  });

  it('mutated examples and built packets, mutations near payloads, cut anywhere (property)', async () => {
    const built = await buildPacketBytes(model([Buffer.from('%PDF-1.4\n'.repeat(200)), Buffer.alloc(700, 7)], false));
    const seeds = [...CORPUS, built];
    await fc.assert(fc.asyncProperty(
      fc.nat(seeds.length - 1), fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.boolean()), { minLength: 1, maxLength: 3 }),
      fc.array(fc.nat(), { maxLength: 5 }), fc.nat(TIGHT.length - 1),
      async (seed, mutations, cuts, limits) => {
        let bytes = seeds[seed] ?? built;
        for (const [kind, where, what, near] of mutations) bytes = mutate(bytes, kind, near ? nearPayload(bytes, where) : where, what);
        const at = cuts.map((c, i) => (i % 2 === 0 ? nearPayload(bytes, c) : c));
        await same(bytes, at, TIGHT[limits]);
      },
    ), { numRuns: 1500 });
    // The exception above stays an exception: most mutated packets are refused, and nearly all with one code.
    assert.ok(faultOrderDiffers < 100, `${faultOrderDiffers} packets named another of their faults`);
  });

  it('markup mutated anywhere (names, attributes, namespaces, entities, instructions), cut anywhere (property)', async () => {
    const built = await buildPacketBytes(model([Buffer.from('%PDF-1.4\n'.repeat(20))], true));
    const seeds = [...CORPUS, built];
    await fc.assert(fc.asyncProperty(
      fc.nat(seeds.length - 1), fc.array(fc.tuple(fc.nat(), fc.nat(MARKUP.length - 1), fc.boolean()), { minLength: 1, maxLength: 3 }),
      fc.array(fc.nat(), { maxLength: 4 }), fc.nat(TIGHT.length - 1),
      async (seed, inserts, cuts, limits) => {
        let bytes = seeds[seed] ?? built;
        for (const [where, token, inTag] of inserts) {
          // Inside a start tag (before its '>') or anywhere.
          const text = bytes.toString('latin1');
          const tags = [...text.matchAll(/<[A-Za-z][^>]*?(?=\/?>)/g)].map((m) => m.index + m[0].length);
          const pos = inTag && tags.length > 0 ? (tags[where % tags.length] ?? 0) : where % (bytes.length + 1);
          bytes = Buffer.concat([bytes.subarray(0, pos), Buffer.from(MARKUP[token] ?? '', 'utf8'), bytes.subarray(pos)]);
        }
        await same(bytes, cuts, TIGHT[limits]);
      },
    ), { numRuns: 2000 });
  });

  it('a payload split at every boundary, with a character reference, CDATA and CRLF in it: the same bytes', async () => {
    const base = await buildPacketBytes(model([Buffer.from('Một tệp nhỏ để thử: ranh giới ở mọi chỗ.')], false));
    const bytes = rewritePayloads(base, (t) => `\r\n${t.slice(0, 8)}&#13;&#10;${t.slice(8, 20)}<![CDATA[${t.slice(20, 30)}]]>${t.slice(30)}\r\n`);
    const start = bytes.indexOf('<ContentTransferEncoded>');
    const end = bytes.indexOf('</Attachment>');
    const whole = await same(bytes, []);
    assert.ok(!('error' in (whole as object)), JSON.stringify(whole));
    for (let a = start; a <= end; a++) {
      assert.deepEqual(await same(bytes, [a]), whole);
      assert.deepEqual(await same(bytes, [a, a + 1, a + 3]), whole);
    }
  });
});
