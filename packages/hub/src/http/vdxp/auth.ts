// The XroadVnpt-* HMAC header scheme of the axis' wire protocol (docs/vdxp-compat.md): who calls, whether the
// headers a call acts on were signed with that system's secret, and, for a strict system or a call that needs
// it, whether the signature is fresh and new.

import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { HubContext } from '../../context.ts';
import { HubError } from '../../errors.ts';
import { systemSecret } from '../../registry.ts';
import type { SystemRecord } from '../../store/store.ts';
import type { ReplayClaims } from './replay-cache.ts';
import { VN_UTC_OFFSET_MS as VN_OFFSET_MS } from '@vdxp/edxml';

const PREFIX = 'xroadvnpt-';
/**
 * The latest wall clock on earth (UTC+14, Pacific/Kiritimati) is 7 hours ahead of Việt Nam's: no machine whose
 * clock is right writes a timestamp later than that, whatever its zone.
 */
const LATEST_CLOCK_AHEAD_OF_VN_MS = 14 * 3600 * 1000 - VN_OFFSET_MS;

/** Lowercase hex HMAC-SHA256 of the sign-header's bytes, keyed with the secret string's UTF-8 bytes. */
export function signHeaderHash(secret: string | KeyObject, signHeader: Uint8Array | string): string {
  return createHmac('sha256', typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret).update(signHeader).digest('hex');
}

/**
 * Each system's HMAC key, opened from its sealed secret once rather than on every call (an AES-GCM open and a
 * key made from bytes each time: ~0.3 ms of a small document's four calls, measured), for as long as the sealed
 * secret read with the system is the same: a rotated secret is a new sealed value, so its key is made anew at
 * once. One entry per system of the hub.
 */
const hmacKeys = new WeakMap<HubContext, Map<string, { sealed: string; key: KeyObject }>>();

function hmacKeyOf(ctx: HubContext, system: SystemRecord): KeyObject {
  let keys = hmacKeys.get(ctx);
  if (keys === undefined) {
    keys = new Map();
    hmacKeys.set(ctx, keys);
  }
  const kept = keys.get(system.id);
  if (kept?.sealed === system.secret) return kept.key;
  const key = createSecretKey(Buffer.from(systemSecret(ctx, system), 'utf8'));
  keys.set(system.id, { sealed: system.secret, key });
  return key;
}

/**
 * Reads `ddMMyyyy'T'HHmmss'+'SSSS` as a time in Việt Nam (UTC+7, no daylight saving): the SDK formats the
 * client's local time, and the clients are in Việt Nam. The four digits after `+` are milliseconds (Java's
 * `SSSS`, so 0000–0999); a value above 999 is read as ten-thousandths (a .NET `ffff` would write those), since
 * a sub-second difference means nothing against a window of minutes. Undefined when malformed.
 */
export function parseVdxpTimestamp(s: string): number | undefined {
  const m = /^(\d{2})(\d{2})(\d{4})T(\d{2})(\d{2})(\d{2})\+(\d{4})$/.exec(s);
  if (!m) return undefined;
  const [day, month, year, hour, minute, second, fraction] = m.slice(1).map(Number) as [number, number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, fraction > 999 ? Math.floor(fraction / 10) : fraction);
  if (new Date(utc).getUTCDate() !== day) return undefined;
  return utc - VN_OFFSET_MS;
}

/** An HTTP header as the text its sender wrote: Node hands header bytes over as latin1, the SDK writes UTF-8. */
function headerBytes(headers: IncomingHttpHeaders, name: string): Buffer | undefined {
  const v = headers[name];
  const s = Array.isArray(v) ? v.join(', ') : v;
  return s === undefined ? undefined : Buffer.from(s, 'latin1');
}

export function headerText(headers: IncomingHttpHeaders, name: string): string | undefined {
  return headerBytes(headers, name)?.toString('utf8');
}

export interface VdxpCaller {
  system: SystemRecord;
  /**
   * The input `key` of the call (header `XroadVnpt-<key>`, case-insensitive). When the header is sent it must
   * be in the signed JSON with the same value; when only the signed JSON has it, that signed value is used.
   */
  input(key: string): string | undefined;
}

/** Parses the signed JSON into lowercase header name → value; refuses anything but an object of strings. */
function signedMap(text: string): Map<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new HubError('VDXP_E_VDXP_SIGN_HEADER', 'XroadVnpt-sign-header khong phai JSON (is not JSON)', { cause: e });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HubError('VDXP_E_VDXP_SIGN_HEADER', 'XroadVnpt-sign-header phai la mot doi tuong JSON (must be a JSON object)');
  }
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== 'string') throw new HubError('VDXP_E_VDXP_SIGN_HEADER', `XroadVnpt-sign-header: gia tri cua ${k} phai la chuoi (must be a string)`);
    const key = k.toLowerCase();
    // Header names are case-insensitive: two spellings of one name with different values are ambiguous.
    if (out.has(key) && out.get(key) !== v) throw new HubError('VDXP_E_VDXP_SIGN_HEADER', `XroadVnpt-sign-header: ${k} co hai gia tri (appears twice)`);
    out.set(key, v);
  }
  return out;
}

export interface AuthOptions {
  /**
   * The call needs a fresh signature used for nothing else, whatever the system's mode: its effect is not
   * bound by any signed input (registerAgency's JSON body), so any captured signature would do otherwise.
   */
  singleUse?: boolean;
}

/**
 * Authenticates one call. Order: the signed JSON parses and names systemid and timestamp; the system exists
 * and is active; the HMAC matches (constant-time); the timestamp is in the SDK's format. Then, for a strict
 * system or a single-use call only: the timestamp is within the window and the signature is new.
 *
 * A lenient system's signature stays valid: SDKVXP 2.0.1 signs once per service object with its machine's
 * local time and no zone, so freshness cannot be asked of it; every call is made safe to replay instead
 * (README.md). Its signatures that are, or will become, fresh in Việt Nam time are still remembered until
 * stale, so that one cannot then be taken for a single-use call; for that, a timestamp later than any clock on
 * earth shows (a machine whose clock is wrong) is refused. A signature is remembered only once it proved
 * authentic, so strangers cannot fill the cache.
 */
export async function authenticate(ctx: HubContext, headers: IncomingHttpHeaders, replay: ReplayClaims, o: AuthOptions = {}): Promise<VdxpCaller> {
  const signBytes = headerBytes(headers, `${PREFIX}sign-header`);
  const hash = headerText(headers, `${PREFIX}hash-header`);
  if (signBytes === undefined || hash === undefined) {
    throw new HubError('VDXP_E_AUTH_MISSING', 'Thieu XroadVnpt-sign-header hoac XroadVnpt-hash-header (send the signed XroadVnpt-* headers)');
  }
  const signed = signedMap(signBytes.toString('utf8'));
  const input = (key: string): string | undefined => {
    const name = PREFIX + key.toLowerCase();
    const sent = headerText(headers, name);
    const inJson = signed.get(name);
    if (sent === undefined) return inJson;
    if (inJson !== sent) {
      throw new HubError('VDXP_E_VDXP_UNSIGNED_HEADER', inJson === undefined
        ? `Header XroadVnpt-${key} khong duoc ky (is not in the signed XroadVnpt-sign-header)`
        : `Header XroadVnpt-${key} khac gia tri da ky (differs from the signed value)`, { details: { header: `XroadVnpt-${key}` } });
    }
    return sent;
  };
  if (!signed.has(`${PREFIX}systemid`) || !signed.has(`${PREFIX}timestamp`)) {
    throw new HubError('VDXP_E_VDXP_SIGN_HEADER', 'XroadVnpt-sign-header phai chua XroadVnpt-systemid va XroadVnpt-timestamp (must sign systemid and timestamp)');
  }
  const systemId = input('systemid') as string;
  const timestamp = input('timestamp') as string;
  const system = await ctx.store.getSystem(systemId);
  if (!system || system.state !== 'active') {
    throw new HubError('VDXP_E_AUTH_INVALID', `He thong ${systemId} chua dang ky hoac da bi tam dung (is not an active system of this hub)`, { details: { systemId } });
  }
  const expected = Buffer.from(signHeaderHash(hmacKeyOf(ctx, system), signBytes), 'utf8');
  const signature = hash.trim().toLowerCase();
  const given = Buffer.from(signature, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new HubError('VDXP_E_VDXP_SIGNATURE', 'Chu ky XroadVnpt-hash-header khong dung (is not the HMAC-SHA256 of the sign-header with this system\'s secret)', { details: { systemId } });
  }
  const at = parseVdxpTimestamp(timestamp);
  if (at === undefined) {
    throw new HubError('VDXP_E_VDXP_TIMESTAMP', `XroadVnpt-timestamp "${timestamp}" sai dinh dang ddMMyyyy'T'HHmmss'+'SSSS (malformed)`);
  }
  const strict = system.vdxpStrict || o.singleUse === true;
  const why = system.vdxpStrict ? `he thong ${systemId} dung che do nghiem ngat (this system is in strict mode)` : 'lenh nay can chu ky rieng (this call needs a signature of its own)';
  const now = ctx.clock.now();
  const windowMs = ctx.limits.vdxpReplayWindowSeconds * 1000;
  const fresh = Math.abs(now - at) <= windowMs;
  if (strict && !fresh) {
    throw new HubError('VDXP_E_VDXP_TIMESTAMP', `XroadVnpt-timestamp ${timestamp} lech qua ${ctx.limits.vdxpReplayWindowSeconds} giay so voi gio cua truc `
      + `(${formatVdxpTimestamp(now)}, gio Viet Nam); ${why}: dat dong ho may tram theo gio Viet Nam va ky moi lenh `
      + '(is outside the replay window: run the client\'s clock in Asia/Ho_Chi_Minh and sign each call afresh)', { details: { timestamp, hubTime: formatVdxpTimestamp(now) } });
  }
  if (!strict && at - now > LATEST_CLOCK_AHEAD_OF_VN_MS + windowMs) {
    throw new HubError('VDXP_E_VDXP_TIMESTAMP', `XroadVnpt-timestamp ${timestamp} muon hon gio cua moi mui gio hien nay (gio truc: ${formatVdxpTimestamp(now)}, `
      + 'gio Viet Nam); kiem tra dong ho may tram (is later than any clock on earth shows now: set the machine\'s clock)', { details: { timestamp, hubTime: formatVdxpTimestamp(now) } });
  }
  // A lenient signature stale already can never be fresh again: nothing to remember. One from a clock ahead of
  // Việt Nam time (UTC+8 to +14) will become fresh: remembered from now on.
  if (now - at > windowMs) return { system, input };
  // Kept until the timestamp it carries is stale: after that the window check refuses a replay by itself.
  const claimed = await replay.claim(signature, at + windowMs, now);
  if (claimed === 'full') throw new HubError('VDXP_E_VDXP_BUSY', 'Truc dang qua tai, thu lai sau (too many signed calls within the replay window; retry shortly)');
  if (claimed === 'replay' && strict) {
    throw new HubError('VDXP_E_VDXP_REPLAY', `Chu ky nay da duoc dung; ${why} (this signature was used already; sign each call afresh, with a new service object)`);
  }
  return { system, input };
}

/** The hub's time in the protocol's own format, for messages that tell a client how far off its clock is. */
export function formatVdxpTimestamp(t: number): string {
  const d = new Date(t + VN_OFFSET_MS);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getUTCDate())}${p(d.getUTCMonth() + 1)}${d.getUTCFullYear()}T${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}+${p(d.getUTCMilliseconds(), 4)}`;
}
