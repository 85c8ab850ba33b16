// What a client call fails with: the hub's own refusal (its stable code and HTTP status), or the client's
// codes for what never got an answer. `retryable` says whether the same call may be made again.

/** The client's own codes; the hub's are listed in docs/errors.md beside them. */
export const CLIENT_ERRORS = {
  VDXP_CLIENT_E_NETWORK: 'The hub could not be reached, or the connection broke before an answer',
  VDXP_CLIENT_E_RESPONSE: 'The hub answered something that is not the native API\'s answer',
  VDXP_CLIENT_E_SOURCE: 'A packet source cannot be sent again for a retry',
} as const;
export type ClientErrorCode = keyof typeof CLIENT_ERRORS;

export class VdxpClientError extends Error {
  /** A hub code (VDXP_E_…) or a client code (VDXP_CLIENT_E_…). */
  readonly code: string;
  /** The HTTP status, when the hub answered. */
  readonly status: number | undefined;
  readonly details: Record<string, unknown> | undefined;
  /** True when the same call may succeed later (no answer, 5xx, 429): the retry loop tries again. */
  readonly retryable: boolean;

  constructor(code: string, message: string, o: { status?: number; details?: Record<string, unknown>; retryable?: boolean; cause?: unknown } = {}) {
    super(message, o.cause === undefined ? undefined : { cause: o.cause });
    this.name = 'VdxpClientError';
    this.code = code;
    this.status = o.status;
    this.details = o.details;
    this.retryable = o.retryable ?? false;
  }
}

/** True for an abort the caller asked for (not a hub refusal): loops end quietly on it. */
export function isAbort(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || e.name === 'TimeoutError');
}
