// The pieces of the VDXP scheme on their own: the documented HMAC check vector, the SDK's timestamp read as
// Việt Nam time, the bounded replay cache, hash-file in both hex forms, and the SDK 2.0.1 body trailer.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { toAscii } from './answer.ts';
import { formatVdxpTimestamp, parseVdxpTimestamp, signHeaderHash } from './auth.ts';
import { hashFileMatches, parseHashFile, unpaddedHex, withoutSdkTrailer } from './hash-file.ts';
import { ReplayCache } from './replay-cache.ts';

describe('signature', () => {
  it('gives the check vector of docs/vdxp-compat.md', () => {
    const signHeader = '{"XroadVnpt-systemid":"000.00.00.G22","XroadVnpt-timestamp":"23112026T083701+0836","XroadVnpt-Content-Type":"application/json"}';
    assert.equal(signHeaderHash('c2VjcmV0', signHeader), '0c539ec6226ed7756dd4c047965452224ff778cdfc716e76c4dda1d41bf90210');
    assert.equal(signHeaderHash('c2VjcmV0', Buffer.from(signHeader, 'utf8')), '0c539ec6226ed7756dd4c047965452224ff778cdfc716e76c4dda1d41bf90210');
    // The secret string's own bytes are the key, not its base64 decoding ("secret").
    assert.notEqual(signHeaderHash('secret', signHeader), '0c539ec6226ed7756dd4c047965452224ff778cdfc716e76c4dda1d41bf90210');
  });
});

describe('timestamp', () => {
  it('reads ddMMyyyy\'T\'HHmmss\'+\'SSSS as Việt Nam time, the four digits being milliseconds', () => {
    assert.equal(parseVdxpTimestamp('23112026T083651+0940'), Date.UTC(2026, 10, 23, 1, 36, 51, 940));
    assert.equal(parseVdxpTimestamp('01012027T000000+0000'), Date.UTC(2026, 11, 31, 17, 0, 0, 0), 'midnight in Hà Nội is 17:00 UTC the day before');
    assert.equal(parseVdxpTimestamp('23112026T083651+9400'), Date.UTC(2026, 10, 23, 1, 36, 51, 940), 'ten-thousandths, as .NET would write them');
    assert.equal(formatVdxpTimestamp(Date.UTC(2026, 10, 23, 1, 36, 51, 940)), '23112026T083651+0940');
  });

  it('refuses what is not a calendar time in that exact form', () => {
    for (const bad of ['23112026T083651+094', '23112026T083651-0940', '2311202T083651+0940', '30022026T083651+0940', '23132026T083651+0940',
      '23112026T243651+0940', '23112026T086051+0940', '23112026 083651+0940', '', '23112026T083651+0940 ']) {
      assert.equal(parseVdxpTimestamp(bad), undefined, bad);
    }
  });
});

describe('replay cache', () => {
  it('refuses a signature seen while it is live, and forgets it once its timestamp is stale', () => {
    const cache = new ReplayCache(10);
    assert.equal(cache.claim('a', 1000, 0), 'fresh');
    assert.equal(cache.claim('a', 1000, 500), 'replay');
    assert.equal(cache.claim('a', 2000, 1000), 'replay', 'live up to and including its expiry');
    assert.equal(cache.claim('b', 5000, 1001), 'fresh');
    assert.equal(cache.size, 1, 'the stale entry was dropped');
    assert.equal(cache.claim('a', 3000, 1001), 'fresh');
  });

  it('stays within its bound: refuses when full of live signatures, and makes room from stale ones out of order', () => {
    const cache = new ReplayCache(3);
    assert.equal(cache.claim('late', 9000, 0), 'fresh');
    assert.equal(cache.claim('early1', 100, 0), 'fresh');
    assert.equal(cache.claim('early2', 100, 0), 'fresh');
    assert.equal(cache.claim('new', 9000, 50), 'full');
    assert.equal(cache.size, 3);
    // 'late' is first in order and still live, so only the full pass finds the stale ones behind it.
    assert.equal(cache.claim('new', 9000, 200), 'fresh');
    assert.equal(cache.size, 2);
  });
});

describe('hash-file', () => {
  it('accepts the SDK\'s unpadded hex and the standard form, and nothing else', () => {
    const digest = '0b00a1ff' + 'c'.repeat(56);
    assert.equal(unpaddedHex(digest), 'b0a1ff' + 'c'.repeat(56));
    assert.ok(hashFileMatches(parseHashFile('B0A1FF' + 'C'.repeat(56)), digest));
    assert.ok(hashFileMatches(parseHashFile(digest), digest));
    assert.ok(!hashFileMatches(parseHashFile('0b0a1ff' + 'c'.repeat(56)), digest));
    assert.throws(() => parseHashFile('not-hex'), { code: 'VDXP_E_BAD_REQUEST' });
    assert.throws(() => parseHashFile(undefined), { code: 'VDXP_E_BAD_REQUEST' });
  });

  const collect = async (chunks: string[], hashFile: string): Promise<string> => {
    let out = '';
    for await (const c of withoutSdkTrailer(chunks.map((s) => Buffer.from(s)), hashFile)) out += Buffer.from(c).toString();
    return out;
  };
  const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

  it('drops the SDK\'s trailing CRLF only when hash-file proves it is not part of the file, across any chunking', async () => {
    const file = '<edXML>x</edXML>';
    for (const chunks of [[file + '\r\n'], [file, '\r\n'], [file + '\r', '\n'], [file.slice(0, 3), file.slice(3) + '\r', '', '\n']]) {
      assert.equal(await collect(chunks, unpaddedHex(sha(file))), file, JSON.stringify(chunks));
    }
    const own = '<edXML>x</edXML>\r\n';
    assert.equal(await collect([own], sha(own)), own, 'a file that itself ends with CRLF is kept whole');
    assert.equal(await collect([own + '\r\n'], sha(own)), own, 'and loses only the SDK\'s CRLF');
    assert.equal(await collect([file], sha('other')), file, 'no CRLF, nothing dropped (the digest check refuses later)');
    assert.equal(await collect(['a'], sha('a')), 'a');
    assert.equal(await collect([], sha('')), '');
    // Every byte a chunk of its own, and every cut in two, for both endings.
    for (const [body, kept] of [[file + '\r\n', file], [own, own], [own + '\r\n', own]] as const) {
      const hashFile = kept === file ? unpaddedHex(sha(file)) : sha(own);
      assert.equal(await collect([...body], hashFile), kept, `one-byte chunks of ${JSON.stringify(body)}`);
      for (let cut = 0; cut <= body.length; cut++) assert.equal(await collect([body.slice(0, cut), body.slice(cut)], hashFile), kept, `cut at ${cut}`);
    }
    assert.equal(await collect(['\r', '\n'], sha('')), '', 'an empty file sent with the SDK\'s CRLF');
  });
});

it('writes descriptions without diacritics', () => {
  assert.equal(toAscii('Thành công — Đơn vị gửi'), 'Thanh cong - Don vi gui');
});
