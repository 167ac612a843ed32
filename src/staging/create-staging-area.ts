import path from 'node:path';
import type { AirlockConfig } from '../config/env.js';
import { S3StagingStore } from './s3-staging-store.js';
import { StagingArea } from './staging-area.js';

/**
 * The staging area the configuration asks for: an S3 bucket shared by several machines when
 * `AIRLOCK_STAGING=s3://bucket/prefix` (credentials, region and endpoint from the AWS SDK's environment; local
 * scratch files under `<AIRLOCK_DATA_DIR>/staging-scratch`), else the local `AIRLOCK_STAGING_DIR`.
 */
export function createStagingArea(config: Pick<AirlockConfig, 'stagingDir' | 'stagingS3' | 'dataDir'>, masterKey: Buffer): StagingArea {
  if (config.stagingS3 === undefined) return new StagingArea(config.stagingDir, masterKey);
  const store = new S3StagingStore({ ...config.stagingS3, scratchRoot: path.join(config.dataDir, 'staging-scratch') });
  return new StagingArea(store, masterKey);
}
