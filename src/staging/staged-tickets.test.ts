import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3rver, type S3rverServer } from '../../test/servers/s3rver-server.js';
import { pageCommonPrefixes } from './s3-list-pages.test-support.js';
import { S3StagingStore } from './s3-staging-store.js';
import { StagingArea } from './staging-area.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-staged-tickets-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const masterKey = randomBytes(32);
const sorted = (ids: Iterable<string>) => [...ids].sort();

async function listed(staging: StagingArea): Promise<string[]> {
  const ids: string[] = [];
  for await (const id of staging.stagedTickets()) ids.push(id);
  return ids;
}

async function stageOne(staging: StagingArea, ticket = randomUUID()): Promise<string> {
  await staging.stage(ticket, randomUUID(), Readable.from([Buffer.from(`bytes of ${ticket}`)]));
  return ticket;
}

describe('staged tickets (local store)', () => {
  it('lists nothing before the staging root exists', async () => {
    const staging = new StagingArea(path.join(dir, `missing-${randomUUID()}`), masterKey);
    expect(await listed(staging)).toEqual([]);
  });

  it('lists each ticket folder once, scratch-only ones included, and skips names that are not ticket ids', async () => {
    const staging = new StagingArea(path.join(dir, `local-${randomUUID()}`), masterKey);
    const staged = [await stageOne(staging), await stageOne(staging), await stageOne(staging)];
    const scratchOnly = randomUUID();
    await writeFile(path.join(staging.ticketRoot(scratchOnly), '.tmp-left-by-a-crash'), 'plaintext');
    await mkdir(path.join(staging.root, 'lost+found'));
    await mkdir(path.join(staging.root, randomUUID().toUpperCase()));
    await writeFile(path.join(staging.root, randomUUID()), 'a file, not a ticket folder');
    expect(sorted(await listed(staging))).toEqual(sorted([...staged, scratchOnly]));
    await staging.purge(staged[0]!);
    await staging.purge(scratchOnly);
    expect(sorted(await listed(staging))).toEqual(sorted(staged.slice(1)));
  });

  it('allows purging while listing', async () => {
    const staging = new StagingArea(path.join(dir, `local-${randomUUID()}`), masterKey);
    const staged = [await stageOne(staging), await stageOne(staging), await stageOne(staging)];
    const seen: string[] = [];
    for await (const id of staging.stagedTickets()) {
      seen.push(id);
      await staging.purge(id);
    }
    expect(sorted(seen)).toEqual(sorted(staged));
    expect(await readdir(staging.root)).toEqual([]);
  });
});

describe('staged tickets (s3 store)', () => {
  const BUCKET = 'airlock-staging';
  const ROOT_BUCKET = 'airlock-staging-root';
  let s3rver: S3rverServer;
  let s3: S3Client;
  beforeAll(async () => {
    s3rver = await startS3rver({ buckets: [BUCKET, ROOT_BUCKET] });
    s3 = new S3Client(s3rver.clientConfig);
  });
  afterAll(async () => {
    s3?.destroy();
    await s3rver?.stop();
  });

  const makeStore = (options: { prefix?: string; bucket?: string; listPageSize?: number } = {}) =>
    new S3StagingStore({
      bucket: options.bucket ?? BUCKET,
      prefix: options.prefix ?? `shared/${randomUUID()}`,
      scratchRoot: path.join(dir, `scratch-${randomUUID()}`),
      clientConfig: s3rver.clientConfig,
      ...(options.listPageSize === undefined ? {} : { listPageSize: options.listPageSize }),
    });

  it('lists nothing under an empty prefix', async () => {
    expect(await listed(new StagingArea(makeStore(), masterKey))).toEqual([]);
  });

  it("lists the bucket's ticket folders and this machine's scratch folders, each once, and nothing else", async () => {
    const store = makeStore();
    const staging = new StagingArea(store, masterKey);
    const staged = [await stageOne(staging), await stageOne(staging), await stageOne(staging)];
    // One with scratch files beside its objects, one with nothing but a scratch folder left.
    await writeFile(path.join(staging.ticketRoot(staged[0]!), '.tmp-left-by-a-crash'), 'plaintext');
    const scratchOnly = randomUUID();
    staging.ticketRoot(scratchOnly);
    await mkdir(path.join(store.scratchRoot, 'not-a-ticket'));
    // Objects that are not ticket folders of this prefix: a stray object, a non-uuid folder, a sibling prefix.
    for (const Key of [`${store.prefix}/stray`, `${store.prefix}/notes/readme`, `${store.prefix}/${randomUUID().toUpperCase()}/key`]) {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: 'x' }));
    }
    const sibling = new StagingArea(makeStore({ prefix: `${store.prefix}-sibling` }), masterKey);
    await stageOne(sibling);

    const ids = await listed(staging);
    expect(ids).toHaveLength(4);
    expect(sorted(ids)).toEqual(sorted([...staged, scratchOnly]));
    await staging.purge(staged[0]!);
    await staging.purge(scratchOnly);
    expect(sorted(await listed(staging))).toEqual(sorted(staged.slice(1)));
  });

  it('lists ticket folders at the top of the bucket when the prefix is empty', async () => {
    const staging = new StagingArea(makeStore({ bucket: ROOT_BUCKET, prefix: '' }), masterKey);
    const staged = [await stageOne(staging), await stageOne(staging)];
    expect(sorted(await listed(staging))).toEqual(sorted(staged));
  });

  it('follows the listing page by page, with MaxKeys as configured', async () => {
    const store = makeStore({ listPageSize: 3 });
    const staging = new StagingArea(store, masterKey);
    const staged: string[] = [];
    for (let i = 0; i < 7; i++) staged.push(await stageOne(staging));
    const pages = pageCommonPrefixes(store.client);
    try {
      const ids = await listed(staging);
      expect(ids).toHaveLength(7);
      expect(sorted(ids)).toEqual(sorted(staged));
    } finally {
      pages.restore();
    }
    expect(pages.listings).toHaveLength(3);
    expect(pages.listings.map((l) => [l.Prefix, l.Delimiter, l.MaxKeys])).toEqual(Array(3).fill([`${store.prefix}/`, '/', 3]));
    expect(pages.listings[0]!.ContinuationToken).toBeUndefined();
    expect(pages.listings.slice(1).every((l) => typeof l.ContinuationToken === 'string')).toBe(true);
  });

  it('allows purging while listing, across pages', async () => {
    const store = makeStore({ listPageSize: 2 });
    const staging = new StagingArea(store, masterKey);
    const staged: string[] = [];
    for (let i = 0; i < 5; i++) staged.push(await stageOne(staging));
    const pages = pageCommonPrefixes(store.client);
    const seen: string[] = [];
    try {
      for await (const id of staging.stagedTickets()) {
        seen.push(id);
        await staging.purge(id);
      }
    } finally {
      pages.restore();
    }
    expect(sorted(seen)).toEqual(sorted(staged));
    expect(pages.listings).toHaveLength(3);
    expect(await listed(staging)).toEqual([]);
  });
});
