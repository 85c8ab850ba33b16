// The reader hands long runs of text to its handler without sax (xml-event-reader.ts, #feed). Fed one byte at a
// time it never can (each write is one character), so that is the reference: on random and mutated packets, cut
// anywhere, the events (adjacent text joined, as its consumers join it) and the refusal codes must be the same.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { buildPacketBytes } from '../build.ts';
import { EdxmlError } from '../errors.ts';
import { EXAMPLES_DIR } from '../examples.ts';
import { XmlEventReader } from './xml-event-reader.ts';

function events(slices: readonly Uint8Array[]): string[] | { error: string } {
  const out: string[] = [];
  const text = (t: string): void => {
    if (out.at(-1)?.startsWith('T') === true) out[out.length - 1] += t;
    else out.push(`T${t}`);
  };
  const reader = new XmlEventReader({
    startElement: (e) => out.push(`S{${e.uri}}${e.local} ${JSON.stringify(e.attributes)} ${JSON.stringify(e.namespaceDeclarations)}`),
    endElement: () => out.push('E'),
    text,
    comment: (c) => out.push(`C${c}`),
    processingInstruction: (t, d) => out.push(`P${t} ${d}`),
  }, { trackEndTagOffsets: true });
  try {
    for (const s of slices) reader.write(s);
    reader.end();
  } catch (e) {
    if (!(e instanceof EdxmlError)) throw e;
    return { error: e.code };
  }
  return out;
}

const oneByOne = (b: Buffer): Uint8Array[] => Array.from(b, (x) => Uint8Array.of(x));

const INSERTS = ['&#13;', '&amp;', '&', '<', '<!-- c -->', '<![CDATA[x]]>', '\r\n', '\r', '<?pi d?>', ']]>', 'é', '\uD83D\uDE00', '</x>', '<x>'];

describe('XmlEventReader: long text without sax', () => {
  it('gives the events it gives a byte at a time, on packets with large payloads, mutated and cut anywhere (property)', async () => {
    const examples = readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.edxml')).map((f) => readFileSync(new URL(f, EXAMPLES_DIR)));
    const built = await buildPacketBytes({
      header: { MessageHeader: { From: { OrganId: '000.00.00.G22' }, To: [{ OrganId: '000.00.00.H41' }], ResponseFor: [] } },
      attachments: [{ ContentId: 'cid:1', AttachmentName: 'a.bin', ContentType: 'application/octet-stream', content: Buffer.alloc(3000, 0x5a) }],
    });
    const seeds = [...examples, built];
    await fc.assert(fc.asyncProperty(
      fc.nat(seeds.length - 1), fc.array(fc.tuple(fc.nat(), fc.nat(INSERTS.length - 1)), { maxLength: 3 }), fc.array(fc.nat(), { maxLength: 4 }),
      async (seed, inserts, cuts) => {
        let bytes = seeds[seed] ?? built;
        for (const [where, what] of inserts) {
          const at = where % (bytes.length + 1);
          bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(INSERTS[what] ?? '', 'utf8'), bytes.subarray(at)]);
        }
        const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const slices = [0, ...at].map((from, i) => bytes.subarray(from, [...at, bytes.length][i]));
        assert.deepEqual(events(slices), events(oneByOne(bytes)));
      },
    ), { numRuns: 150 });
  });
});
