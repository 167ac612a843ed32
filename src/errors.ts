/**
 * The one error type Airlock raises on purpose. `code` is stable and machine-readable, `message` is one
 * sentence for an operator (what, where, what to do) and never holds a secret or transferred content.
 */
export const ERROR_CODES = {
  /** A request, argument or file did not validate; the message names what and where. */
  invalid_input: { status: 400, retryable: false },
  /** A pipeline YAML file is malformed or fails its schema. */
  pipeline_invalid: { status: 400, retryable: false },
  /** A policy YAML file is malformed or fails its schema. */
  policy_invalid: { status: 400, retryable: false },
  /** A `${env:…}`/`${file:…}` reference could not be resolved. */
  secret_unresolved: { status: 500, retryable: false },
  /** A path tried to leave a connector's root (traversal, absolute path, escaping symlink). */
  path_escape: { status: 400, retryable: false },
  /** No valid credentials came with the request (missing, malformed, unknown, revoked or expired token). */
  unauthorized: { status: 401, retryable: false },
  /** The caller is known but may not do this (a role it lacks, approving its own ticket). */
  forbidden: { status: 403, retryable: false },
  /** Too many failed attempts from one address; try again after the time given. */
  rate_limited: { status: 429, retryable: true },
  /** A request body over the size limit. */
  payload_too_large: { status: 413, retryable: false },
  /** A named thing (ticket, pipeline, item) does not exist. */
  not_found: { status: 404, retryable: false },
  /** The request clashes with what is stored: a name already taken, or a user who is disabled. */
  conflict: { status: 409, retryable: false },
  /** A state transition was attempted from a state that does not allow it, or lost a race. */
  invalid_transition: { status: 409, retryable: false },
  /** A connector could not reach or read its backend; usually transient. */
  connector_unreachable: { status: 502, retryable: true },
  /** A connector refused the operation for good (permissions, missing source). */
  connector_failed: { status: 502, retryable: false },
  /** Staged bytes no longer match the hash taken when they were fetched. */
  integrity_mismatch: { status: 500, retryable: false },
  /** A check could not finish on an item (it threw or timed out); the item fails closed. */
  check_failed: { status: 500, retryable: false },
  /** The database could not be opened or migrated. */
  store_unavailable: { status: 503, retryable: true },
  /** The identity provider (its signing keys, or its token endpoint during a browser sign-in) did not answer usably; sign-in waits for it. */
  identity_provider_unreachable: { status: 503, retryable: true },
  /** Anything unexpected; the cause is logged, never shown. */
  internal_error: { status: 500, retryable: false },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class AirlockError extends Error {
  override readonly name = 'AirlockError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.retryable = options.retryable ?? ERROR_CODES[code].retryable;
  }
}

/** Wraps anything thrown into an AirlockError, keeping AirlockErrors as they are. */
export function coerceError(error: unknown): AirlockError {
  if (error instanceof AirlockError) return error;
  return new AirlockError('internal_error', 'An unexpected internal error occurred.', { cause: error });
}

/** Whether a failure is worth retrying: our own flag, or a Node network error code. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof AirlockError) return error.retryable;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TRANSIENT_SYSTEM_CODES.has(code);
}

/** Operating-system error codes that describe a passing condition rather than a wrong request. */
const TRANSIENT_SYSTEM_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'EPIPE', 'EAGAIN', 'EBUSY', 'EMFILE']);
