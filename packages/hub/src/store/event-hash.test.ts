// Known answers for the evidence chain's link function: archives must still verify in years, so its bytes are pinned.
//
// Each expected digest was computed once outside Node, over the byte layout eventHash defines (UTF-8 of prev
// hash, seq, at, type, actor, document, delivery, data JSON, joined by "\n", no trailing newline, a null field
// written as the empty string), e.g. for the first case:
//   printf '%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s' "$(printf '0%.0s' {1..64})" 1 1767225600000 document:accepted \
//     sys-hcm 3f2a9c1e-0b7d-4e55-9a61-2c8e4f1d7a90 '' "$DATA" > c1.bin   # 323 bytes
//   sha256sum c1.bin; openssl dgst -sha256 -r c1.bin                     # both gave the digest below
// The Vietnamese text in this file is NFC (precomposed, as typed). The NFD case was built with Python's unicodedata/hashlib and checked again with sha256sum.
// If one of these fails, old archives no longer verify: change the layout only with a versioned chain.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventHash } from './event-hash.ts';
import { GENESIS_HASH } from './store.ts';

const DOCUMENT_ID = '3f2a9c1e-0b7d-4e55-9a61-2c8e4f1d7a90';
const ACCEPTED_DATA = '{"subject":"Công văn số 123/UBND-VP về việc triển khai Đề án 06","from":"000.00.00.H29","sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}';
const STATUS_DATA = '{"code":"03","description":"Đã tiếp nhận – Ủy ban nhân dân tỉnh Đồng Nai"}';

const ACCEPTED_HASH = 'faa490deecfe4ea0b823a7002cea972504497ab686ceb86ec05588a32774bd93';
const STATUS_HASH = '0c3b517a0f76f5b2466dda2fe728a130dfa740ddb69b970a33cf3f240e32aba6';

describe('eventHash known answers', () => {
  it('an acceptance event after the genesis hash, Vietnamese subject, no delivery', () => {
    // The chain starts from this value in every archive ever written.
    assert.equal(GENESIS_HASH, '0'.repeat(64));
    assert.equal(eventHash(GENESIS_HASH, {
      seq: 1, at: 1767225600000, type: 'document:accepted', actor: 'sys-hcm',
      documentId: DOCUMENT_ID, deliveryId: null, dataJson: ACCEPTED_DATA,
    }), ACCEPTED_HASH);
  });

  it('the next link: a status event chained on the previous hash', () => {
    assert.equal(eventHash(ACCEPTED_HASH, {
      seq: 2, at: 1767225600123, type: 'status:relayed', actor: 'sys-hn',
      documentId: DOCUMENT_ID, deliveryId: '7c1b0e44-5d2f-4a8e-b3c9-0f6a1d2e8b57', dataJson: STATUS_DATA,
    }), STATUS_HASH);
  });

  it('hashes the stored bytes as they are: the same text in NFD is another digest', () => {
    assert.equal(eventHash(ACCEPTED_HASH, {
      seq: 2, at: 1767225600123, type: 'status:relayed', actor: 'sys-hn',
      documentId: DOCUMENT_ID, deliveryId: '7c1b0e44-5d2f-4a8e-b3c9-0f6a1d2e8b57', dataJson: STATUS_DATA.normalize('NFD'),
    }), 'e31e83f125c2b70ed53de610e507d006497e74b0011b9edbac45c6ceb966849a');
  });

  it('null actor, document and delivery are written as empty fields', () => {
    const expected = '974c9742ff6dec55c64d8192490fe5236c74464c15497733ae782bb0045bb864';
    const fields = { seq: 3, at: 0, type: 'registry:changed', dataJson: '{}' };
    assert.equal(eventHash(GENESIS_HASH, { ...fields, actor: null, documentId: null, deliveryId: null }), expected);
    // The layout cannot tell null from '': pinned here so that a change to it is a decision, not an accident.
    assert.equal(eventHash(GENESIS_HASH, { ...fields, actor: '', documentId: '', deliveryId: '' }), expected);
  });
});
