// The streaming multipart reader: the file_doc part comes out intact however the body is chunked (a boundary
// split across chunks included), other parts are skipped, and malformed bodies are refused with their code.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileDocPart, multipartBoundary } from './multipart.ts';

async function read(chunks: Buffer[], boundary = 'XyZ', max = 1024): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of fileDocPart(chunks, boundary, max)) out.push(Buffer.from(c));
  return Buffer.concat(out);
}

/** Every way of cutting `body` in two, and in one-byte pieces. */
function chunkings(body: Buffer): Buffer[][] {
  const out: Buffer[][] = [[body], [...body].map((b) => Buffer.from([b]))];
  for (let i = 1; i < body.length; i++) out.push([body.subarray(0, i), body.subarray(i)]);
  return out;
}

// The content holds a near-boundary ("\r\n--XyZ" without the final byte) and CRLFs, to tempt a sloppy parser.
const file = Buffer.from('<edXML>\r\n--Xy\r\n--XyQ binary\u0000\u00ff</edXML>', 'latin1');
const body = Buffer.concat([
  Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="other"\r\n\r\nskip me\r\n'),
  Buffer.from('--XyZ  \r\nContent-Disposition: form-data; name="file_doc"; filename="a.edxml"\r\nContent-Type: application/octet-stream\r\n\r\n'),
  file,
  Buffer.from('\r\n--XyZ\r\nContent-Disposition: form-data; name="file_doc"\r\n\r\nsecond file_doc is ignored\r\n--XyZ--\r\nepilogue'),
]);

describe('multipart', () => {
  it('reads the boundary from the Content-Type, quoted or not', () => {
    assert.equal(multipartBoundary('multipart/form-data; boundary====1700000000000==='), '===1700000000000===');
    assert.equal(multipartBoundary('Multipart/Form-Data; charset=utf-8; boundary="a b"'), 'a b');
    assert.equal(multipartBoundary('application/octet-stream'), undefined);
    assert.equal(multipartBoundary(undefined), undefined);
    assert.throws(() => multipartBoundary('multipart/form-data'), { code: 'VDXP_E_VDXP_MULTIPART' });
  });

  it('yields the file_doc part byte for byte, however the body is chunked', async () => {
    for (const chunks of chunkings(body)) assert.deepEqual(await read(chunks), file);
  });

  it('allows a preamble, empty part headers elsewhere, and an empty file_doc', async () => {
    const withPreamble = Buffer.from('preamble\r\n--XyZ\r\n\r\nno headers\r\n--XyZ\r\nContent-Disposition: form-data; name=file_doc\r\n\r\n\r\n--XyZ--');
    assert.deepEqual(await read([withPreamble]), Buffer.alloc(0));
  });

  it('takes a raw XML body sent under a multipart Content-Type as the file', async () => {
    assert.deepEqual(await read([Buffer.from('<?xml version="1.0"?><edXML/>')]), Buffer.from('<?xml version="1.0"?><edXML/>'));
  });

  it('refuses what is not a complete multipart body with file_doc', async () => {
    const cases: [string, string][] = [
      ['no file_doc', '--XyZ\r\nContent-Disposition: form-data; name="x"\r\n\r\nx\r\n--XyZ--\r\n'],
      ['cut inside the part', '--XyZ\r\nContent-Disposition: form-data; name="file_doc"\r\n\r\n<edXML>'],
      ['cut in the headers', '--XyZ\r\nContent-Disposition: form-data; name="file_doc"'],
      ['no delimiter at all', 'garbage without a boundary'],
      ['text after a delimiter', '--XyZ junk\r\n\r\nx\r\n--XyZ--'],
      ['ends after a delimiter', '--XyZ'],
    ];
    for (const [why, text] of cases) await assert.rejects(read([Buffer.from(text)]), { code: 'VDXP_E_VDXP_MULTIPART' }, why);
    await assert.rejects(read([Buffer.from(`--XyZ\r\nX-Long: ${'h'.repeat(2000)}\r\n\r\nx\r\n--XyZ--`)], 'XyZ', 1024), { code: 'VDXP_E_VDXP_MULTIPART' }, 'header bound');
  });
});
