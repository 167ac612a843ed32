import type { ConnectorFactory } from '../connector.js';
import { S3Connector } from './s3-connector.js';
import { s3ConnectorConfigSchema, type S3ConnectorConfig } from './s3-connector-config.js';

export { S3Connector, type S3ConnectorOptions } from './s3-connector.js';
export { s3ConnectorConfigSchema, type S3ClientSlice, type S3ConnectorConfig, type S3SendOptions } from './s3-connector-config.js';
export { SHA256_METADATA } from './s3-upload.js';

/** A bucket or a prefix in one, on AWS S3 or an S3-compatible endpoint; credentials are secret references. */
export const s3ConnectorFactory = {
  kind: 's3',
  parseConfig: (raw: unknown): S3ConnectorConfig => s3ConnectorConfigSchema.parse(raw),
  create: (config, context) => new S3Connector({ config, resolveSecret: context.resolveSecret }),
} satisfies ConnectorFactory<S3ConnectorConfig>;
