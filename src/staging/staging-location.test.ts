import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/env.js';
import { createStagingArea } from './create-staging-area.js';
import { S3StagingStore, s3ClientConfigFromEnv } from './s3-staging-store.js';
import { LocalStagingStore } from './staging-store.js';
import { parseS3StagingLocation } from './staging-location.js';

describe('AIRLOCK_STAGING', () => {
  it('parses s3://bucket and s3://bucket/prefix', () => {
    expect(parseS3StagingLocation('s3://airlock-stage')).toEqual({ bucket: 'airlock-stage', prefix: '' });
    expect(parseS3StagingLocation('s3://airlock-stage/')).toEqual({ bucket: 'airlock-stage', prefix: '' });
    expect(parseS3StagingLocation('s3://airlock-stage/prod/staging/')).toEqual({ bucket: 'airlock-stage', prefix: 'prod/staging' });
  });

  it.each(['/var/airlock', 'https://bucket/x', 's3://', 's3://Bad_Bucket/x', 's3://bucket/a//b', 's3://bucket/../x'])(
    'fails at load on %j, naming the variable',
    (value) => {
      expect(() => loadConfig({ AIRLOCK_STAGING: value }, os.tmpdir())).toThrow(/Invalid environment: AIRLOCK_STAGING: /);
    },
  );

  it('chooses the store: local AIRLOCK_STAGING_DIR by default, S3 when AIRLOCK_STAGING is set', () => {
    const key = Buffer.alloc(32, 7);
    const local = createStagingArea(loadConfig({ AIRLOCK_STAGING_DIR: '/tmp/x' }, os.tmpdir()), key);
    expect(local.store).toBeInstanceOf(LocalStagingStore);
    expect(local.root).toBe('/tmp/x');

    const config = loadConfig({ AIRLOCK_STAGING: 's3://shared-bucket/airlock', AIRLOCK_DATA_DIR: '/tmp/data' }, os.tmpdir());
    expect(config.stagingS3).toEqual({ bucket: 'shared-bucket', prefix: 'airlock' });
    const shared = createStagingArea(config, key);
    expect(shared.store).toBeInstanceOf(S3StagingStore);
    expect(shared.root).toBe('s3://shared-bucket/airlock');
    expect((shared.store as S3StagingStore).scratchRoot).toBe('/tmp/data/staging-scratch');
  });

  it('reads the S3 endpoint from AWS_ENDPOINT_URL, with path-style addressing only then', () => {
    expect(s3ClientConfigFromEnv({ AWS_ENDPOINT_URL: 'http://minio:9000', AWS_REGION: 'eu-west-1' })).toMatchObject({
      endpoint: 'http://minio:9000',
      forcePathStyle: true,
      region: 'eu-west-1',
    });
    const aws = s3ClientConfigFromEnv({});
    expect(aws).not.toHaveProperty('endpoint');
    expect(aws).not.toHaveProperty('forcePathStyle');
    expect(aws).not.toHaveProperty('credentials');
  });
});
