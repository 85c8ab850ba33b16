// Fuzzing the parser (and the validator behind it): mutated example packets and built packets must parse or be refused
// with a known EdxmlError code — never another exception, never a hang. Seeded: FUZZ_SEED=<n> replays a run.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { buildPacketBytes } from './build.ts';
import { EDXML_ERRORS, EdxmlError } from './errors.ts';
import { EXAMPLES_DIR } from './examples.ts';
import type { EdxmlLimits } from './limits.ts';
import { parsePacket } from './parse.ts';
import { validatePacket } from './validate.ts';

const ITERATIONS = 3000;
/** A hang guard, not a speed bound: about 11 s of CPU, but 62–83 s of wall time at load average 15 on 2 shared cores. */
const FUZZ_TIMEOUT_MS = 300_000;
const SEED = Number(process.env['FUZZ_SEED'] ?? Date.now() % 2 ** 31) >>> 0 || 1;

/** xorshift32: tiny, fast, and the same sequence for the same seed on every machine. */
class Rng {
  #s: number;

  constructor(seed: number) {
    this.#s = seed >>> 0 || 1;
  }

  next(): number {
    let x = this.#s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#s = x >>> 0;
    return this.#s;
  }

  /** 0 ≤ n < max */
  int(max: number): number {
    return max <= 0 ? 0 : this.next() % max;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('assertion: pick from a non-empty list');
    return item;
  }
}

const TOKENS = [
  '<', '>', '&', '&amp', '&#0;', '&#xD800;', '&unknown;', ']]>', '<![CDATA[', '<!--', '-->', '<?pi x?>', '"', "'", '=',
  '<!DOCTYPE edXML [<!ENTITY e "x">]>', '<!DOCTYPE edXML SYSTEM "file:///etc/passwd">', '<!ENTITY a "aaaa">',
  '</edXML>', '<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">', '<edXML:To>', '</MessageHeader>',
  '<StatusCode>99</StatusCode>', '<Attachment><ContentTransferEncoded>', 'xmlns:edXML="urn:other"', 'xmlns=""',
  '=', '====', 'QUJD', '\u0000', '\uFFFE', 'Việt Nam', '\r\n', '\t',
].map((s) => Buffer.from(s, 'utf8'));
const RAW_BYTES = [Buffer.from([0xff]), Buffer.from([0xc3]), Buffer.from([0xe2, 0x82]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xef, 0xbb, 0xbf])];

type Mutation = (b: Buffer, rng: Rng) => [Buffer, string];

const at = (b: Buffer, rng: Rng): number => rng.int(b.length + 1);
const insert = (b: Buffer, pos: number, what: Buffer): Buffer => Buffer.concat([b.subarray(0, pos), what, b.subarray(pos)]);

/** Before a random closing tag, where inserted elements land inside a header group rather than in the prolog. */
function beforeClosingTag(b: Buffer, rng: Rng): number {
  const s = b.toString('latin1');
  const positions: number[] = [];
  for (let i = s.indexOf('</'); i !== -1 && positions.length < 200; i = s.indexOf('</', i + 2)) positions.push(i);
  return positions.length === 0 ? at(b, rng) : rng.pick(positions);
}

const MUTATIONS: readonly Mutation[] = [
  (b, rng) => {
    const out = Buffer.from(b);
    const flips = 1 + rng.int(8);
    for (let i = 0; i < flips && out.length > 0; i++) {
      const pos = rng.int(out.length);
      out[pos] = (out[pos] ?? 0) ^ (1 << rng.int(8));
    }
    return [out, `flip ${flips} bits`];
  },
  (b, rng) => {
    const pos = rng.int(b.length);
    return [b.subarray(0, pos), `truncate at ${pos}`];
  },
  (b, rng) => {
    const from = rng.int(b.length);
    const len = 1 + rng.int(Math.min(2000, b.length - from));
    const pos = at(b, rng);
    return [insert(b, pos, b.subarray(from, from + len)), `duplicate ${from}+${len} at ${pos}`];
  },
  (b, rng) => {
    const from = rng.int(b.length);
    const len = 1 + rng.int(Math.min(500, b.length - from));
    return [Buffer.concat([b.subarray(0, from), b.subarray(from + len)]), `remove ${from}+${len}`];
  },
  (b, rng) => {
    const token = rng.pick(rng.int(4) === 0 ? RAW_BYTES : TOKENS);
    const pos = at(b, rng);
    return [insert(b, pos, token), `insert ${JSON.stringify(token.toString('latin1'))} at ${pos}`];
  },
  (b, rng) => {
    // A DTD where one is possible: after the XML declaration, before the root.
    const decl = b.indexOf('?>');
    const pos = decl === -1 ? 0 : decl + 2;
    const dtd = rng.pick(['<!DOCTYPE edXML [<!ENTITY e "x">]>', '<!DOCTYPE edXML SYSTEM "http://example.invalid/x.dtd">',
      `<!DOCTYPE edXML [${'<!ENTITY a "&b;&b;">'.repeat(10)}]>`]);
    return [insert(b, pos, Buffer.from(dtd)), `doctype at ${pos}`];
  },
  (b, rng) => {
    const depth = 1 + rng.int(80);
    const pos = beforeClosingTag(b, rng);
    return [insert(b, pos, Buffer.from(`${'<x>'.repeat(depth)}t${'</x>'.repeat(depth)}`)), `nest ${depth} at ${pos}`];
  },
  (b, rng) => {
    // Repeated elements where they count: inside their real parent when the packet has it.
    const [name, parent] = rng.pick([['To', 'MessageHeader'], ['ResponseFor', 'MessageHeader'], ['TraceHeader', 'TraceHeaderList'],
      ['Reference', 'edXMLManifest'], ['Attachment', 'AttachmentEncoded'], ['Unknown', 'MessageHeader']] as const);
    const close = /<\/(?:edXML:)?(\w+)>/g;
    const candidates = [...b.toString('latin1').matchAll(close)].filter((m) => m[1] === parent).map((m) => m.index);
    const pos = candidates.length > 0 ? rng.pick(candidates) : beforeClosingTag(b, rng);
    // Past repeatedElementsMax (10 000) only now and then: each such packet takes ~50 ms to refuse.
    const count = rng.int(16) === 0 ? 10_001 : rng.pick([10, 100, 1000]);
    return [insert(b, pos, Buffer.from(`<${name}><OrganId>x</OrganId></${name}>`.repeat(count))), `${count} × ${name} at ${pos}`];
  },
  (b, rng) => {
    const chars = rng.pick([1000, 1000, 70_000, 70_000, 300_000]);
    const pos = beforeClosingTag(b, rng);
    return [insert(b, pos, Buffer.from(rng.int(2) === 0 ? 'A'.repeat(chars) : 'ệ'.repeat(chars / 3))), `${chars} characters of text at ${pos}`];
  },
];

function slices(b: Buffer, rng: Rng): Buffer[] {
  const out: Buffer[] = [];
  // Tiny slices only for small inputs: each slice costs a few µs (it is a promise node:test's hooks track: a
  // profile of seed 1 spent more time there than in sax), and small inputs reach every boundary anyway.
  const size = rng.pick(b.length < 4096 ? [1, 7, 64, 4093, 65_536, b.length + 1]
    : b.length < 16_384 ? [7, 64, 4093, 65_536, b.length + 1] : [4093, 65_536, b.length + 1]);
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
  return out;
}

/** Sometimes tight limits, so that every limit's refusal path is walked too. */
function limitsFor(rng: Rng): Partial<EdxmlLimits> {
  switch (rng.int(6)) {
    case 0: return { headerCharsMax: 2000, fieldCharsMax: 50, repeatedElementsMax: 3, attachmentsMax: 1, depthMax: 8 };
    case 1: return { attachmentBytesMax: 10, attachmentsTotalBytesMax: 20, packetBytesMax: 1500 };
    default: return {};
  }
}

const KNOWN_CODES = new Set(Object.keys(EDXML_ERRORS));

async function corpus(): Promise<{ name: string; bytes: Buffer }[]> {
  const files = readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.edxml')).sort();
  const built = await buildPacketBytes({
    header: {
      MessageHeader: {
        From: { OrganId: '000.00.00.G22', OrganName: 'Văn phòng Chính phủ' },
        To: [{ OrganId: '000.00.00.H41' }, { OrganId: '000.00.00.H14' }],
        DocumentId: '000.00.00.G22,2015/09/30,7816/VPCP-TTĐT', Code: { CodeNumber: '7816', CodeNotation: 'VPCP-TTĐT' },
        Subject: 'Về việc <thử> & "kiểm tra"', OtherInfo: { Priority: '1', Appendixes: ['Phụ lục 1', 'Phụ lục 2'] },
        ResponseFor: [{ DocumentId: '000.00.00.H41,2015/09/01,12/UBND-VX' }],
      },
      TraceHeaderList: {
        TraceHeader: [{ OrganId: '000.00.00.G22', Timestamp: '2015/09/30 10:15:00' }],
        Bussiness: { BussinessDocType: '2', BussinessDocumentInfo: { ReceiverList: [{ OrganId: '000.00.00.H14', ReceiverType: '1' }] } },
      },
    },
    attachments: [
      { ContentId: 'cid:1', AttachmentName: 'a.pdf', ContentType: 'application/pdf', content: Buffer.from('%PDF-1.4\n'.repeat(300)) },
      { ContentId: 'cid:2', AttachmentName: 'b.bin', ContentType: 'application/octet-stream', content: Buffer.from(Array.from({ length: 2000 }, (_, i) => (i * 37) & 0xff)) },
    ],
  });
  return [...files.map((name) => ({ name, bytes: readFileSync(new URL(name, EXAMPLES_DIR)) })), { name: 'built edoc with attachments', bytes: built }];
}

describe('fuzz', () => {
  it(`parses or refuses with a known code, ${ITERATIONS} mutations (seed ${SEED})`, { timeout: FUZZ_TIMEOUT_MS }, async () => {
    const rng = new Rng(SEED);
    const inputs = await corpus();
    const outcomes = { parsed: 0, refused: 0 };
    const codes = new Set<string>();
    for (let i = 0; i < ITERATIONS; i++) {
      const input = rng.pick(inputs);
      let bytes = input.bytes;
      const steps: string[] = [];
      for (let m = 1 + rng.int(3); m > 0; m--) {
        const [next, what] = rng.pick(MUTATIONS)(bytes, rng);
        bytes = next;
        steps.push(what);
      }
      const replay = `seed ${SEED}, iteration ${i}, ${input.name}: ${steps.join('; ')} (replay with FUZZ_SEED=${SEED})`;
      const sink = rng.int(3) === 0
        ? () => new Writable({ write: (_c: Buffer, _e, done: () => void) => { setImmediate(done); } })
        : undefined;
      try {
        const packet = await parsePacket(slices(bytes, rng), { limits: limitsFor(rng), ...(sink ? { onAttachment: sink } : {}) });
        for (const mode of ['lenient', 'strict'] as const) assert.ok(Array.isArray(validatePacket(packet, mode)), replay);
        outcomes.parsed++;
      } catch (e) {
        if (!(e instanceof EdxmlError)) assert.fail(`not an EdxmlError: ${String(e)}\n${(e as Error).stack ?? ''}\n${replay}`);
        assert.ok(KNOWN_CODES.has(e.code), `unknown code ${e.code}: ${replay}`);
        codes.add(e.code);
        outcomes.refused++;
      }
    }
    // The mutations must reach both outcomes and a spread of refusals, or the fuzzer tests nothing.
    assert.ok(outcomes.parsed > ITERATIONS / 20, `parsed ${outcomes.parsed} (seed ${SEED})`);
    assert.ok(outcomes.refused > ITERATIONS / 5, `refused ${outcomes.refused} (seed ${SEED})`);
    for (const code of ['VDXP_E_XML_MALFORMED', 'VDXP_E_XML_TRUNCATED', 'VDXP_E_XML_DTD', 'VDXP_E_XML_DEPTH', 'VDXP_E_REPEAT_TOO_MANY']) {
      assert.ok(codes.has(code), `no ${code} among ${[...codes].join(', ')} (seed ${SEED})`);
    }
  });
});
