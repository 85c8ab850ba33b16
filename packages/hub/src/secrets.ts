// Credentials at rest: bearer tokens are kept as SHA-256 hashes (we only compare), VDXP HMAC secrets must be
// recovered to recompute signatures, so they are sealed with AES-256-GCM under a key kept in the data folder
// (or given by the operator), never stored in clear in the database.

import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { writePrivateFile } from './data-folder.ts';

/** AES-256-GCM's key size. */
const KEY_BYTES = 32;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('assertion: the sealing key is 32 bytes');
    this.#key = key;
  }

  /** Loads the key file, creating it (mode 0600 whatever the umask) on first use. */
  static fromKeyFile(path: string): SecretBox {
    if (!existsSync(path)) {
      try {
        writePrivateFile(path, randomBytes(KEY_BYTES).toString('base64') + '\n');
      } catch (e) {
        // Another process opening the same new folder made it first: use theirs.
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
    if (key.length !== KEY_BYTES) {
      throw new Error(`${path} holds ${key.length} bytes, not a ${KEY_BYTES}-byte key: restore it from a backup (the systems' `
        + 'VDXP secrets are sealed with it); with no backup, remove it and give every system a new secret (vdxp system rotate-secret)');
    }
    return new SecretBox(key);
  }

  /** A value that names the key without revealing it: HMAC-SHA256 of a fixed label. */
  fingerprint(): string {
    return createHmac('sha256', this.#key).update('vdxp sealing key check v1').digest('hex');
  }

  seal(clear: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([c.update(clear, 'utf8'), c.final()]);
    return ['v1', iv.toString('base64'), c.getAuthTag().toString('base64'), body.toString('base64')].join('.');
  }

  open(sealed: string): string {
    const [v, iv, tag, body] = sealed.split('.');
    if (v !== 'v1' || iv === undefined || tag === undefined || body === undefined) throw new Error('Unknown sealed-secret format');
    const d = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64'));
    d.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([d.update(Buffer.from(body, 'base64')), d.final()]).toString('utf8');
  }
}
