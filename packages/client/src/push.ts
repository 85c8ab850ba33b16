// The receiving side of push notices: checks a notice's signature and freshness before the system trusts it
// (WebCrypto, so it runs in Node and browsers alike). The hub signs `"<timestamp>.<body>"` with HMAC-SHA256
// under the system's secret; see the hub's push.ts.

export const PUSH_TIMESTAMP_HEADER = 'x-vdxp-timestamp';
export const PUSH_SIGNATURE_HEADER = 'x-vdxp-signature';
/** How far a notice's timestamp may be from the receiver's clock, either way, by default. */
export const PUSH_TOLERANCE_SECONDS_DEFAULT = 300;

export interface PushNotice {
  type: 'deliveries.queued';
  system: string;
  deliveries: { deliveryId: string; documentId: string; kind: 'edoc' | 'status'; to: string }[];
  more: boolean;
  at: string;
}

export interface PushCheck {
  secret: string;
  /** The raw body, exactly as received. */
  body: string;
  timestamp: string | null | undefined;
  signature: string | null | undefined;
  /** Receiver's time (ms); default Date.now(). */
  now?: number;
  toleranceSeconds?: number;
}

/** The notice if the signature holds and the timestamp is fresh; else throws saying which check failed. */
export async function verifyPushNotice(c: PushCheck): Promise<PushNotice> {
  const ts = Number(c.timestamp);
  if (!c.timestamp || !Number.isSafeInteger(ts)) throw new Error(`push notice: no ${PUSH_TIMESTAMP_HEADER}`);
  const skew = Math.abs((c.now ?? Date.now()) / 1000 - ts);
  if (skew > (c.toleranceSeconds ?? PUSH_TOLERANCE_SECONDS_DEFAULT)) throw new Error(`push notice: timestamp ${ts} is ${Math.round(skew)} s away from now`);
  const m = /^v1=([0-9a-f]{64})$/.exec(c.signature ?? '');
  if (!m?.[1]) throw new Error(`push notice: no v1 ${PUSH_SIGNATURE_HEADER}`);
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', enc.encode(c.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  const given = Uint8Array.from(m[1].match(/../g) ?? [], (h) => parseInt(h, 16));
  if (!(await crypto.subtle.verify('HMAC', key, given, enc.encode(`${ts}.${c.body}`)))) throw new Error('push notice: the signature does not match');
  return JSON.parse(c.body) as PushNotice;
}
