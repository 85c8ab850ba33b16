// The store's one small interface. Core code imports only this; engines live side by side in sqlite/ (and
// postgres/ later) and pass the same contract suite (store.contract.ts).

export const AGENCY_STATES = ['active', 'suspended', 'merged', 'dissolved'] as const;
export type AgencyState = (typeof AGENCY_STATES)[number];

export interface Agency {
  code: string;
  name: string;
  parent: string | null;
  level: number | null;
  otherCodes: string[];
  email: string | null;
  phone: string | null;
  state: AgencyState;
  successor: string | null;
  validFrom: number | null;
  validTo: number | null;
  version: number;
  deleted: boolean;
  updatedAt: number;
}

export type AgencyInput = Omit<Agency, 'version' | 'updatedAt' | 'deleted'> & { deleted?: boolean };

/**
 * A page of getAgenciesList's items as its answer's bytes: each agency that exists today under its own code as
 * `{"id":code,"pid":parent,"code":code,"name":name,"mail":email,"oldCode":another legacy code}` (the text
 * JSON.stringify writes; "" for a missing value), comma-separated, UTF-8, in (version, code) order, written by
 * the database in its pass over the index: a national registry's 111,000 agencies become no objects at all.
 */
export interface AgencyListPage {
  json: Uint8Array;
  rows: number;
  /** The cursor of the page's last row (undefined for an empty page): the next page starts after it. */
  last: { version: number; code: string } | undefined;
}

export interface SystemRecord {
  id: string;
  name: string;
  tokenHash: string;
  /** Sealed (see secrets.ts); never the clear secret. */
  secret: string;
  state: 'active' | 'suspended';
  pushUrl: string | null;
  /** VDXP API: demand a fresh timestamp and refuse a reused signature (http/vdxp/README.md); off by default. */
  vdxpStrict: boolean;
  createdAt: number;
  updatedAt: number;
}

export const DELIVERY_STATES = ['queued', 'fetched', 'done', 'dead', 'expired', 'recalled'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];
/** States in which a delivery is still handed out to its recipient: the one definition (SQL included). */
export const PENDING_STATES: readonly DeliveryState[] = ['queued', 'fetched'];
/** States in which the recipient still has the document and may answer it (01–06, 15, 16). */
export const ANSWERABLE_STATES: readonly DeliveryState[] = ['queued', 'fetched', 'done'];
/** States a delivery never leaves. */
export const FINAL_STATES: readonly DeliveryState[] = ['done', 'dead', 'expired', 'recalled'];

export interface DocumentRow {
  id: string;
  seq: number;
  kind: 'edoc' | 'status';
  businessType: number;
  fromAgency: string;
  senderSystem: string;
  edxmlId: string | null;
  subject: string | null;
  codeNumber: string | null;
  codeNotation: string | null;
  statusCode: string | null;
  answers: string | null;
  dueAt: number | null;
  digest: string;
  bytes: number;
  header: unknown;
  signature: unknown;
  receivedAt: number;
  /**
   * The archive file (in data/archive/) that holds this document's packet and acceptance event; absent while
   * it is live. Its row, deliveries and statuses stay in the store, so its timeline stays queryable.
   */
  archivedIn?: string;
}

export interface DeliveryRow {
  id: string;
  seq: number;
  documentId: string;
  kind: 'edoc' | 'status';
  recipient: string;
  addressedTo: string;
  state: DeliveryState;
  attempts: number;
  businessStatus: string | null;
  lastReason: string | null;
  createdAt: number;
  fetchedAt: number | null;
  ackedAt: number | null;
  expiresAt: number;
  answerDueAt: number | null;
  overdue: boolean;
}

/** What a delivery must still be for a change to apply: the compare of a compare-and-set. */
export interface DeliveryExpectation {
  states: readonly DeliveryState[];
  /** It was never handed out (no fetch recorded). */
  neverFetched?: boolean;
  /** The business status it must still have (null: none yet). */
  businessStatus?: string | null;
  overdue?: boolean;
}

/** The columns a change may set; `firstFetchedAt` sets fetchedAt only where none is recorded yet. */
export type DeliveryPatch = Partial<Pick<DeliveryRow, 'state' | 'attempts' | 'businessStatus' | 'lastReason' | 'ackedAt' | 'overdue' | 'answerDueAt'>> & {
  firstFetchedAt?: number;
};

export interface StatusEntry {
  deliveryId: string;
  seq: number;
  statusCode: string;
  documentId: string | null;
  description: string | null;
  at: number;
}

export interface EventInput {
  at: number;
  type: string;
  actor: string | null;
  documentId?: string | null;
  deliveryId?: string | null;
  data: Record<string, unknown>;
}

export interface EventRow extends Required<EventInput> {
  seq: number;
  /** `data` exactly as stored, which is what the chain hashes. */
  dataJson: string;
  prevHash: string;
  hash: string;
}

/**
 * Many documents' rows written in one go (`vdxp simulate --history`, through `history-batch.ts`, which decides
 * them as intake, fetch, ack and the sweep would). The engine writes them in this order in one transaction
 * with statements prepared once (SQLite) or multi-row inserts (PostgreSQL): packets, documents and their keys,
 * links, new deliveries (seq after the last, in order), changed deliveries, statuses (seq per delivery after its
 * last), events (chained after the head, in order), counter increments (summed per day, agency and metric).
 */
export interface WriteBatch {
  inlineBlobs: { digest: string; bytes: Uint8Array }[];
  documents: { doc: Omit<DocumentRow, 'seq'>; keys: string[] }[];
  links: { documentId: string; relatedId: string; relation: 'replaces' | 'updates' | 'revokes' }[];
  deliveries: Omit<DeliveryRow, 'seq'>[];
  /** Deliveries written before: every column a change may set is replaced by these values. */
  deliveryUpdates: Pick<DeliveryRow, 'id' | 'state' | 'attempts' | 'businessStatus' | 'lastReason' | 'fetchedAt' | 'ackedAt' | 'answerDueAt' | 'overdue'>[];
  statuses: Omit<StatusEntry, 'seq'>[];
  events: EventInput[];
  counters: { day: string; agency: string; metric: string; by: number }[];
}

export interface WriteBatchResult {
  /** The chain's head after the batch. */
  lastEventSeq: number;
  lastEventHash: string;
}

/** A cut of the evidence chain: events firstSeq..lastSeq moved into one archive file. */
export interface Checkpoint {
  firstSeq: number;
  lastSeq: number;
  /** The hash the segment starts from: the genesis, or the previous checkpoint's hash. */
  prevHash: string;
  /** The hash of event lastSeq: the live chain continues from it. */
  hash: string;
  /** The archive file's name in data/archive/. */
  file: string;
  /** SHA-256 (hex) of the whole archive file. */
  sha256: string;
  /** Documents accepted in the segment, now archived in `file`. */
  documents: number;
  createdAt: number;
}

export interface ArchiveSegment {
  firstSeq: number;
  lastSeq: number;
  prevHash: string;
}

export interface CutResult {
  documents: number;
  /** Inline packets deleted (no live document names their digest), and their bytes. */
  inlinePackets: number;
  inlineBytes: number;
  /** Digests of the archived documents that no live document names: their files may go once the cut committed. */
  unnamedDigests: string[];
}

export interface InboxItem {
  delivery: DeliveryRow;
  document: DocumentRow;
}

export interface CounterRow {
  day: string;
  agency: string;
  metric: string;
  value: number;
}

export const USER_ROLES = ['leader', 'operator', 'auditor'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** A person who logs in to the console (users.ts). */
export interface UserRecord {
  username: string;
  role: UserRole;
  /** The agency code whose subtree the account sees (scope.ts); null: everything (the Government Office). */
  scope: string | null;
  /** `scrypt$N$r$p$salt$hash`, never the password. */
  passwordHash: string;
  state: 'active' | 'disabled';
  createdAt: number;
  updatedAt: number;
}

export interface SessionRecord {
  /** SHA-256 (hex) of the cookie's token. */
  tokenHash: string;
  username: string;
  csrf: string;
  createdAt: number;
  expiresAt: number;
}

/** An operator's entry in the working-day calendar: a day off, or a make-up working day (calendar.ts). */
export interface CalendarDay {
  day: string;
  kind: 'off' | 'working';
  note: string | null;
  updatedAt: number;
}

/**
 * Which agencies a console query covers: a LIKE pattern over agency codes (scope.ts makes it), or null for all.
 * Plain SQL LIKE ('_' one character, '%' any), so every engine answers it the same way.
 */
export type AgencyPattern = string | null;

/** A delivery the console lists as overdue, with what the row shows of its document. */
export interface OverdueRow {
  delivery: DeliveryRow;
  document: Pick<DocumentRow, 'id' | 'fromAgency' | 'edxmlId' | 'subject' | 'codeNumber' | 'codeNotation' | 'dueAt' | 'receivedAt'>;
}

/** Operations, all usable inside a transaction (StoreTx) and outside it (Store). */
export interface StoreOps {
  // registry
  getAgency(code: string): Promise<Agency | undefined>;
  /**
   * The agencies of these codes (their registry codes, not other codes), in no set order; unknown codes are left
   * out. One read for many: a page naming a few thousand agencies made as many store calls, each queued behind
   * the traffic's writes.
   */
  getAgencies(codes: readonly string[]): Promise<Agency[]>;
  /** Resolves a code or any of the agency's other codes. */
  findAgency(code: string): Promise<Agency | undefined>;
  putAgency(agency: AgencyInput, at: number): Promise<Agency>;
  putAgencies(agencies: AgencyInput[], at: number): Promise<number>;
  /** Agencies changed after `afterVersion`, ordered by version then code; deleted ones included. */
  listAgencies(options: { afterVersion?: number; afterCode?: string; limit: number; includeDeleted?: boolean; parent?: string }): Promise<Agency[]>;
  /**
   * getAgenciesList's narrow read: up to `limit` agencies that exist today under their own code (not deleted,
   * active or suspended), ordered by version then code, after the cursor (version alone: strictly after it).
   */
  agencyListPage(options: { afterVersion: number; afterCode?: string; limit: number }): Promise<AgencyListPage>;
  countAgencies(): Promise<number>;
  registryVersion(): Promise<number>;

  getSystem(id: string): Promise<SystemRecord | undefined>;
  getSystemByTokenHash(hash: string): Promise<SystemRecord | undefined>;
  putSystem(system: SystemRecord): Promise<void>;
  listSystems(): Promise<SystemRecord[]>;
  setSystemAgencies(systemId: string, agencies: string[]): Promise<void>;
  systemAgencies(systemId: string): Promise<string[]>;
  systemActsFor(systemId: string, agency: string): Promise<boolean>;

  // documents
  documentIdByKey(key: string): Promise<string | undefined>;
  insertDocument(doc: Omit<DocumentRow, 'seq'>, keys: string[]): Promise<DocumentRow>;
  getDocument(id: string): Promise<DocumentRow | undefined>;
  /** The latest edoc that agency `fromAgency` sent with this MessageHeader/DocumentId. */
  findDocumentByEdxmlId(fromAgency: string, edxmlId: string): Promise<DocumentRow | undefined>;
  linkDocuments(documentId: string, relatedId: string, relation: 'replaces' | 'updates' | 'revokes'): Promise<void>;
  documentLinks(documentId: string): Promise<{ documentId: string; relatedId: string; relation: string }[]>;
  listSentDocuments(systemId: string, options: { afterSeq?: number; limit: number; kind?: 'edoc' | 'status' }): Promise<DocumentRow[]>;
  /**
   * Whether a live document names this packet digest (an indexed lookup: start-up asks it per staged file);
   * an archived one has its packet in an archive file.
   */
  digestReferenced(digest: string): Promise<boolean>;
  /**
   * Keeps a small packet's bytes under their digest, in the transaction of the document that names them. A
   * digest kept already stays as it is (the same bytes, since the digest is their SHA-256).
   */
  putInlineBlob(digest: string, bytes: Uint8Array): Promise<void>;
  inlineBlob(digest: string): Promise<Uint8Array | undefined>;

  // deliveries
  insertDelivery(d: Omit<DeliveryRow, 'seq'>): Promise<DeliveryRow>;
  getDelivery(id: string): Promise<DeliveryRow | undefined>;
  /**
   * Compare-and-set, the only way a delivery changes: applies `patch` if the delivery still meets `expect`
   * (`UPDATE … WHERE id = ? AND state IN (…) …`), and says whether it did. Called by delivery-states.ts only.
   */
  setDeliveryIf(id: string, expect: DeliveryExpectation, patch: DeliveryPatch): Promise<boolean>;
  deliveriesOfDocument(documentId: string): Promise<DeliveryRow[]>;
  findDelivery(documentId: string, recipient: string): Promise<DeliveryRow | undefined>;
  /** Pending deliveries for the agencies a system acts for, oldest first. */
  inbox(systemId: string, options: { kind?: 'edoc' | 'status'; afterSeq?: number; limit: number; states?: readonly DeliveryState[] }): Promise<InboxItem[]>;
  countInbox(systemId: string, kind: 'edoc' | 'status'): Promise<number>;
  addStatus(entry: Omit<StatusEntry, 'seq'>): Promise<StatusEntry>;
  statusHistory(deliveryId: string): Promise<StatusEntry[]>;
  /** Pending deliveries whose time-to-live ran out at `now`. */
  expiredDeliveries(now: number, limit: number): Promise<DeliveryRow[]>;
  /** Deliveries not yet answered with 01/02/03 whose answer time ran out, or past DueDate without 06, not yet flagged. */
  overdueCandidates(now: number, limit: number): Promise<DeliveryRow[]>;

  // evidence and statistics
  appendEvent(e: EventInput): Promise<EventRow>;
  events(afterSeq: number, limit: number): Promise<EventRow[]>;

  // retention (see archive.ts)
  /** The cuts made so far, oldest first. */
  checkpoints(): Promise<Checkpoint[]>;
  /**
   * The longest prefix of the live chain, at most `eventsMax` events, that may be archived at `cutoff`: every
   * event in it is older than `cutoff`, and every document accepted in it was received before `cutoff`, is not
   * archived yet and has no delivery in PENDING_STATES. undefined when there is none.
   */
  archivableSegment(cutoff: number, eventsMax: number): Promise<ArchiveSegment | undefined>;
  /** Documents whose document:accepted event is in firstSeq..lastSeq, by document seq after `afterSeq`. */
  documentsAcceptedIn(firstSeq: number, lastSeq: number, afterSeq: number, limit: number): Promise<DocumentRow[]>;
  /**
   * Makes a cut: deletes the checkpoint's events, records it, marks the documents accepted in it archived in
   * its file, deletes their inline packets that no live document names. Throws (changing nothing, when called
   * in a transaction) unless the live chain starts at firstSeq from prevHash, event lastSeq has `hash`, and no
   * document accepted in the range has a pending delivery.
   */
  cutArchive(checkpoint: Checkpoint): Promise<CutResult>;
  /** Digests of the documents archived in `file` that no live document names (their packet files may go). */
  unnamedDigestsOf(file: string): Promise<string[]>;
  /** How many documents are archived in each file, by file name. */
  archivedDocumentCounts(): Promise<Map<string, number>>;
  bumpCounter(day: string, agency: string, metric: string, by: number): Promise<void>;
  /** A batch of decided rows in one transaction (see WriteBatch); nothing of it stays if any row fails. */
  writeBatch(b: WriteBatch): Promise<WriteBatchResult>;
  /**
   * Begins a bulk-load session (`vdxp simulate --history`): the engine may set aside what only the console and
   * the inbox read (secondary indexes, the rollup and word-index triggers) until endBulkLoad. Reads and writes
   * stay correct meanwhile except the console's; a session a crash left open is ended when the store opens.
   * PostgreSQL keeps everything in place (a no-op).
   */
  beginBulkLoad(): Promise<void>;
  /** Ends the session: what was set aside is done set-wise and put back, in one transaction. Nothing when none is open. */
  endBulkLoad(): Promise<void>;
  counters(options: { fromDay?: string; toDay?: string; agencies?: string[] }): Promise<CounterRow[]>;

  // console (users.ts, console.ts, calendar.ts)
  putUser(user: UserRecord): Promise<void>;
  getUser(username: string): Promise<UserRecord | undefined>;
  listUsers(): Promise<UserRecord[]>;
  putSession(session: SessionRecord): Promise<void>;
  getSession(tokenHash: string): Promise<SessionRecord | undefined>;
  /** Ends one session (tokenHash) or every session of a user (username). */
  deleteSessions(by: { tokenHash: string } | { username: string }): Promise<void>;
  /** Records a failed login under `key` and forgets that key's failures older than `forgetBefore`. */
  addLoginFailure(key: string, at: number, forgetBefore: number): Promise<void>;
  loginFailures(key: string, since: number): Promise<number>;
  clearLoginFailures(key: string): Promise<void>;
  putCalendarDay(day: CalendarDay): Promise<void>;
  deleteCalendarDay(day: string): Promise<boolean>;
  calendarDays(fromDay: string, toDay: string): Promise<CalendarDay[]>;
  /**
   * Counters summed per day, metric, the agency's level and the letter of its level-1 body (third character from
   * the end of the code: G central, H province), for agencies matching `within`.
   */
  counterSums(o: { fromDay: string; toDay: string; within: AgencyPattern }): Promise<{ day: string; level: number | null; letter: string; metric: string; value: number }[]>;
  /**
   * The same counters summed two ways for the overview, only `metrics`: per day and metric, and per level, letter
   * and metric over the whole span (the overview's days and months, and its figures by level and for the year).
   */
  counterTotals(o: { fromDay: string; toDay: string; within: AgencyPattern; metrics: readonly string[] }): Promise<{
    days: { day: string; metric: string; value: number }[]; groups: { level: number | null; letter: string; metric: string; value: number }[];
  }>;
  /** Per agency matching `within`, the sum of `metric` over [fromDay, toDay], largest first (then by code), at most `limit`. */
  counterTopAgencies(o: { fromDay: string; toDay: string; within: AgencyPattern; metric: string; limit: number }): Promise<{ agency: string; value: number }[]>;
  /**
   * Edoc deliveries to agencies matching `within` of documents received in [fromAt, toAt), newest first (by seq, so
   * a `limit` keeps the newest): when the document
   * reached the hub, and the first status 01 or 03 (acceptance) and the first 06 (finished) its recipient sent, if any.
   */
  answerTimes(o: { within: AgencyPattern; fromAt: number; toAt: number; limit: number }): Promise<{ deliveryId: string; recipient: string; receivedAt: number; acceptedAt: number | null; finishedAt: number | null }[]>;
  /** Pending deliveries of edocs to agencies matching `within`, and how many of them are overdue at `now`. */
  pendingCounts(within: AgencyPattern, now: number): Promise<{ inFlight: number; overdue: number }>;
  /**
   * Deliveries overdue at `now` (the rule of delivery.ts's isOverdue, not the flag: an answer takes one off at
   * once), to agencies matching `within`, documents received in [fromAt, toAt), oldest first.
   */
  overdueDeliveries(o: { within: AgencyPattern; now: number; fromAt?: number; toAt?: number; limit: number }): Promise<OverdueRow[]>;
  /**
   * Edocs whose sender or a recipient matches `within`, newest first, before seq `beforeSeq`: `text` matches the
   * DocumentId, notation or subject (a substring), `agency` the sender or a recipient, [fromAt, toAt) the receipt.
   */
  searchDocuments(o: { within: AgencyPattern; text?: string; agency?: string; fromAt?: number; toAt?: number; beforeSeq?: number; limit: number }): Promise<DocumentRow[]>;
  /** Whether the document's sender or one of its recipients matches `within`. */
  documentWithin(documentId: string, within: AgencyPattern): Promise<boolean>;
  /** The live evidence events naming this document, in chain order. */
  documentEvents(documentId: string, limit: number): Promise<EventRow[]>;
  /** Agencies matching `within`, by code after `afterCode`; `text` matches code or name (a substring). */
  searchAgencies(o: { within: AgencyPattern; text?: string; afterCode?: string; limit: number }): Promise<Agency[]>;
  /**
   * Edoc deliveries still awaiting an acceptance (answerable, business status none or 13) with an answer time,
   * by seq after `afterSeq`: what a calendar change recomputes.
   */
  awaitingAnswer(afterSeq: number, limit: number): Promise<DeliveryRow[]>;
  /** How many deliveries (edocs and statuses) are in each state: the queues the Health page shows. */
  deliveryStateCounts(): Promise<Record<string, number>>;
  /** Agencies whose successor is `code` (merged or dissolved into it). */
  agencyPredecessors(code: string): Promise<Agency[]>;
  /** Active agencies matching `within`, and how many of them a system acts for. */
  connectedCounts(within: AgencyPattern): Promise<{ agencies: number; connected: number }>;
  /**
   * Adds a node's tally of one system's calls to its hour's row (additive: nodes never overwrite each other) and
   * keeps the latest call's time and protocol. One statement, atomic on its own.
   */
  addSystemActivity(a: SystemActivityInput): Promise<void>;
  /** Every system's latest call (null: never seen) and its calls and refusals in the hours from `sinceAt`'s on. */
  systemActivity(sinceAt: number): Promise<SystemActivity[]>;
  /** Systems acting for an agency matching `within`, and how many of them called at or after `sinceAt`. */
  activeSystemCounts(within: AgencyPattern, sinceAt: number): Promise<{ systems: number; active: number }>;
  /** The database's size on disk and the bytes of the live (not archived) documents' packets. */
  storageSize(): Promise<{ databaseBytes: number; packetBytes: number }>;
  /** Records one change of an agency (registry.ts, in the change's transaction). */
  addAgencyHistory(e: AgencyHistoryInput): Promise<void>;
  /** The changes of `code` and those naming it as successor, oldest first. */
  agencyHistory(code: string, limit: number): Promise<AgencyHistoryEntry[]>;
}

export interface AgencyHistoryInput {
  code: string;
  kind: 'added' | 'renamed' | 'merged' | 'dissolved';
  at: number;
  effective: number | null;
  name: string | null;
  oldName: string | null;
  successor: string | null;
  actor: string | null;
}

export interface AgencyHistoryEntry extends AgencyHistoryInput {
  id: number;
}

export type CallProtocol = 'native' | 'vdxp';

export interface SystemActivityInput {
  systemId: string;
  /** The hour's first millisecond. */
  hourAt: number;
  calls: number;
  refusals: number;
  lastAt: number;
  protocol: CallProtocol;
}

export interface SystemActivity {
  systemId: string;
  lastAt: number | null;
  protocol: CallProtocol | null;
  calls: number;
  refusals: number;
}

export type StoreTx = StoreOps;

/** Writes batches (StoreOps.writeBatch) in order, each in one transaction, possibly on a thread of its own. */
export interface BatchWriter {
  write(b: WriteBatch): Promise<WriteBatchResult>;
  /** Waits for the batches written, then lets go of what the writer holds. */
  close(): Promise<void>;
}

export interface Store extends StoreOps {
  readonly engine: 'sqlite' | 'postgres';
  /**
   * A writer of batches for a bulk load (`vdxp simulate --history`), the store's only writer while it is open.
   * SQLite: its own connection on a thread of its own, so the caller's thread goes on deciding the next batch
   * while one is written (reads on the store see a batch once its `write` has resolved). PostgreSQL: writeBatch.
   */
  batchWriter(): BatchWriter;
  /** Runs `fn` in one transaction: all its writes commit together or none do. Transactions are serialised. */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /**
   * A wait until everything committed so far is durable, or undefined when it is already (the common case, so
   * an answer pays nothing). A write's own promise already waits for its durability; an answer built from
   * reads waits for this before it leaves the hub (the HTTP server does), so nothing a power cut could take
   * back is ever shown. The embedded engine syncs its log off the event loop after COMMIT; PostgreSQL makes a
   * commit visible only once it is flushed, so there it is always undefined.
   */
  settled(): Promise<void> | undefined;
  close(): Promise<void>;
}

/** The hash that starts the evidence chain. */
export const GENESIS_HASH = '0'.repeat(64);
