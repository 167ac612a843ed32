import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import { SHA256_METADATA } from './index.js';
import { MiB, pseudoRandomBytes, readAll, ROOT, s3Error, sha256, useS3TestBed } from './s3-connector.test-support.js';

const bed = useS3TestBed();

describe('S3Connector writing on s3rver', () => {
  let bucket: string;
  beforeEach(async () => {
    bucket = await bed.newBucket();
  });

  it('writes a small object in one PUT carrying its SHA-256 as metadata', async () => {
    const recorder = bed.recording();
    const result = await bed.injected(bucket, recorder.client).write('one/put.txt', Readable.from([Buffer.from('hello')]));
    expect(result).toEqual({ path: 'one/put.txt', size: 5, sha256: sha256(Buffer.from('hello')) });
    expect(recorder.sent.map((s) => s.name)).toEqual(['PutObject', 'HeadObject']);
    const head = await bed.direct.send(new HeadObjectCommand({ Bucket: bucket, Key: `${ROOT}/one/put.txt` }));
    expect(head.Metadata?.[SHA256_METADATA]).toBe(result.sha256);
  });

  it('uploads 40 MiB in parts, records its SHA-256 and verifies it', async () => {
    const big = pseudoRandomBytes(40 * MiB);
    const recorder = bed.recording();
    const chunks = Array.from({ length: 40 * 4 }, (_, i) => big.subarray(i * 256 * 1024, (i + 1) * 256 * 1024));
    const result = await bed.injected(bucket, recorder.client).write('big/forty.bin', Readable.from(chunks));
    expect(result).toEqual({ path: 'big/forty.bin', size: big.length, sha256: sha256(big) });
    // 16 MiB parts: 16 + 16 + 8, then the copy onto itself that adds the hash, then the check.
    expect(recorder.count('CreateMultipartUpload')).toBe(1);
    expect(recorder.sent.filter((s) => s.name === 'UploadPart').map((s) => s.input.PartNumber)).toEqual([1, 2, 3]);
    expect(recorder.sent.map((s) => s.name).slice(-3)).toEqual(['CompleteMultipartUpload', 'CopyObject', 'HeadObject']);
    const head = await bed.direct.send(new HeadObjectCommand({ Bucket: bucket, Key: `${ROOT}/big/forty.bin` }));
    expect(head).toMatchObject({ ContentLength: big.length, Metadata: { [SHA256_METADATA]: sha256(big) } });
    expect((await bed.readBack(bucket, `${ROOT}/big/forty.bin`))?.equals(big)).toBe(true);
    expect(await bed.server.incompleteUploads(bucket)).toEqual([]);
  });

  it('aborts the multipart upload when the source fails midway, leaving no object and no parts', async () => {
    const failure = new Error('source dropped');
    const source = Readable.from(
      (async function* () {
        for (let i = 0; i < 12; i++) yield Buffer.alloc(MiB, i);
        throw failure;
      })(),
    );
    const recorder = bed.recording();
    await expect(bed.injected(bucket, recorder.client, { partSizeMb: 5 }).write('broken.bin', source)).rejects.toBe(failure);
    const created = recorder.sent.find((s) => s.name === 'CreateMultipartUpload');
    expect(created).toBeDefined();
    expect(recorder.count('UploadPart')).toBeGreaterThan(0);
    expect(recorder.sent.filter((s) => s.name === 'AbortMultipartUpload').map((s) => s.input.Key)).toEqual([`${ROOT}/broken.bin`]);
    expect(recorder.count('CompleteMultipartUpload')).toBe(0);
    expect(await bed.readBack(bucket, `${ROOT}/broken.bin`)).toBeUndefined();
    expect(await bed.server.incompleteUploads(bucket)).toEqual([]);
  });

  it('stops a multipart upload on abort, cancelling it, and leaves no object and no parts', async () => {
    const controller = new AbortController();
    let sentMiB = 0;
    const source = new Readable({
      read() {
        if (sentMiB < 11) this.push(Buffer.alloc(MiB, sentMiB++)); // then it stalls: only the abort ends the write
      },
    });
    const recorder = bed.recording((name, _input, send) => {
      if (name === 'UploadPart') controller.abort();
      return send();
    });
    await expect(
      bed.injected(bucket, recorder.client, { partSizeMb: 5 }).write('aborted.bin', source, { signal: controller.signal }),
    ).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(source.destroyed).toBe(true);
    expect(recorder.count('AbortMultipartUpload')).toBe(1);
    expect(await bed.readBack(bucket, `${ROOT}/aborted.bin`)).toBeUndefined();
    expect(await bed.server.incompleteUploads(bucket)).toEqual([]);
  });

  it('reports the upload’s own failure, not a failed abort, and does not retry the abort', async () => {
    const recorder = bed.recording((name, _input, send) => {
      if (name === 'UploadPart') return Promise.reject(s3Error('AccessDenied', 403));
      if (name === 'AbortMultipartUpload') return Promise.reject(s3Error('InternalError', 500));
      return send();
    });
    const source = Readable.from([Buffer.alloc(6 * MiB, 1), Buffer.alloc(MiB, 2)]);
    await expect(bed.injected(bucket, recorder.client, { partSizeMb: 5 }).write('denied.bin', source)).rejects.toMatchObject({
      code: 'connector_failed',
      message: expect.stringMatching(/write "denied\.bin".*AccessDenied/),
    });
    expect(recorder.count('AbortMultipartUpload')).toBe(1);
  });

  it('fails with a retryable integrity_mismatch and removes its object when S3 holds another size', async () => {
    const recorder = bed.recording(async (name, _input, send) => {
      const output = await send();
      return name === 'HeadObject' ? { ...(output as object), ContentLength: 4 } : output;
    });
    await expect(bed.injected(bucket, recorder.client).write('short.txt', Readable.from([Buffer.from('hello')]))).rejects.toMatchObject({
      code: 'integrity_mismatch',
      retryable: true,
      message: expect.stringMatching(/"short\.txt".*4 bytes where 5/),
    });
    expect(await bed.readBack(bucket, `${ROOT}/short.txt`)).toBeUndefined();
  });

  it('fails with integrity_mismatch when the stored whole-object SHA-256 checksum differs (checksums: true)', async () => {
    const recorder = bed.recording(async (name, input, send) => {
      const output = await send();
      if (name !== 'HeadObject') return output;
      expect(input.ChecksumMode).toBe('ENABLED');
      return { ...(output as object), ChecksumSHA256: Buffer.alloc(32).toString('base64') };
    });
    const connector = bed.injected(bucket, recorder.client, { checksums: true });
    await expect(connector.write('sum.txt', Readable.from([Buffer.from('hello')]))).rejects.toMatchObject({ code: 'integrity_mismatch' });
    expect(recorder.sent.find((s) => s.name === 'PutObject')?.input.ChecksumSHA256).toBe(
      Buffer.from(sha256(Buffer.from('hello')), 'hex').toString('base64'),
    );
  });

  it('writes and reads back with checksums: true; s3rver accepts the SHA-256 headers but ignores them', async () => {
    const connector = bed.connectorFor(bucket, { checksums: true, partSizeMb: 5 });
    const content = pseudoRandomBytes(11 * MiB, 7);
    expect(await connector.write('sums/eleven.bin', Readable.from([content]))).toMatchObject({
      size: content.length,
      sha256: sha256(content),
    });
    expect((await readAll(await connector.open('sums/eleven.bin'))).equals(content)).toBe(true);
    const head = await bed.direct.send(new HeadObjectCommand({ Bucket: bucket, Key: `${ROOT}/sums/eleven.bin`, ChecksumMode: 'ENABLED' }));
    expect(head.ChecksumSHA256).toBeUndefined();
    await connector.close?.();
  });

  it('refuses paths with a NUL byte or a backslash, naming the path and the connector, and destroys the source', async () => {
    for (const path of ['a\0b', '..\\x']) {
      const source = new Readable({ read() {} });
      await expect(bed.connectorFor(bucket).write(path, source)).rejects.toMatchObject({
        code: 'path_escape',
        message: expect.stringContaining(`${JSON.stringify(path)}: it contains`),
      });
      expect(source.destroyed).toBe(true);
    }
  });
});
