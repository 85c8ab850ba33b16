// DocumentId: the documented example, free ids from real traffic, calendar checks, and parse/format round trips.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EdxmlError } from './errors.ts';
import { EXAMPLES_DIR } from './examples.ts';
import { formatDocumentId, isDocumentDate, parseDocumentId, tryParseDocumentId, type DocumentIdParts } from './document-id.ts';

const MINIMAL = new URL('edoc-minimal-free-ids.edxml', EXAMPLES_DIR);

describe('parseDocumentId', () => {
  it('reads the example of docs/edxml.md', () => {
    assert.deepEqual(parseDocumentId('000.00.00.G22,2015/09/30,7816/VPCP-TTĐT'), {
      organId: '000.00.00.G22', date: '2015/09/30', number: '7816', notation: 'VPCP-TTĐT',
    });
  });

  it('splits number from notation at the first "/" and keeps the rest of the notation whole', () => {
    assert.deepEqual(parseDocumentId('000.00.15.H51,2024/02/29,12/2024/QĐ-UBND,TTr'), {
      organId: '000.00.15.H51', date: '2024/02/29', number: '12', notation: '2024/QĐ-UBND,TTr',
    });
  });

  it('accepts any acceptable OrganId, not only legacy codes', () => {
    assert.equal(parseDocumentId('vxp.saas.03,2025/07/01,1/TEST').organId, 'vxp.saas.03');
  });

  it('returns undefined from tryParse for the free id of the minimal example', () => {
    const id = /<edXML:DocumentId>([^<]*)<\/edXML:DocumentId>/.exec(readFileSync(MINIMAL, 'utf8'))?.[1];
    assert.equal(id, 'thu-nghiem-07');
    assert.equal(tryParseDocumentId(id), undefined);
    assert.throws(() => parseDocumentId(id, 'MessageHeader/DocumentId'), (e: unknown) => {
      assert.ok(e instanceof EdxmlError);
      assert.equal(e.code, 'VDXP_E_DOCUMENT_ID_INVALID');
      assert.equal(e.path, 'MessageHeader/DocumentId');
      assert.match(e.message, /thu-nghiem-07/);
      return true;
    });
  });

  it('refuses each malformed part and says which', () => {
    const cases: [string, RegExp][] = [
      ['', /no comma/],
      [',2015/09/30,1/A', /OrganId/],
      ['G 22,2015/09/30,1/A', /OrganId/],
      ['G22,2015-09-30,1/A', /date/],
      ['G22,2015/9/30,1/A', /date/],
      ['G22,2015/09/31,1/A', /date/],
      ['G22,2023/02/29,1/A', /date/],
      ['G22,2015/13/01,1/A', /date/],
      ['G22,0000/01/01,1/A', /date/],
      ['G22,2015/09/30;1/A', /date and a comma/],
      ['G22,2015/09/30,1A', /no "\/"/],
      ['G22,2015/09/30,/A', /number/],
      ['G22,2015/09/30, 1/A', /number/],
      ['G22,2015/09/30,1/', /notation/],
      ['G22,2015/09/30,1/A ', /notation/],
      ['G22,2015/09/30,1/A\nB', /notation/],
    ];
    for (const [s, why] of cases) {
      assert.equal(tryParseDocumentId(s), undefined, s);
      assert.throws(() => parseDocumentId(s), (e: unknown) => e instanceof EdxmlError && e.code === 'VDXP_E_DOCUMENT_ID_INVALID' && why.test(e.message), s);
    }
  });
});

describe('isDocumentDate', () => {
  it('knows leap years and month lengths', () => {
    for (const ok of ['2024/02/29', '2000/02/29', '2015/09/30', '2015/12/31', '0001/01/01']) assert.equal(isDocumentDate(ok), true, ok);
    for (const bad of ['1900/02/29', '2023/02/29', '2015/04/31', '2015/00/10', '2015/01/00', '2015/01/32', '15/01/01', '2015/01/01 ']) {
      assert.equal(isDocumentDate(bad), false, bad);
    }
  });

  it('agrees with the calendar of Date for every day of a few centuries', () => {
    fc.assert(fc.property(fc.integer({ min: 1600, max: 2600 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }), (y, m, d) => {
      const date = new Date(Date.UTC(y, m - 1, d));
      const real = date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
      const s = `${String(y).padStart(4, '0')}/${String(m).padStart(2, '0')}/${String(d).padStart(2, '0')}`;
      assert.equal(isDocumentDate(s), real, s);
    }));
  });
});

describe('formatDocumentId', () => {
  it('writes the parts and refuses a date that does not exist', () => {
    const parts = { organId: '000.00.00.G22', date: '2015/09/30', number: '7816', notation: 'VPCP-TTĐT' };
    assert.equal(formatDocumentId(parts), '000.00.00.G22,2015/09/30,7816/VPCP-TTĐT');
    assert.throws(() => formatDocumentId({ ...parts, date: '2015/02/30' }), { code: 'VDXP_E_DOCUMENT_ID_INVALID' });
    assert.throws(() => formatDocumentId({ ...parts, date: '30/09/2015' }), { code: 'VDXP_E_DOCUMENT_ID_INVALID' });
  });

  it('refuses parts that would not read back the same', () => {
    const parts = { organId: '000.00.00.G22', date: '2015/09/30', number: '7816', notation: 'VPCP' };
    assert.throws(() => formatDocumentId({ ...parts, organId: 'a,b' }), { code: 'VDXP_E_DOCUMENT_ID_INVALID' });
    assert.throws(() => formatDocumentId({ ...parts, number: '78/16' }), { code: 'VDXP_E_DOCUMENT_ID_INVALID' });
    assert.throws(() => formatDocumentId({ ...parts, notation: '' }), { code: 'VDXP_E_DOCUMENT_ID_INVALID' });
  });
});

describe('round trip', () => {
  const vietnamese = 'ĐđĂăÂâÊêÔôƠơƯưÁÀẢÃẠáàảãạẤẦẨẪẬấầẩẫậẮẰẲẴẶắằẳẵặÉÈẺẼẸéèẻẽẹẾỀỂỄỆếềểễệÍÌỈĨỊíìỉĩịÓÒỎÕỌóòỏõọỐỒỔỖỘốồổỗộỚỜỞỠỢớờởỡợÚÙỦŨỤúùủũụỨỪỬỮỰứừửữựÝỲỶỸỴýỳỷỹỵ';
  const textChar = fc.oneof(
    fc.constantFrom(...vietnamese, 'Q', 'U', 'B', 'N', 'D', '-', '.', '/', ',', '(', ')', ' ', '0', '7'),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }).filter((c) => !/[\p{Cc}\p{Cs}]/u.test(c)),
  );
  const visible = (s: string): boolean => s.length > 0 && !/^\s|\s$/u.test(s);
  const notationArb = fc.array(textChar, { minLength: 1, maxLength: 20 }).map((a) => a.join('')).filter(visible);
  const numberArb = fc.oneof(
    fc.integer({ min: 1, max: 99999 }).map(String),
    fc.array(textChar, { minLength: 1, maxLength: 6 }).map((a) => a.join('').replaceAll('/', '')).filter(visible),
  );
  const organIdArb = fc.oneof(
    fc.stringMatching(/^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$/),
    fc.stringMatching(/^[A-Z]\d{2}(\.\d{2}){0,2}$/),
    fc.stringMatching(/^[a-z0-9][a-z0-9.\-]{0,30}$/),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }).filter((s) => !/[\s,\p{C}]/u.test(s)),
  );
  const dateArb = fc.date({ min: new Date(Date.UTC(1, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true })
    .map((d) => `${String(d.getUTCFullYear()).padStart(4, '0')}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`);
  const partsArb: fc.Arbitrary<DocumentIdParts> = fc.record({ organId: organIdArb, date: dateArb, number: numberArb, notation: notationArb });

  it('parse(format(parts)) equals parts, and format(parse(s)) equals s', () => {
    fc.assert(fc.property(partsArb, (parts) => {
      const s = formatDocumentId(parts);
      assert.deepEqual(parseDocumentId(s), { ...parts }); // fc.record objects have a null prototype
      assert.equal(formatDocumentId(parseDocumentId(s)), s);
    }), { numRuns: 500 });
  });

  it('tryParse never throws, and what it accepts formats back to the same text', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), partsArb, (noise, parts) => {
      for (const s of [noise, `${parts.organId},${parts.date},${noise}`]) {
        const p = tryParseDocumentId(s);
        if (p !== undefined) assert.equal(formatDocumentId(p), s);
      }
    }));
  });
});
