// A reference agency system for the conformance kit: what a well-behaved QLVBĐH does over the native API.
// It long-polls its inbox, downloads each packet whole and keeps it before acking, answers 01, 03, 04, 05, 06
// in order, agrees to recalls (15), and resends a document only as the same bytes. `faults` turn on the
// mistakes the kit must catch, for the kit's own proof (a test runs both).

import { PacketMaker } from '../packets.ts';
import type { InboxEntry, NativeTransport } from '../transport.ts';

export interface AgencyFaults {
  /** Sends 06 (finished) before 03 (registered). */
  finishedBeforeRegistered?: boolean;
  /** Acks deliveries without downloading them. */
  ackWithoutStoring?: boolean;
  /** Sends its document a second time under a new DocumentId, as a naive retry would. */
  resendWithNewDocumentId?: boolean;
}

export class ReferenceAgency {
  readonly #t: NativeTransport;
  readonly #token: string;
  readonly #agency: string;
  readonly #faults: AgencyFaults;
  readonly #stop = new AbortController();
  readonly #kept = new Map<string, Uint8Array>();
  #loop: Promise<void> | undefined;
  #packets: PacketMaker | undefined;

  constructor(o: { transport: NativeTransport; token: string; agency: string; faults?: AgencyFaults }) {
    this.#t = o.transport;
    this.#token = o.token;
    this.#agency = o.agency;
    this.#faults = o.faults ?? {};
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

  /** Sends one document to `to`; a retry after a lost answer would resend these same bytes. */
  async send(to: string, serial: number): Promise<void> {
    const at = Date.now();
    const make = (n: string): Uint8Array => this.#maker().edoc({
      from: this.#agency, to: [to], documentId: `${this.#agency},${vnDate(at)},${n}/CNV`, number: n, notation: 'CNV', subject: serial, at, businessType: 0,
    });
    const bytes = make(String(serial));
    await this.#t.submit(this.#token, bytes);
    if (this.#faults.resendWithNewDocumentId) await this.#t.submit(this.#token, make(String(serial + 1000)));
  }

  #maker(): PacketMaker {
    if (!this.#packets) throw new Error('assertion: started');
    return this.#packets;
  }

  async #receive(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      let items: InboxEntry[];
      try {
        items = (await this.#t.inbox(this.#token, { waitSeconds: 1, limit: 50 }, this.#stop.signal)).items;
      } catch (e) {
        if (this.#stop.signal.aborted) return;
        // The hub may be restarting: try again shortly, as a real system would.
        await new Promise((r) => setTimeout(r, 100));
        void e;
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

  async #handle(item: InboxEntry): Promise<void> {
    if (this.#faults.ackWithoutStoring) {
      await this.#t.ack(this.#token, item.deliveryId, 'done', this.#stop.signal);
    } else {
      const bytes = await this.#t.fetchPacket(this.#token, item.deliveryId, this.#stop.signal);
      this.#kept.set(item.deliveryId, bytes);
      await this.#t.ack(this.#token, item.deliveryId, 'done', this.#stop.signal);
    }
    if (!item.edxmlDocumentId) return;
    if (item.kind === 'status') {
      if (item.statusCode === '13') await this.#status(item.from, item.edxmlDocumentId, '15');
      return;
    }
    const order = this.#faults.finishedBeforeRegistered ? ['01', '06', '03', '04', '05', '06'] : ['01', '03', '04', '05', '06'];
    for (const code of order) {
      try {
        await this.#status(item.from, item.edxmlDocumentId, code);
      } catch {
        // A refused status (the faulty order) is not retried.
      }
    }
  }

  async #status(originalSender: string, documentId: string, code: string): Promise<void> {
    await this.#t.submit(this.#token, this.#maker().status({ from: this.#agency, responseOrgan: originalSender, documentId, code, description: `Trạng thái ${code}`, at: Date.now() }), this.#stop.signal);
  }
}

function vnDate(t: number): string {
  return new Date(t + 7 * 3600 * 1000).toISOString().slice(0, 10).replaceAll('-', '/');
}
