import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AirlockError } from '../errors.js';
import { isSecretRef, parseSecretRef, resolveSecret, secretRef } from './secret-ref.js';

const SECRET = 'hunter2-very-secret-value';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'airlock-secret-'));
  await writeFile(path.join(dir, 'password'), `${SECRET}\n`);
  await writeFile(path.join(dir, 'two-lines'), `${SECRET}\n\n`);
  await writeFile(path.join(dir, 'empty'), '\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function failure(promise: Promise<unknown>): Promise<AirlockError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AirlockError);
  return error as AirlockError;
}

describe('isSecretRef / parseSecretRef', () => {
  it.each(['${env:SFTP_PASSWORD}', '${env:_x1}', '${file:/run/secrets/db}', '${file:secrets/key.pem}'])('accepts %s', (ref) => {
    expect(isSecretRef(ref)).toBe(true);
  });

  it.each(['hunter2', '${env:}', '${env:1BAD}', '${env:A-B}', 'x${env:A}', '${env:A}x', '${env:A}${env:B}', '${file:}', '${vault:x}', ''])(
    'rejects %j',
    (value) => {
      expect(isSecretRef(value)).toBe(false);
    },
  );

  it('splits kind and target', () => {
    expect(parseSecretRef('${env:TOKEN}')).toEqual({ kind: 'env', name: 'TOKEN' });
    expect(parseSecretRef('${file:/a/b}')).toEqual({ kind: 'file', path: '/a/b' });
    expect(parseSecretRef('plain')).toBeUndefined();
  });
});

describe('resolveSecret', () => {
  it('reads a set environment variable from the env it is given', async () => {
    expect(await resolveSecret('${env:SFTP_PASSWORD}', { env: { SFTP_PASSWORD: SECRET }, baseDir: dir })).toBe(SECRET);
  });

  it('fails with secret_unresolved naming the reference when the variable is not set', async () => {
    const error = await failure(resolveSecret('${env:SFTP_PASSWORD}', { env: {}, baseDir: dir }));
    expect(error.code).toBe('secret_unresolved');
    expect(error.message).toContain('Secret reference ${env:SFTP_PASSWORD} is not set');
  });

  it('treats an empty variable as unresolved', async () => {
    const error = await failure(resolveSecret('${env:X}', { env: { X: '' }, baseDir: dir }));
    expect(error.code).toBe('secret_unresolved');
  });

  it('reads an absolute file, trimming exactly one trailing newline', async () => {
    expect(await resolveSecret(`\${file:${path.join(dir, 'password')}}`, { env: {}, baseDir: '/' })).toBe(SECRET);
    expect(await resolveSecret(`\${file:${path.join(dir, 'two-lines')}}`, { env: {}, baseDir: '/' })).toBe(`${SECRET}\n`);
  });

  it('resolves a relative file against baseDir', async () => {
    expect(await resolveSecret('${file:password}', { env: {}, baseDir: dir })).toBe(SECRET);
  });

  it('fails with secret_unresolved naming the reference when the file is missing or empty', async () => {
    const missing = await failure(resolveSecret('${file:nope}', { env: {}, baseDir: dir }));
    expect(missing.code).toBe('secret_unresolved');
    expect(missing.message).toContain('${file:nope}');
    expect(missing.message).toContain('ENOENT');
    expect((await failure(resolveSecret('${file:empty}', { env: {}, baseDir: dir }))).code).toBe('secret_unresolved');
  });

  it('never puts a value in its messages', async () => {
    const env = { OTHER: SECRET };
    const errors = [
      await failure(resolveSecret('${env:MISSING}', { env, baseDir: dir })),
      await failure(resolveSecret(SECRET, { env, baseDir: dir })),
      await failure(resolveSecret('${file:nope}', { env, baseDir: dir })),
    ];
    expect(errors[1]!.code).toBe('invalid_input');
    for (const error of errors) expect(error.message).not.toContain(SECRET);
  });
});

describe('secretRef()', () => {
  it('accepts a reference and refuses an inline value without echoing it', () => {
    expect(secretRef().parse('${env:TOKEN}')).toBe('${env:TOKEN}');
    const result = secretRef().safeParse(SECRET);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.message)).toEqual(['must be a ${env:…} or ${file:…} reference, not an inline secret']);
    expect(JSON.stringify(result.error!.issues)).not.toContain(SECRET);
  });
});
