import { AirlockError } from '../../src/errors.js';

/**
 * Translation of AWS SDK and socket failures into AirlockErrors, at the connector's edge. Messages name the
 * connector's location, the operation and the path, with S3's error code but never S3's message text (it
 * can echo request details) and never a credential.
 */

/** S3 error codes for a passing condition on the service side: retried with backoff, then connector_unreachable. */
const TRANSIENT_S3_CODES = new Set([
  'SlowDown', // S3 asks the client to reduce its request rate
  'InternalError', // S3 failed internally; AWS says to retry
  'ServiceUnavailable', // S3 is briefly unable to serve
  'RequestTimeout', // S3 gave up waiting for a request body that stalled
  'RequestTimeTooSkewed', // the clock moved; the SDK corrects its offset on the next try
  'Throttling', // throttling as some S3-compatible stores spell it
  'ThrottlingException', // idem
  'OperationAborted', // a conflicting operation on the same resource is in progress
]);

/** Socket and DNS errors of a connection that dropped or could not be made for now: retried, then connector_unreachable. */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET', // connection reset by the peer, or "socket hang up"
  'ECONNREFUSED', // nothing listening, e.g. the endpoint restarting
  'ETIMEDOUT', // the operating system gave up on the connection
  'EPIPE', // wrote to a connection the peer had closed
  'ENETUNREACH', // no route to the network right now
  'EHOSTUNREACH', // no route to the host right now
  'EAI_AGAIN', // DNS lookup failed temporarily
]);

/** Error names the SDK's HTTP handler gives to timeouts (connection and idle socket): retried. */
const TRANSIENT_ERROR_NAMES = new Set(['TimeoutError', 'RequestTimeoutException']);

/** S3 refused the credentials or the permission: retrying cannot help, an operator must fix them. */
const AUTH_CODES = new Set([
  'AccessDenied', // the credentials lack permission (IAM or bucket policy)
  'Forbidden', // AccessDenied as HEAD reports it (no body, only the 403)
  'InvalidAccessKeyId', // the access key id is unknown to the service
  'SignatureDoesNotMatch', // the secret access key does not belong to the access key id
  'ExpiredToken', // temporary credentials have expired
  'InvalidToken', // the session token is malformed or invalid
  'AllAccessDisabled', // all access to this object or bucket has been disabled
  'AccountProblem', // the AWS account has a problem (e.g. suspended)
]);

/** The object does not exist: a missing source, or one deleted between listing and reading. */
const MISSING_OBJECT_CODES = new Set(['NoSuchKey', 'NotFound']);

/** The SDK found no credentials in its default chain (environment, profile, instance role). */
const NO_CREDENTIALS_NAMES = new Set(['CredentialsProviderError']);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** Whether a raw SDK or socket failure is worth another try of the same request. */
export function isTransientS3Error(error: unknown): boolean {
  if (error instanceof AirlockError) return error.retryable;
  const { name, code, status } = describeError(error);
  return (
    TRANSIENT_S3_CODES.has(name) ||
    TRANSIENT_ERROR_NAMES.has(name) ||
    TRANSIENT_NETWORK_CODES.has(code) ||
    (status !== undefined && status >= 500)
  );
}

/** Whether a raw failure says the object is not there (GetObject, CopyObject source, HeadObject). */
export function isMissingObjectError(error: unknown): boolean {
  return MISSING_OBJECT_CODES.has(describeError(error).name);
}

/** Where a failure happened, for its message. */
export interface S3FailureSite {
  /** `s3://bucket/prefix`, plus ` at <endpoint>` for a non-AWS endpoint. */
  location: string;
  bucket: string;
  /** What was being done, as a verb phrase: `list`, `read`, `write`, `delete`. */
  doing: string;
  /** The connector-relative path, or undefined for a listing of the root. */
  path?: string;
}

/** Translates one failure; an AirlockError passes through unchanged. */
export function s3Failure(error: unknown, site: S3FailureSite): AirlockError {
  if (error instanceof AirlockError) return error;
  const { name, code, status } = describeError(error);
  const what = `S3 connector ${site.location} could not ${site.doing}${site.path === undefined ? '' : ` ${JSON.stringify(site.path)}`}`;
  const fail = (errorCode: 'connector_failed' | 'connector_unreachable', reason: string): AirlockError =>
    new AirlockError(errorCode, `${what}: ${reason}.`, { cause: error });
  if (name === 'NoSuchBucket')
    return fail('connector_failed', `bucket "${site.bucket}" does not exist (NoSuchBucket); create it or fix the bucket setting`);
  if (MISSING_OBJECT_CODES.has(name))
    return fail('connector_failed', `no such object (${name}); it may have been deleted or moved since it was listed`);
  if (AUTH_CODES.has(name) || status === 403) {
    return fail(
      'connector_failed',
      `S3 refused the credentials or the permission (${name || status}); check the key pair and the bucket policy`,
    );
  }
  if (NO_CREDENTIALS_NAMES.has(name)) {
    return fail(
      'connector_failed',
      'no AWS credentials were found; set accessKeyId and secretAccessKey, or give the process an AWS profile or role',
    );
  }
  if (isTransientS3Error(error))
    return fail('connector_unreachable', `the service or the network failed for now (${name || code || status}); retry later`);
  if (code === 'ENOTFOUND')
    return fail('connector_failed', 'the endpoint host name does not resolve (ENOTFOUND); check the endpoint setting');
  const label = [name, status].filter((part) => part !== '' && part !== undefined).join(', ');
  return fail('connector_failed', `S3 answered with an error (${label || 'unknown error'})`);
}

function describeError(error: unknown): { name: string; code: string; status: number | undefined } {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  return {
    name: typeof shape.name === 'string' && shape.name !== 'Error' ? shape.name : '',
    code: typeof shape.code === 'string' ? shape.code : '',
    status: shape.$metadata?.httpStatusCode,
  };
}
