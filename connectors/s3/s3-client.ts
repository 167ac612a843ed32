import { S3Client } from '@aws-sdk/client-s3';
import type { ConnectorContext } from '../connector.js';
import type { S3ConnectorConfig } from './s3-connector-config.js';

/** Sockets may take this long to connect before the attempt fails (and is retried). */
const CONNECTION_TIMEOUT_MS = 10_000;
/** A socket silent this long, during a request or while a body streams, fails the request (and is retried). */
const SOCKET_IDLE_TIMEOUT_MS = 60_000;
/** Open connections per client; above `concurrency` so reads and listings are not queued behind uploads. */
const MAX_SOCKETS = 64;

/**
 * Builds the SDK client for a connector's settings. Secret references are resolved on the first request
 * (the SDK keeps the result), not here, so building a connector never touches a secret. Retries are off in
 * the SDK (`maxAttempts: 1`): the connector retries with `withRetry`, in one place, where they are counted.
 */
export function createS3Client(config: S3ConnectorConfig, resolveSecret: ConnectorContext['resolveSecret']): S3Client {
  const { accessKeyId, secretAccessKey } = config;
  const checksumMode = config.checksums ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED';
  return new S3Client({
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    ...(accessKeyId === undefined || secretAccessKey === undefined
      ? {}
      : {
          credentials: async () => ({
            accessKeyId: await resolveSecret(accessKeyId),
            secretAccessKey: await resolveSecret(secretAccessKey),
          }),
        }),
    maxAttempts: 1,
    // Without `checksums`, no optional checksum headers or aws-chunked bodies: S3-compatible stores differ there.
    requestChecksumCalculation: checksumMode,
    responseChecksumValidation: checksumMode,
    requestHandler: {
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      socketTimeout: SOCKET_IDLE_TIMEOUT_MS,
      httpAgent: { keepAlive: true, maxSockets: MAX_SOCKETS },
      httpsAgent: { keepAlive: true, maxSockets: MAX_SOCKETS },
    },
  });
}
