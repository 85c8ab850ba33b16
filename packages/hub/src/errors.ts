// Stable error codes of the hub, each with its HTTP status; docs/errors.md has a line for each (a test keeps
// them in step). Outside problems are HubError results with a code, never crashes.

import { EDXML_ERRORS, isEdxmlError } from '@vdxp/edxml';

export const HUB_ERRORS = {
  VDXP_E_AUTH_MISSING: { status: 401, title: 'No credentials were sent' },
  VDXP_E_AUTH_INVALID: { status: 401, title: 'The credentials are not those of an active system' },
  VDXP_E_FROM_NOT_ALLOWED: { status: 403, title: 'The packet\'s From/OrganId is not an agency this system may act for' },
  VDXP_E_RECIPIENT_UNKNOWN: { status: 422, title: 'A recipient is not in the registry' },
  VDXP_E_RECIPIENT_INACTIVE: { status: 422, title: 'A recipient is suspended, or dissolved without a successor' },
  VDXP_E_RECIPIENTS_TOO_MANY: { status: 413, title: 'More recipients than limits.recipientsMax' },
  VDXP_E_PACKET_INVALID: { status: 422, title: 'The packet breaks a rule an axis must enforce (see findings)' },
  VDXP_E_SIGNATURE_REQUIRED_VALID: { status: 422, title: 'The operator requires valid XML signatures and this one is absent or invalid' },
  VDXP_E_STATUS_DOCUMENT_UNKNOWN: { status: 404, title: 'A status packet answers a document the hub does not know' },
  VDXP_E_STATUS_NOT_PARTY: { status: 403, title: 'A status comes from an agency that was not a party to the document' },
  VDXP_E_STATUS_TRANSITION: { status: 409, title: 'The status does not legally follow the delivery\'s history' },
  VDXP_E_DELIVERY_NOT_FOUND: { status: 404, title: 'No such delivery for this system' },
  VDXP_E_DELIVERY_GONE: { status: 410, title: 'The delivery was recalled, expired or dead-lettered' },
  VDXP_E_DOCUMENT_NOT_FOUND: { status: 404, title: 'No such document for this system' },
  VDXP_E_DOCUMENT_ARCHIVED: { status: 410, title: 'The document was archived: its packet left the live store (its metadata and timeline remain)' },
  VDXP_E_BLOB_CORRUPT: { status: 500, title: 'A stored packet no longer matches its digest' },
  VDXP_E_BAD_REQUEST: { status: 400, title: 'A parameter or JSON body is missing or malformed' },
  VDXP_E_NOT_FOUND: { status: 404, title: 'No such route' },
  VDXP_E_ACK_BATCH_TOO_LARGE: { status: 413, title: 'A batch ack lists more acks than limits.ackBatchItemsMax' },
  VDXP_E_STREAM_PREFETCH: { status: 400, title: 'An inbox stream asked for a prefetch (credit) outside 1..limits.streamPrefetchMax' },
  VDXP_E_AGENCY_UNKNOWN: { status: 404, title: 'No such agency in the registry' },
  VDXP_E_AGENCY_EXISTS: { status: 409, title: 'An agency with this code exists already' },
  VDXP_E_SYSTEM_UNKNOWN: { status: 404, title: 'No such connected system' },
  VDXP_E_SYSTEM_EXISTS: { status: 409, title: 'A system with this id exists already' },
  VDXP_E_IMPORT_INVALID: { status: 400, title: 'An agency import file has a malformed row' },
  VDXP_E_DATA_FOLDER_UNSAFE: { status: 500, title: 'Other accounts can write to the data folder; the hub refuses to start on it' },
  VDXP_E_DATABASE_UNAVAILABLE: { status: 503, title: 'The database cannot be reached right now (restarting, failing over): nothing was changed unless a resend says so' },
  VDXP_E_SCHEMA_NEWER: { status: 503, title: 'The database was migrated by a newer vdxp: this node refuses to serve a schema it does not know' },
  VDXP_E_KEY_MISMATCH: { status: 503, title: 'The sealing key file differs from the one the database\'s secrets were sealed with' },
  VDXP_E_LIMIT_INVALID: { status: 400, title: 'A limit given in a flag or config file is unknown, of the wrong type or out of range' },
  VDXP_E_INTERNAL: { status: 500, title: 'An unexpected server error; the operator log has the details' },
  VDXP_E_VDXP_SIGN_HEADER: { status: 400, title: 'XroadVnpt-sign-header is not a JSON object of strings with the signed systemid and timestamp' },
  VDXP_E_VDXP_SIGNATURE: { status: 401, title: 'XroadVnpt-hash-header is not the HMAC-SHA256 of the sign-header under the system\'s secret' },
  VDXP_E_VDXP_UNSIGNED_HEADER: { status: 401, title: 'An XroadVnpt-* header the call acts on is not in the signed JSON with the same value' },
  VDXP_E_TOO_MANY_CALLS: { status: 429, title: 'The system has limits.callsInFlightPerSystemMax calls in flight on this node already' },
  VDXP_E_VDXP_TIMESTAMP: { status: 401, title: 'XroadVnpt-timestamp is malformed, or (strict system, registerAgency) further than limits.vdxpReplayWindowSeconds from the hub\'s clock in Việt Nam time' },
  VDXP_E_VDXP_REPLAY: { status: 401, title: 'Strict system or registerAgency: this signature was used already within the replay window' },
  VDXP_E_VDXP_BUSY: { status: 503, title: 'More signed calls within the replay window than limits.vdxpReplayCacheMax' },
  VDXP_E_VDXP_HASH_FILE: { status: 422, title: 'The SHA-256 of the sendEdoc body does not match its hash-file header' },
  VDXP_E_VDXP_MULTIPART: { status: 400, title: 'A multipart sendEdoc body is malformed or has no file_doc part' },
  VDXP_E_VDXP_AGENCY_FORBIDDEN: { status: 403, title: 'registerAgency/deleteAgency: the system does not act for the agency\'s parent' },
  VDXP_E_CONSOLE_AUTH: { status: 401, title: 'Console: no session, or it ended (logged out, expired, account disabled)' },
  VDXP_E_CONSOLE_LOGIN_FAILED: { status: 401, title: 'Console: the username or password is wrong, or the account is disabled' },
  VDXP_E_CONSOLE_LOGIN_RATE_LIMITED: { status: 429, title: 'Console: too many failed logins for this account or address within limits.loginFailureWindowSeconds' },
  VDXP_E_CONSOLE_CSRF: { status: 403, title: 'Console: a state-changing call without the session\'s x-csrf-token' },
  VDXP_E_CONSOLE_ROLE: { status: 403, title: 'Console: the account\'s role may not do this' },
  VDXP_E_CONSOLE_SCOPE: { status: 403, title: 'Console: the document, agency or scope asked for is outside the account\'s scope' },
  VDXP_E_CONSOLE_USER_EXISTS: { status: 409, title: 'An account with this username exists already' },
  VDXP_E_CONSOLE_USER_UNKNOWN: { status: 404, title: 'No such console account' },
  VDXP_E_CONSOLE_USER_INVALID: { status: 400, title: 'A username, role, scope or password breaks the account rules (length, characters, a known agency)' },
  VDXP_E_CONSOLE_CALENDAR_INVALID: { status: 400, title: 'A calendar day is not a yyyy-MM-dd date, or its kind is not off or working' },
} as const satisfies Record<string, { status: number; title: string }>;

export type HubErrorCode = keyof typeof HUB_ERRORS;
export type ErrorCode = HubErrorCode | keyof typeof EDXML_ERRORS;

export class HubError extends Error {
  readonly code: HubErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: HubErrorCode, message: string, options?: { details?: Record<string, unknown>; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HubError';
    this.code = code;
    this.details = options?.details;
  }

  get status(): number {
    return HUB_ERRORS[this.code].status;
  }
}

/** Every code either layer can answer with, and its HTTP status. */
export function errorStatus(code: string): number {
  if (code in HUB_ERRORS) return HUB_ERRORS[code as HubErrorCode].status;
  if (code in EDXML_ERRORS) return EDXML_ERRORS[code as keyof typeof EDXML_ERRORS].status;
  return 500;
}

/**
 * PostgreSQL errors that mean "the database is away, try again": SQLSTATE class 08 (connection exception),
 * 57P01–57P03 (shut down by an operator, a crash, not yet accepting connections), 53300 (too many
 * connections), and the driver's own connection failures (socket errors, a pool connect timeout).
 */
const DATABASE_AWAY_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const DATABASE_AWAY_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN']);
const DATABASE_AWAY_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end|the database system is (starting up|shutting down|in recovery mode)/;

export function isDatabaseUnavailable(e: unknown): boolean {
  for (let x: unknown = e, depth = 0; x instanceof Error && depth < 5; x = (x as Error & { cause?: unknown }).cause, depth++) {
    const code = (x as Error & { code?: unknown }).code;
    if (typeof code === 'string' && (code.startsWith('08') || DATABASE_AWAY_SQLSTATES.has(code) || DATABASE_AWAY_SOCKET_CODES.has(code))) return true;
    if (DATABASE_AWAY_MESSAGES.test(x.message)) return true;
  }
  return false;
}

/** The code, status and message of any thrown value; unknown errors become VDXP_E_INTERNAL. */
export function describeError(e: unknown): { code: ErrorCode; status: number; message: string; details?: Record<string, unknown> } {
  if (e instanceof HubError) return { code: e.code, status: e.status, message: e.message, ...(e.details ? { details: e.details } : {}) };
  if (isDatabaseUnavailable(e)) {
    return { code: 'VDXP_E_DATABASE_UNAVAILABLE', status: 503, message: 'Co so du lieu tam thoi khong truy cap duoc, thu lai sau (the database is unavailable for now: retry; a resend is recognised)' };
  }
  if (isEdxmlError(e)) return { code: e.code, status: e.status, message: e.message, ...(e.path ? { details: { path: e.path } } : {}) };
  return { code: 'VDXP_E_INTERNAL', status: 500, message: 'Unexpected server error' };
}
