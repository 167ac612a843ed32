import { describe, expect, it } from 'vitest';
import type { ConnectorContext } from '../connector.js';
import { createConnector } from '../index.js';
import { s3ConnectorFactory } from './index.js';

const context: ConnectorContext = {
  baseDir: '/srv/airlock',
  resolveSecret: () => Promise.reject(new Error('no secret is resolved while building a connector')),
};

const invalid = (field: string) => expect.objectContaining({ code: 'invalid_input', message: expect.stringContaining(`${field}:`) });

describe('s3 connector settings', () => {
  it('fills defaults: region us-east-1, keep, 16 MiB parts, 4 in flight, no checksums, virtual-host style on AWS', () => {
    expect(s3ConnectorFactory.parseConfig({ bucket: 'data' })).toEqual({
      bucket: 'data',
      region: 'us-east-1',
      forcePathStyle: false,
      after: { action: 'keep' },
      partSizeMb: 16,
      concurrency: 4,
      checksums: false,
    });
  });

  it('uses path-style addressing by default when an endpoint is set, unless told otherwise', () => {
    expect(s3ConnectorFactory.parseConfig({ bucket: 'data', endpoint: 'http://127.0.0.1:9000' }).forcePathStyle).toBe(true);
    expect(
      s3ConnectorFactory.parseConfig({ bucket: 'data', endpoint: 'https://minio.example', forcePathStyle: false }).forcePathStyle,
    ).toBe(false);
  });

  it('normalises the prefix and the move target, dropping slashes at either end', () => {
    const config = s3ConnectorFactory.parseConfig({ bucket: 'data', prefix: '/inbox/partner-a/', after: 'move:/done/' });
    expect(config.prefix).toBe('inbox/partner-a');
    expect(config.after).toEqual({ action: 'move', prefix: 'done' });
    expect(s3ConnectorFactory.parseConfig({ bucket: 'data', after: 'delete' }).after).toEqual({ action: 'delete' });
  });

  it('accepts a key pair of secret references', () => {
    const config = s3ConnectorFactory.parseConfig({
      bucket: 'data',
      accessKeyId: '${env:S3_KEY}',
      secretAccessKey: '${file:/run/secrets/s3}',
    });
    expect(config).toMatchObject({ accessKeyId: '${env:S3_KEY}', secretAccessKey: '${file:/run/secrets/s3}' });
  });

  it('refuses a missing bucket, naming the field', () => {
    expect(() => createConnector({ kind: 's3' }, context)).toThrowError(invalid('bucket'));
    expect(() => createConnector({ kind: 's3', bucket: '' }, context)).toThrowError(invalid('bucket'));
    expect(() => createConnector({ kind: 's3', bucket: 'a/b' }, context)).toThrowError(invalid('bucket'));
  });

  it('refuses an inline secret without repeating it', () => {
    const pasted = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    let error: unknown;
    try {
      createConnector({ kind: 's3', bucket: 'data', accessKeyId: '${env:S3_KEY}', secretAccessKey: pasted }, context);
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/secretAccessKey:.*reference/) });
    expect(JSON.stringify(error)).not.toContain(pasted);
    expect((error as Error).message).not.toContain(pasted);
  });

  it('refuses half a key pair, naming the missing half', () => {
    expect(() => createConnector({ kind: 's3', bucket: 'data', accessKeyId: '${env:S3_KEY}' }, context)).toThrowError(
      invalid('secretAccessKey'),
    );
    expect(() => createConnector({ kind: 's3', bucket: 'data', secretAccessKey: '${env:S3_SECRET}' }, context)).toThrowError(
      invalid('accessKeyId'),
    );
  });

  it('refuses an endpoint holding credentials or another scheme', () => {
    expect(() => createConnector({ kind: 's3', bucket: 'data', endpoint: 'http://key:secret@127.0.0.1:9000' }, context)).toThrowError(
      invalid('endpoint'),
    );
    expect(() => createConnector({ kind: 's3', bucket: 'data', endpoint: 'ftp://127.0.0.1' }, context)).toThrowError(invalid('endpoint'));
  });

  it('refuses prefixes and move targets that climb or are empty', () => {
    for (const prefix of ['..', 'a/../b', 'a//b', './a', '/', 'a\\b']) {
      expect(() => createConnector({ kind: 's3', bucket: 'data', prefix }, context)).toThrowError(invalid('prefix'));
    }
    for (const after of ['move:', 'move:../up', 'archive', 'move']) {
      expect(() => createConnector({ kind: 's3', bucket: 'data', after }, context)).toThrowError(invalid('after'));
    }
  });

  it('refuses parts under S3’s 5 MiB minimum, a zero concurrency and unknown keys', () => {
    expect(() => createConnector({ kind: 's3', bucket: 'data', partSizeMb: 4 }, context)).toThrowError(invalid('partSizeMb'));
    expect(() => createConnector({ kind: 's3', bucket: 'data', concurrency: 0 }, context)).toThrowError(invalid('concurrency'));
    expect(() => createConnector({ kind: 's3', bucket: 'data', bukket: 'x' }, context)).toThrowError(
      expect.objectContaining({ code: 'invalid_input', message: expect.stringContaining('"bukket"') }),
    );
  });
});

describe('s3 connector description', () => {
  it('names the bucket, the prefix and a custom endpoint, and nothing secret', () => {
    const connector = createConnector(
      {
        kind: 's3',
        bucket: 'data',
        prefix: 'inbox',
        endpoint: 'http://127.0.0.1:9000',
        accessKeyId: '${env:S3_KEY}',
        secretAccessKey: '${env:S3_SECRET}',
      },
      context,
    );
    expect(connector.describe()).toEqual({ kind: 's3', location: 's3://data/inbox at http://127.0.0.1:9000' });
    expect(JSON.stringify(connector.describe())).not.toMatch(/S3_KEY|S3_SECRET|\$\{/);
  });

  it('describes a whole bucket on AWS as s3://bucket', () => {
    expect(createConnector({ kind: 's3', bucket: 'data' }, context).describe()).toEqual({ kind: 's3', location: 's3://data' });
  });
});
