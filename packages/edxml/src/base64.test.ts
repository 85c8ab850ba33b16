// The streaming base64 decoder gives the same verdict and bytes wherever the slices fall: exhaustive splits of
// short payloads, and a property against a one-piece reference decoder.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Base64Decoder, Base64Encoder } from './base64.ts';
import { EdxmlError } from './errors.ts';

type Outcome = { bytes: string } | { error: string };

/** Feeds the slices to one decoder: the decoded bytes (hex), or the refusal's code. */
function decode(slices: readonly string[]): Outcome {
  const d = new Base64Decoder('p');
  const out: Buffer[] = [];
  try {
    for (const s of slices) out.push(d.push(s));
    out.push(d.end());
  } catch (e) {
    assert.ok(e instanceof EdxmlError, String(e));
    assert.equal(e.path, 'p');
    return { error: e.code };
  }
  return { bytes: Buffer.concat(out).toString('hex') };
}

/** What the whole text means, judged at once by a regular expression (RFC 4648, unpadded endings allowed). */
function reference(text: string): Outcome {
  const s = text.replace(/[\t\n\r ]/g, '');
  const valid = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;
  return valid.test(s) ? { bytes: Buffer.from(s, 'base64').toString('hex') } : { error: 'VDXP_E_BASE64_INVALID' };
}

/** The text cut at the given (sorted, possibly repeated) offsets. */
function cut(text: string, at: readonly number[]): string[] {
  const out: string[] = [];
  let from = 0;
  for (const a of at) {
    out.push(text.slice(from, a));
    from = a;
  }
  out.push(text.slice(from));
  return out;
}

describe('Base64Decoder', () => {
  it('decodes QUJDRA== whatever the split, the one between the two "=" included', () => {
    const abcd = { bytes: Buffer.from('ABCD').toString('hex') };
    assert.deepEqual(decode(['QUJDRA=', '=']), abcd);
    assert.deepEqual(decode(['QUJDRA', '=', '=']), abcd);
    for (let i = 0; i <= 8; i++) {
      for (let j = i; j <= 8; j++) assert.deepEqual(decode(cut('QUJDRA==', [i, j])), abcd, `cut at ${i} and ${j}`);
    }
  });

  it('gives every split of short payloads (padding, CRLF, spaces) the one-piece verdict: two and three slices', () => {
    const texts = [
      'QUJDRA==', 'QUJDREU=', 'QUJDREVG', 'QUJDRA', 'QUJDREU', 'QU\r\nJD\r\nRA=\r\n=\r\n', ' Q U J D R E U = ', 'aGk=',
      // refused ones must be refused at every split too
      'QUJDRA=', 'QUJDRA===', 'QUJD=A==', 'QUJDR', '=', '====', 'aGk=aGk=', 'aGk=\r\naGk=', 'ab$d', 'QUJDRA=\r\n=x',
    ];
    for (const text of texts) {
      const whole = decode([text]);
      assert.deepEqual(whole, reference(text), `one piece: ${JSON.stringify(text)}`);
      for (let i = 0; i <= text.length; i++) {
        for (let j = i; j <= text.length; j++) assert.deepEqual(decode(cut(text, [i, j])), whole, `${JSON.stringify(text)} cut at ${i}, ${j}`);
      }
    }
  });

  it('agrees with the one-piece reference on any text of base64 characters, padding and line breaks, any slicing (property)', () => {
    const char = fc.constantFrom(...'QUJDRAaGk+/09', '=', '=', '\r\n', ' ');
    fc.assert(fc.property(
      fc.array(char, { maxLength: 24 }).map((a) => a.join('')),
      fc.array(fc.nat(), { maxLength: 5 }),
      (text, offsets) => {
        const at = offsets.map((o) => o % (text.length + 1)).sort((a, b) => a - b);
        assert.deepEqual(decode(cut(text, at)), reference(text));
      },
    ), { numRuns: 3000 });
  });

  it('refuses every UTF-16 code unit outside the alphabet, wherever it stands in a group and however it is cut', () => {
    // The decoder checks whole groups by the size of a native decode (see #decodeGroups): this is its proof for
    // each single foreign character, the URL alphabet ('-', '_'), form feed and the code units above U+00FF included.
    const alphabet = new Set('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\t\n\r ');
    // Three whole groups and an unfinished rest of two; the foreign character replaces one, so that the length
    // alone would not give the text away.
    const base = 'QUJDREVGSElKTA';
    let tried = 0;
    for (let code = 0; code <= 0xffff; code++) {
      const c = String.fromCharCode(code);
      if (alphabet.has(c)) continue;
      for (const at of [0, 6, 13]) { // in the first group, in a later one, in the unfinished rest
        const text = base.slice(0, at) + c + base.slice(at + 1);
        const slices = code % 3 === 0 ? [text] : code % 3 === 1 ? [text.slice(0, 5), text.slice(5)] : [text.slice(0, at), text.slice(at)];
        assert.deepEqual(decode(slices), { error: 'VDXP_E_BASE64_INVALID' }, `U+${code.toString(16)} at ${at}`);
        tried++;
      }
    }
    assert.equal(tried, (0x10000 - alphabet.size) * 3);
  });

  it('agrees with the one-piece reference on long texts with a foreign character or misplaced padding anywhere (property)', () => {
    fc.assert(fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 3000 }), fc.nat(), fc.constantFrom('', '!', '-', '_', '\f', '\v', 'é', 'Ł', '\u0000', '=', '&', '<'),
      fc.array(fc.nat(), { maxLength: 6 }), fc.boolean(),
      (bytes, where, foreign, offsets, folded) => {
        let text = Buffer.from(bytes).toString('base64');
        if (folded) text = (text.match(/.{1,76}/g) ?? []).join('\r\n');
        const w = where % (text.length + 1);
        text = text.slice(0, w) + foreign + text.slice(w);
        const at = offsets.map((o) => o % (text.length + 1)).sort((a, b) => a - b);
        assert.deepEqual(decode(cut(text, at)), reference(text));
      },
    ), { numRuns: 2000 });
  });

  it('returns the bytes of any payload folded with CRLF and cut anywhere (property)', () => {
    fc.assert(fc.property(
      fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 1, max: 80 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 8 }),
      (bytes, width, unpadded, offsets) => {
        let b64 = Buffer.from(bytes).toString('base64');
        if (unpadded) b64 = b64.replace(/=+$/, '');
        const text = (b64.match(new RegExp(`.{1,${width}}`, 'g')) ?? []).join('\r\n');
        const at = offsets.map((o) => o % (text.length + 1)).sort((a, b) => a - b);
        assert.deepEqual(decode(cut(text, at)), { bytes: Buffer.from(bytes).toString('hex') });
      },
    ), { numRuns: 1000 });
  });
});

describe('Base64Encoder', () => {
  it('writes the base64 of the whole input whatever the slicing (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 6 }), (bytes, offsets) => {
      const buf = Buffer.from(bytes);
      const at = offsets.map((o) => o % (buf.length + 1)).sort((a, b) => a - b);
      const e = new Base64Encoder();
      let text = '';
      let from = 0;
      for (const a of [...at, buf.length]) {
        text += e.push(buf.subarray(from, a));
        from = a;
      }
      text += e.end();
      assert.equal(text, buf.toString('base64'));
    }));
  });
});
