import { createHash, randomUUID } from 'node:crypto';
import { appendFile, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnector } from '../../connectors/index.js';
import { StagingArea } from './staging-area.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-staging-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('staging area', () => {
  it('stores items privately (0700 directories, 0600 files), named by id, hashed while written', async () => {
    const staging = new StagingArea(path.join(dir, 'private'));
    const ticket = randomUUID();
    const item = randomUUID();
    const content = Buffer.from('quarterly numbers');
    const staged = await staging.stage(ticket, item, Readable.from([content]));
    expect(staged).toEqual({ size: content.length, sha256: sha256(content) });
    expect((await stat(staging.root)).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(staging.root, ticket))).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(staging.root, ticket, item))).mode & 0o777).toBe(0o600);
    expect(await readdir(path.join(staging.root, ticket))).toEqual([item]);
  });

  it('hashes a multi-megabyte stream correctly, chunk by chunk', async () => {
    const staging = new StagingArea(path.join(dir, 'big'));
    const chunks = Array.from({ length: 64 }, (_, i) => Buffer.alloc(128 * 1024, i));
    const staged = await staging.stage(randomUUID(), randomUUID(), Readable.from(chunks));
    expect(staged.size).toBe(64 * 128 * 1024);
    expect(staged.sha256).toBe(sha256(Buffer.concat(chunks)));
  });

  it('refuses to deliver a staged copy that changed after inspection; the destination gets nothing', async () => {
    const staging = new StagingArea(path.join(dir, 'tamper'));
    const outbox = await mkdtemp(path.join(dir, 'outbox-'));
    const destination = createConnector({ kind: 'local', root: outbox }, { baseDir: dir, resolveSecret: async () => '' });
    const ticket = randomUUID();
    const item = randomUUID();
    const staged = await staging.stage(ticket, item, Readable.from([Buffer.from('inspected bytes')]));
    await appendFile(path.join(staging.root, ticket, item), ' plus something added later');
    const attempt = destination.write('report.txt', staging.openVerified(ticket, item, staged, 'item 1 of T-000001'));
    await expect(attempt).rejects.toMatchObject({ code: 'integrity_mismatch' });
    await expect(attempt).rejects.toThrow(/item 1 of T-000001 changed since it was inspected/);
    expect(await readdir(outbox)).toEqual([]);
  });

  it('delivers an unchanged staged copy', async () => {
    const staging = new StagingArea(path.join(dir, 'ok'));
    const outbox = await mkdtemp(path.join(dir, 'outbox-'));
    const destination = createConnector({ kind: 'local', root: outbox }, { baseDir: dir, resolveSecret: async () => '' });
    const ticket = randomUUID();
    const item = randomUUID();
    const staged = await staging.stage(ticket, item, Readable.from([Buffer.from('exact bytes')]));
    const written = await destination.write('r.txt', staging.openVerified(ticket, item, staged, 'item 1'));
    expect(written).toMatchObject({ size: staged.size, sha256: staged.sha256 });
  });

  it('purge removes everything staged for a ticket', async () => {
    const staging = new StagingArea(path.join(dir, 'purge'));
    const ticket = randomUUID();
    await staging.stage(ticket, randomUUID(), Readable.from([Buffer.from('a')]));
    await staging.purge(ticket);
    expect(await readdir(staging.root)).toEqual([]);
  });

  it('a source that fails midway leaves no partial staged file', async () => {
    const staging = new StagingArea(path.join(dir, 'broken'));
    const ticket = randomUUID();
    const item = randomUUID();
    const source = new Readable({
      read() {
        this.push(Buffer.alloc(1024, 1));
        this.destroy(new Error('connection reset'));
      },
    });
    await expect(staging.stage(ticket, item, source)).rejects.toThrow('connection reset');
    expect(await staging.has(ticket, item)).toBe(false);
  });
});
