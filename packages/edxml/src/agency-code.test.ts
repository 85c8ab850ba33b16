// Agency codes: the four forms, legacy levels and parents (gapped codes included), and what the wire refuses.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  assertLegacyAgencyCode, isAcceptableOrganId, isLegacyAgencyCode, parseAgencyCode, type LegacyAgencyCode,
} from './agency-code.ts';
import { EdxmlError } from './errors.ts';

function legacy(code: string): LegacyAgencyCode {
  const parsed = parseAgencyCode(code);
  assert.equal(parsed.form, 'legacy');
  return parsed;
}

describe('legacy codes (QCVN 102)', () => {
  it('reads the four levels right to left', () => {
    const cases = [
      ['000.00.00.G22', 1, undefined],
      ['000.00.15.H51', 2, '000.00.00.H51'],
      ['000.12.15.H51', 3, '000.00.15.H51'],
      ['001.12.15.H51', 4, '000.12.15.H51'],
    ] as const;
    for (const [code, level, parent] of cases) {
      const c = legacy(code);
      assert.equal(c.level, level, code);
      assert.equal(c.parent, parent, code);
      assert.equal(c.level1, code.slice(-3), code);
      assert.equal(c.skipsLevel, false, code);
    }
  });

  it('gives the groups as written, left to right', () => {
    assert.deepEqual(legacy('001.12.15.H51').groups, ['001', '12', '15', 'H51']);
  });

  it('tells central bodies, provinces and others apart by the level-1 letter', () => {
    assert.equal(legacy('000.00.00.G12').bodyKind, 'central');
    assert.equal(legacy('000.00.00.H14').bodyKind, 'province');
    assert.equal(legacy('000.00.00.A01').bodyKind, 'other');
    assert.equal(legacy('000.00.00.W05').bodyKind, 'other');
  });

  it('accepts a zero group between named units, and skips it on the way up', () => {
    const c = legacy('000.12.00.H51');
    assert.equal(c.level, 3);
    assert.equal(c.skipsLevel, true);
    assert.equal(c.parent, '000.00.00.H51');
    const d = legacy('001.00.15.H51');
    assert.equal(d.level, 4);
    assert.equal(d.skipsLevel, true);
    assert.equal(d.parent, '000.00.15.H51');
  });

  it('walking parents always reaches the level-1 code with strictly decreasing levels', () => {
    const codeArb = fc.tuple(
      fc.stringMatching(/^\d{3}$/), fc.stringMatching(/^\d{2}$/), fc.stringMatching(/^\d{2}$/), fc.stringMatching(/^[A-Z]\d{2}$/),
    ).map((g) => g.join('.'));
    fc.assert(fc.property(codeArb, (code) => {
      let c = legacy(code);
      const level1 = c.level1;
      while (c.parent !== undefined) {
        const p = legacy(c.parent);
        assert.ok(p.level < c.level);
        assert.equal(p.level1, level1);
        c = p;
      }
      assert.equal(c.code, `000.00.00.${level1}`);
    }));
  });

  it('isLegacyAgencyCode and assertLegacyAgencyCode keep to the strict 13-character shape', () => {
    for (const ok of ['000.00.00.G22', '000.00.15.H51', '000.12.00.H51']) {
      assert.equal(isLegacyAgencyCode(ok), true, ok);
      assert.equal(assertLegacyAgencyCode(ok).code, ok);
    }
    for (const bad of ['000.00.00.g22', '00.00.00.G22', '000.00.00.G2', '000.00.00.G222', '000.00.00.22G', ' 000.00.00.G22', '000-00-00-G22', 'G22', '']) {
      assert.equal(isLegacyAgencyCode(bad), false, bad);
      assert.throws(() => assertLegacyAgencyCode(bad, 'From/OrganId'), (e: unknown) => {
        assert.ok(e instanceof EdxmlError);
        assert.equal(e.code, 'VDXP_E_AGENCY_CODE_INVALID');
        assert.equal(e.path, 'From/OrganId');
        return true;
      });
    }
  });
});

describe('other forms', () => {
  it('reads Decision 20/2020 codes level 1 first', () => {
    const g12 = parseAgencyCode('G12');
    assert.deepEqual(g12, { form: 'qd20', code: 'G12', groups: ['G12'], level: 1, level1: 'G12', bodyKind: 'central', parent: undefined });
    const deep = parseAgencyCode('H41.05.12');
    assert.equal(deep.form, 'qd20');
    if (deep.form !== 'qd20') return;
    assert.equal(deep.level, 3);
    assert.equal(deep.parent, 'H41.05');
    assert.equal(deep.bodyKind, 'province');
    assert.equal(parseAgencyCode('G09.01.1.0002').form, 'qd20');
    // Beyond four levels or with letters in lower groups it is no longer that form.
    assert.equal(parseAgencyCode('G09.01.1.2.3').form, 'free');
    assert.equal(parseAgencyCode('G09.A1').form, 'free');
  });

  it('recognises 12-digit enterprise codes and nothing shorter or longer', () => {
    assert.deepEqual(parseAgencyCode('010010001234'), { form: 'enterprise', code: '010010001234' });
    assert.equal(parseAgencyCode('01001000123').form, 'free');
    assert.equal(parseAgencyCode('0100100012345').form, 'free');
  });

  it('keeps test-system ids as free codes', () => {
    assert.deepEqual(parseAgencyCode('vxp.saas.03'), { form: 'free', code: 'vxp.saas.03' });
    assert.equal(parseAgencyCode('Sở-Nội-vụ').form, 'free');
  });
});

describe('what the wire accepts as an OrganId', () => {
  it('refuses empty, too long, whitespace, controls and invisible characters', () => {
    const refused = ['', ' ', 'a b', 'a\tb', 'a\nb', 'a\u0000b', 'a\u007fb', 'a\u00a0b', 'a\u200bb', '\ufeffG22', 'a\u2028b', 'a\ud800b', 'x'.repeat(65)];
    for (const s of refused) {
      assert.equal(isAcceptableOrganId(s), false, JSON.stringify(s));
      assert.throws(() => parseAgencyCode(s), { code: 'VDXP_E_AGENCY_CODE_INVALID' });
    }
  });

  it('accepts up to 64 characters, counted as code points', () => {
    assert.equal(isAcceptableOrganId('x'.repeat(64)), true);
    // 64 astral characters are 128 UTF-16 units but 64 characters.
    assert.equal(isAcceptableOrganId('𝔸'.repeat(64)), true);
    assert.equal(isAcceptableOrganId('𝔸'.repeat(65)), false);
    assert.equal(isAcceptableOrganId('000.00.00.G22'), true);
  });

  it('every acceptable id parses to some form, and every parsed code is acceptable', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 70 }), (s) => {
      if (isAcceptableOrganId(s)) assert.equal(parseAgencyCode(s).code, s);
      else assert.throws(() => parseAgencyCode(s), EdxmlError);
    }));
  });
});
