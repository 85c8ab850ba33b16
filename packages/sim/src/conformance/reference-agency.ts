// A reference agency system for the conformance kit: what a well-behaved QLVBĐH does, over either protocol (the
// native API through @vdxp/client, or the VDXP wire protocol as SDKVXP speaks it). It polls for what is waiting,
// downloads each packet whole and keeps it before acknowledging it, checks a signed document's XML signature over
// the bytes it kept and returns one that does not verify with 02 (Decree 30/2020), answers the others 01, 03, 04,
// 05, 06 in order, agrees to recalls (15), signs what it sends when given a key, and resends a document only as
// the same bytes. `faults` turn on the mistakes the kit must catch, for the kit's own proof (a test runs them).

import { parsePacketBytes, type PacketSigningKey } from '@vdxp/edxml';
import { PacketMaker, SUBJECTS } from '../packets.ts';
import type { NativeTransport } from '../transport.ts';
import type { VdxpWireClient } from '../vdxp-wire.ts';
import { signBytes, verifyBytes } from './signing.ts';

export interface AgencyFaults {
  /** Sends 06 (finished) before 03 (registered). */
  finishedBeforeRegistered?: boolean;
  /** Acks deliveries before (native: without) downloading them. */
  ackWithoutStoring?: boolean;
  /** Sends its document a second time under a new DocumentId, as a naive retry would. */
  resendWithNewDocumentId?: boolean;
  /** Keeps a re-encoded copy of what it receives (base64 folded at 76 characters, as a MIME encoder writes it). */
  alterReceivedBytes?: boolean;
  /** Edits its document's subject after signing it, so the signature it sends no longer verifies. */
  editAfterSigning?: boolean;
}

/** Something waiting for the agency; `meta` when the protocol lists it (native), else read from the packet. */
export interface LinkItem {
  id: string;
  kind: 'edoc' | 'status';
  meta?: { from: string; edxmlDocumentId: string | null; statusCode: string | null };
}

/** The four moves an agency system makes, over one protocol. */
export interface AgencyLink {
  readonly protocol: 'native' | 'vdxp';
  send(packet: Uint8Array, kind: 'edoc' | 'status', signal?: AbortSignal): Promise<void>;
  /** What is waiting now; waits a little when nothing is (a long-poll, or a pause between polls). */
  pending(signal: AbortSignal): Promise<LinkItem[]>;
  fetch(id: string, signal: AbortSignal): Promise<Uint8Array>;
  ack(id: string, result: 'done' | 'fail', signal: AbortSignal): Promise<void>;
}

/** The native API: long-poll the inbox, fetch, ack. */
export class NativeLink implements AgencyLink {
  readonly protocol = 'native';
  readonly #t: NativeTransport;
  readonly #token: string;
  constructor(transport: NativeTransport, token: string) {
    this.#t = transport;
    this.#token = token;
  }

  async send(packet: Uint8Array, _kind: 'edoc' | 'status', signal?: AbortSignal): Promise<void> {
    await this.#t.submit(this.#token, packet, signal);
  }

  async pending(signal: AbortSignal): Promise<LinkItem[]> {
    const { items } = await this.#t.inbox(this.#token, { waitSeconds: 1, limit: 50 }, signal);
    return items.map((i) => ({ id: i.deliveryId, kind: i.kind, meta: { from: i.from, edxmlDocumentId: i.edxmlDocumentId, statusCode: i.statusCode } }));
  }

  fetch(id: string, signal: AbortSignal): Promise<Uint8Array> {
    return this.#t.fetchPacket(this.#token, id, signal);
  }

  ack(id: string, result: 'done' | 'fail', signal: AbortSignal): Promise<void> {
    return this.#t.ack(this.#token, id, result, signal);
  }
}

/** The VDXP wire protocol, as an SDKVXP integration loops: list edoc, getEdoc, updateStatus; then the statuses. */
export class VdxpLink implements AgencyLink {
  readonly protocol = 'vdxp';
  readonly #c: VdxpWireClient;
  readonly #from: string;
  readonly #pollMs: number;
  constructor(client: VdxpWireClient, o: { from: string; pollMs?: number }) {
    this.#c = client;
    this.#from = o.from;
    this.#pollMs = o.pollMs ?? 200;
  }

  async send(packet: Uint8Array, kind: 'edoc' | 'status', signal?: AbortSignal): Promise<void> {
    await this.#c.sendEdoc(packet, this.#from, kind, signal);
  }

  async pending(signal: AbortSignal): Promise<LinkItem[]> {
    const items: LinkItem[] = [];
    for (const kind of ['edoc', 'status'] as const) {
      for (const i of await this.#c.getReceivedEdocList(kind, signal)) items.push({ id: i.docId, kind });
    }
    if (items.length === 0) await new Promise((r) => setTimeout(r, this.#pollMs));
    return items;
  }

  fetch(id: string, signal: AbortSignal): Promise<Uint8Array> {
    return this.#c.getEdoc(id, signal);
  }

  ack(id: string, result: 'done' | 'fail', signal: AbortSignal): Promise<void> {
    return this.#c.updateStatus(id, result, signal);
  }
}

/**
 * A system that speaks both protocols at once, as some vendors' do after a partial migration: it sends over one
 * and receives over the other (e.g. sends through its old SDKVXP integration, receives through the native API).
 */
export class MixedLink implements AgencyLink {
  readonly protocol: 'native' | 'vdxp';
  readonly #sending: AgencyLink;
  readonly #receiving: AgencyLink;
  constructor(o: { sending: AgencyLink; receiving: AgencyLink }) {
    this.#sending = o.sending;
    this.#receiving = o.receiving;
    this.protocol = o.receiving.protocol;
  }

  send(packet: Uint8Array, kind: 'edoc' | 'status', signal?: AbortSignal): Promise<void> {
    return this.#sending.send(packet, kind, signal);
  }

  pending(signal: AbortSignal): Promise<LinkItem[]> {
    return this.#receiving.pending(signal);
  }

  fetch(id: string, signal: AbortSignal): Promise<Uint8Array> {
    return this.#receiving.fetch(id, signal);
  }

  ack(id: string, result: 'done' | 'fail', signal: AbortSignal): Promise<void> {
    return this.#receiving.ack(id, result, signal);
  }
}

export type ReferenceAgencyOptions = { agency: string; faults?: AgencyFaults; signer?: PacketSigningKey }
  & ({ link: AgencyLink } | { transport: NativeTransport; token: string });

export class ReferenceAgency {
  readonly #link: AgencyLink;
  readonly #agency: string;
  readonly #faults: AgencyFaults;
  readonly #signer: PacketSigningKey | undefined;
  readonly #stop = new AbortController();
  readonly #kept = new Map<string, Uint8Array>();
  #loop: Promise<void> | undefined;
  #packets: PacketMaker | undefined;

  constructor(o: ReferenceAgencyOptions) {
    this.#link = 'link' in o ? o.link : new NativeLink(o.transport, o.token);
    this.#agency = o.agency;
    this.#faults = o.faults ?? {};
    this.#signer = o.signer;
  }

  /** Packets kept, by delivery id. */
  get kept(): ReadonlyMap<string, Uint8Array> { return this.#kept; }

  async start(): Promise<void> {
    this.#packets = await PacketMaker.create();
    this.#loop = this.#receive();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  /** Sends one document to `to`, signed when the agency has a key; a retry would resend these same bytes. */
  async send(to: string, serial: number): Promise<void> {
    const at = Date.now();
    const make = async (n: string): Promise<Uint8Array> => {
      const plain = this.#maker().edoc({
        from: this.#agency, to: [to], documentId: `${this.#agency},${vnDate(at)},${n}/CNV`, number: n, notation: 'CNV', subject: serial, at, businessType: 0,
      });
      if (!this.#signer) return plain;
      const signed = await signBytes(plain, this.#signer);
      if (!this.#faults.editAfterSigning) return signed;
      const subject = SUBJECTS[serial % SUBJECTS.length] as string;
      return Buffer.from(signed.toString('utf8').replace(subject, `${subject} (bổ sung)`), 'utf8');
    };
    await this.#link.send(await make(String(serial)), 'edoc');
    if (this.#faults.resendWithNewDocumentId) await this.#link.send(await make(String(serial + 1000)), 'edoc');
  }

  #maker(): PacketMaker {
    if (!this.#packets) throw new Error('assertion: started');
    return this.#packets;
  }

  async #receive(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      let items: LinkItem[];
      try {
        items = await this.#link.pending(this.#stop.signal);
      } catch {
        if (this.#stop.signal.aborted) return;
        // The hub may be restarting: try again shortly, as a real system would.
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      for (const item of items) {
        try {
          await this.#handle(item);
        } catch {
          if (this.#stop.signal.aborted) return;
          // Not acked: the hub hands it out again.
        }
      }
    }
  }

  async #handle(item: LinkItem): Promise<void> {
    const signal = this.#stop.signal;
    let bytes: Uint8Array | undefined;
    if (this.#faults.ackWithoutStoring) {
      await this.#link.ack(item.id, 'done', signal);
      // The VDXP list does not say what a document is: this faulty system reads it only after acking.
      if (!item.meta) bytes = await this.#link.fetch(item.id, signal);
    } else {
      bytes = await this.#link.fetch(item.id, signal);
      if (this.#faults.alterReceivedBytes) bytes = foldBase64(bytes);
      this.#kept.set(item.id, bytes);
      await this.#link.ack(item.id, 'done', signal);
    }
    // Nothing kept (the faulty ack), nothing to check a signature over: what the list said is all it knows.
    const about = bytes ? await describe(bytes) : item.meta && { ...item.meta, signed: false };
    if (!about?.edxmlDocumentId) return;
    if (item.kind === 'status') {
      if (about.statusCode === '13') await this.#status(about.from, about.edxmlDocumentId, '15');
      return;
    }
    if (bytes && about.signed) {
      const verdict = await verifyBytes(bytes);
      if (verdict.present && !verdict.valid) {
        await this.#status(about.from, about.edxmlDocumentId, '02', `Chữ ký số không hợp lệ / the signature does not verify: ${verdict.code}`);
        return;
      }
    }
    const order = this.#faults.finishedBeforeRegistered ? ['01', '06', '03', '04', '05', '06'] : ['01', '03', '04', '05', '06'];
    for (const code of order) {
      try {
        await this.#status(about.from, about.edxmlDocumentId, code);
      } catch {
        // A refused status (the faulty order) is not retried.
      }
    }
  }

  async #status(originalSender: string, documentId: string, code: string, description = `Trạng thái ${code}`): Promise<void> {
    await this.#link.send(this.#maker().status({ from: this.#agency, responseOrgan: originalSender, documentId, code, description, at: Date.now() }), 'status', this.#stop.signal);
  }
}

/** What the agency needs from a packet it kept: who sent it, the document it is or answers, its status code. */
async function describe(bytes: Uint8Array): Promise<{ from: string; edxmlDocumentId: string | null; statusCode: string | null; signed: boolean }> {
  const p = await parsePacketBytes(bytes);
  const mh = p.header.MessageHeader;
  return {
    from: mh.From.OrganId,
    edxmlDocumentId: (p.kind === 'edoc' ? mh.DocumentId : mh.ResponseFor[0]?.DocumentId) ?? null,
    statusCode: mh.StatusCode ?? null,
    signed: p.signaturePresent,
  };
}

/** The fault alterReceivedBytes: every base64 run longer than 76 characters folded with CRLF. */
function foldBase64(bytes: Uint8Array): Buffer {
  return Buffer.from(Buffer.from(bytes).toString('utf8').replace(/[A-Za-z0-9+/]{76}(?=[A-Za-z0-9+/=])/g, (m) => `${m}\r\n`), 'utf8');
}

function vnDate(t: number): string {
  return new Date(t + 7 * 3600 * 1000).toISOString().slice(0, 10).replaceAll('-', '/');
}
