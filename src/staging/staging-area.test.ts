import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3rver, type S3rverServer } from '../../test/servers/s3rver-server.js';
import { createConnector } from '../../connectors/index.js';
import { S3StagingStore } from './s3-staging-store.js';
import { StagingArea } from './staging-area.js';
import { LocalStagingStore } from './staging-store.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-staging-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const masterKey = randomBytes(32);
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** What the shared suite needs of a store beyond StagingArea: raw access to the stored (sealed) objects. */
interface Backend {
  /** A fresh, empty staging area; `key` defaults to the suite's master key, `reuse` shares another's store. */
  make(options?: { key?: Buffer; reuse?: StagingArea }): StagingArea;
  readRaw(staging: StagingArea, ticket: string, item: string): Promise<Buffer>;
  writeRaw(staging: StagingArea, ticket: string, item: string, bytes: Buffer): Promise<void>;
  /** Names stored under the ticket: item ids and `key`. */
  list(staging: StagingArea, ticket: string): Promise<string[]>;
}

const localBackend: Backend = {
  make: ({ key = masterKey, reuse } = {}) => new StagingArea(reuse?.store ?? path.join(dir, `local-${randomUUID()}`), key),
  readRaw: (staging, ticket, item) => readFile(path.join(staging.root, ticket, item)),
  writeRaw: (staging, ticket, item, bytes) => writeFile(path.join(staging.root, ticket, item), bytes),
  list: async (staging, ticket) => (await readdir(path.join(staging.root, ticket)).catch(() => [])).filter((name) => !name.startsWith('.')),
};

let s3rver: S3rverServer;
let s3: S3Client;
const BUCKET = 'airlock-staging';
const s3Store = (staging: StagingArea) => staging.store as S3StagingStore;
const s3Backend: Backend = {
  make: ({ key = masterKey, reuse } = {}) =>
    new StagingArea(
      reuse?.store ??
        new S3StagingStore({
          bucket: BUCKET,
          prefix: `shared/${randomUUID()}`,
          scratchRoot: path.join(dir, `scratch-${randomUUID()}`),
          clientConfig: s3rver.clientConfig,
        }),
      key,
    ),
  readRaw: async (staging, ticket, item) => {
    const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: s3Store(staging).itemKey(ticket, item) }));
    return Buffer.from(await out.Body!.transformToByteArray());
  },
  writeRaw: async (staging, ticket, item, bytes) => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: s3Store(staging).itemKey(ticket, item), Body: bytes }));
  },
  list: async (staging, ticket) => {
    const Prefix = s3Store(staging).ticketPrefix(ticket);
    const out = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix }));
    return (out.Contents ?? []).map((object) => object.Key!.slice(Prefix.length));
  },
};

function stagingContract(name: string, backend: () => Backend): void {
  describe(`staging area (${name} store)`, () => {
    it('round-trips a multi-megabyte stream, hashing it chunk by chunk; `has` sees it', async () => {
      const { make, list } = backend();
      const staging = make();
      const ticket = randomUUID();
      const item = randomUUID();
      // Over one 8 MiB part once sealed: a multipart upload on S3.
      const chunks = Array.from({ length: 72 }, (_, i) => Buffer.alloc(128 * 1024, i));
      expect(await staging.has(ticket, item)).toBe(false);
      const staged = await staging.stage(ticket, item, Readable.from(chunks));
      expect(staged.size).toBe(72 * 128 * 1024);
      expect(staged.sha256).toBe(sha256(Buffer.concat(chunks)));
      expect(await staging.has(ticket, item)).toBe(true);
      expect(await staging.has(ticket, randomUUID())).toBe(false);
      expect((await list(staging, ticket)).sort()).toEqual([item, 'key'].sort());
      const back: Buffer[] = [];
      for await (const part of staging.open(ticket, item)) back.push(part as Buffer);
      expect(sha256(Buffer.concat(back))).toBe(staged.sha256);
    });

    it('refuses to deliver a staged copy that changed after inspection; the destination gets nothing', async () => {
      const { make, readRaw, writeRaw } = backend();
      const staging = make();
      const outbox = await mkdtemp(path.join(dir, 'outbox-'));
      const destination = createConnector({ kind: 'local', root: outbox }, { baseDir: dir, resolveSecret: async () => '' });
      const ticket = randomUUID();
      const item = randomUUID();
      const staged = await staging.stage(ticket, item, Readable.from([Buffer.from('inspected bytes')]));
      const raw = await readRaw(staging, ticket, item);
      await writeRaw(staging, ticket, item, Buffer.concat([raw, Buffer.from(' plus something added later')]));
      const attempt = destination.write('report.txt', staging.openVerified(ticket, item, staged, 'item 1 of T-000001'));
      await expect(attempt).rejects.toMatchObject({ code: 'integrity_mismatch' });
      await expect(attempt).rejects.toThrow(/item 1 of T-000001 changed since it was inspected/);
      expect(await readdir(outbox)).toEqual([]);
    });

    it('refuses a copy that authenticates but differs from what was recorded at fetch (re-staged since)', async () => {
      const staging = backend().make();
      const ticket = randomUUID();
      const item = randomUUID();
      const inspected = await staging.stage(ticket, item, Readable.from([Buffer.from('inspected bytes')]));
      await staging.stage(ticket, item, Readable.from([Buffer.from('other bytes')]));
      await expect(text(staging.openVerified(ticket, item, inspected, 'item 3 of T-000003'))).rejects.toThrow(
        /item 3 of T-000003 changed since it was inspected \(sha256 [0-9a-f]{12}…, expected [0-9a-f]{12}…\); it was not delivered/,
      );
    });

    it('delivers an unchanged staged copy', async () => {
      const staging = backend().make();
      const outbox = await mkdtemp(path.join(dir, 'outbox-'));
      const destination = createConnector({ kind: 'local', root: outbox }, { baseDir: dir, resolveSecret: async () => '' });
      const ticket = randomUUID();
      const item = randomUUID();
      const staged = await staging.stage(ticket, item, Readable.from([Buffer.from('exact bytes')]));
      const written = await destination.write('r.txt', staging.openVerified(ticket, item, staged, 'item 1'));
      expect(written).toMatchObject({ size: staged.size, sha256: staged.sha256 });
    });

    it('a source that fails midway leaves no partial staged copy', async () => {
      const staging = backend().make();
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

    it('keeps staged bytes encrypted at rest: a planted marker never appears in the stored object', async () => {
      const { make, readRaw } = backend();
      const staging = make();
      const ticket = randomUUID();
      const item = randomUUID();
      const marker = 'AIRLOCK-PLAINTEXT-MARKER-7f3a';
      const content = Buffer.from(`${marker} `.repeat(20_000));
      await staging.stage(ticket, item, Readable.from([content]));
      const raw = await readRaw(staging, ticket, item);
      expect(raw.subarray(0, 4).toString('latin1')).toBe('ALS1');
      expect(raw.includes(marker)).toBe(false);
      expect(raw.includes(marker.slice(0, 12))).toBe(false);
      expect(await text(staging.open(ticket, item))).toBe(content.toString());
    });

    it('refuses a bit flipped inside the stored ciphertext, on every way of reading it', async () => {
      const { make, readRaw, writeRaw, list } = backend();
      const staging = make();
      const ticket = randomUUID();
      const item = randomUUID();
      const staged = await staging.stage(ticket, item, Readable.from([Buffer.alloc(300_000, 0x61)]));
      const raw = await readRaw(staging, ticket, item);
      raw[raw.length - 40]! ^= 0x10;
      await writeRaw(staging, ticket, item, raw);
      await expect(text(staging.open(ticket, item))).rejects.toMatchObject({ code: 'integrity_mismatch' });
      await expect(text(staging.openVerified(ticket, item, staged, 'item 2 of T-000002'))).rejects.toThrow(
        /item 2 of T-000002 changed since it was inspected \(its encrypted chunks no longer authenticate\); it was not delivered/,
      );
      let called = false;
      const inspection = staging.withPlaintextFile(ticket, item, async () => {
        called = true;
      });
      await expect(inspection).rejects.toMatchObject({ code: 'integrity_mismatch' });
      expect(called).toBe(false);
      expect((await readdir(staging.ticketRoot(ticket))).filter((name) => name.startsWith('.tmp-'))).toEqual([]);
      expect((await list(staging, ticket)).sort()).toEqual([item, 'key'].sort());
      await expect(text(staging.openPlaintextRange(ticket, item, 0, 10))).rejects.toMatchObject({ code: 'integrity_mismatch' });
    });

    it("refuses one item's stored object copied over another's", async () => {
      const { make, readRaw, writeRaw } = backend();
      const staging = make();
      const ticket = randomUUID();
      const [first, second] = [randomUUID(), randomUUID()];
      await staging.stage(ticket, first, Readable.from([Buffer.from('first')]));
      await staging.stage(ticket, second, Readable.from([Buffer.from('second')]));
      await writeRaw(staging, ticket, second, await readRaw(staging, ticket, first));
      await expect(text(staging.open(ticket, second))).rejects.toMatchObject({ code: 'integrity_mismatch' });
    });

    it('cannot read staged data under another master key', async () => {
      const { make } = backend();
      const staging = make();
      const ticket = randomUUID();
      const item = randomUUID();
      await staging.stage(ticket, item, Readable.from([Buffer.from('secret')]));
      const other = make({ key: randomBytes(32), reuse: staging });
      await expect(text(other.open(ticket, item))).rejects.toThrow(/does not unwrap with the configured master key/);
    });

    it('items staged concurrently for a new ticket share one key', async () => {
      const staging = backend().make();
      const ticket = randomUUID();
      const items = Array.from({ length: 6 }, () => randomUUID());
      await Promise.all(items.map((item) => staging.stage(ticket, item, Readable.from([Buffer.from(item)]))));
      for (const item of items) expect(await text(staging.open(ticket, item))).toBe(item);
    });

    it('withPlaintextFile hands over a private decrypted local copy and always deletes it', async () => {
      const { make, list } = backend();
      const staging = make();
      const ticket = randomUUID();
      const item = randomUUID();
      const content = randomBytes(200_000);
      await staging.stage(ticket, item, Readable.from([content]));
      let seen = '';
      const size = await staging.withPlaintextFile(ticket, item, async (file) => {
        seen = file;
        expect(path.dirname(file)).toBe(staging.ticketRoot(ticket));
        expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
        expect(path.basename(file)).toMatch(/^\.tmp-/);
        expect((await stat(file)).mode & 0o777).toBe(0o600);
        expect((await readFile(file)).equals(content)).toBe(true);
        return content.length;
      });
      expect(size).toBe(content.length);
      await expect(stat(seen)).rejects.toMatchObject({ code: 'ENOENT' });
      const failing = staging.withPlaintextFile(ticket, item, async () => {
        throw new Error('check crashed');
      });
      await expect(failing).rejects.toThrow('check crashed');
      expect((await readdir(staging.ticketRoot(ticket))).filter((name) => name.startsWith('.tmp-'))).toEqual([]);
      expect((await list(staging, ticket)).sort()).toEqual([item, 'key'].sort());
    });

    it('openPlaintextRange streams [start, end) of the plaintext across chunk boundaries', async () => {
      const staging = backend().make();
      const ticket = randomUUID();
      const item = randomUUID();
      const content = randomBytes(3 * 64 * 1024 + 17);
      await staging.stage(ticket, item, Readable.from([content]));
      const read = async (start: number, end: number) => {
        const parts: Buffer[] = [];
        for await (const part of staging.openPlaintextRange(ticket, item, start, end)) parts.push(part as Buffer);
        return Buffer.concat(parts);
      };
      for (const [start, end] of [
        [0, 0],
        [0, 64 * 1024],
        [64 * 1024 - 1, 64 * 1024 + 1],
        [100, content.length],
        [content.length - 17, content.length],
      ] as const) {
        expect((await read(start, end)).equals(content.subarray(start, end))).toBe(true);
      }
    });

    it('removeItem deletes one item and leaves the rest', async () => {
      const { make, list } = backend();
      const staging = make();
      const ticket = randomUUID();
      const [first, second] = [randomUUID(), randomUUID()];
      await staging.stage(ticket, first, Readable.from([Buffer.from('1')]));
      await staging.stage(ticket, second, Readable.from([Buffer.from('2')]));
      await staging.removeItem(ticket, first);
      expect(await staging.has(ticket, first)).toBe(false);
      expect((await list(staging, ticket)).sort()).toEqual([second, 'key'].sort());
    });

    it('purge removes the data, the ticket key (crypto-shredding) and the scratch folder, and no other ticket', async () => {
      const { make, list } = backend();
      const staging = make();
      const ticket = randomUUID();
      const other = randomUUID();
      const item = randomUUID();
      await staging.stage(ticket, item, Readable.from([Buffer.from('a')]));
      await staging.stage(other, item, Readable.from([Buffer.from('kept')]));
      const scratch = staging.ticketRoot(ticket);
      expect(await list(staging, ticket)).toContain('key');
      await staging.purge(ticket);
      expect(await list(staging, ticket)).toEqual([]);
      expect(await staging.has(ticket, item)).toBe(false);
      await expect(stat(scratch)).rejects.toMatchObject({ code: 'ENOENT' });
      await expect(text(staging.open(ticket, item))).rejects.toThrow(/is missing/);
      expect(await text(staging.open(other, item))).toBe('kept');
      // A new fetch of the same ticket gets a new key.
      await staging.stage(ticket, item, Readable.from([Buffer.from('b')]));
      expect(await text(staging.open(ticket, item))).toBe('b');
    });

    it('refuses ids that are not uuids', async () => {
      const staging = backend().make();
      await expect(staging.stage('../x', randomUUID(), Readable.from([]))).rejects.toMatchObject({ code: 'internal_error' });
      expect(() => staging.ticketRoot('../../etc')).toThrow(/Refusing staging id/);
    });
  });
}

stagingContract('local', () => localBackend);

describe('local staging store', () => {
  it('stores items privately (0700 directories, 0600 files), named by id, beside the ticket key', async () => {
    const staging = new StagingArea(path.join(dir, 'private'), masterKey);
    expect(staging.store).toBeInstanceOf(LocalStagingStore);
    const ticket = randomUUID();
    const item = randomUUID();
    const content = Buffer.from('quarterly numbers');
    const staged = await staging.stage(ticket, item, Readable.from([content]));
    expect(staged).toEqual({ size: content.length, sha256: sha256(content) });
    expect((await stat(staging.root)).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(staging.root, ticket))).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(staging.root, ticket, item))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(staging.root, ticket, 'key'))).mode & 0o777).toBe(0o600);
    expect((await readdir(path.join(staging.root, ticket))).sort()).toEqual([item, 'key'].sort());
    expect(staging.ticketRoot(ticket)).toBe(path.join(staging.root, ticket));
  });

  it('purge leaves the staging root empty', async () => {
    const staging = new StagingArea(path.join(dir, 'purge'), masterKey);
    const ticket = randomUUID();
    await staging.stage(ticket, randomUUID(), Readable.from([Buffer.from('a')]));
    await staging.purge(ticket);
    expect(await readdir(staging.root)).toEqual([]);
  });
});

describe('s3 staging store', () => {
  beforeAll(async () => {
    s3rver = await startS3rver();
    await s3rver.createBucket(BUCKET);
    s3 = new S3Client(s3rver.clientConfig);
  });
  afterAll(async () => {
    s3?.destroy();
    await s3rver?.stop();
  });

  stagingContract('s3', () => s3Backend);

  it('keeps objects at <prefix>/<ticketId>/<itemId> and <prefix>/<ticketId>/key, scratch in a private local folder', async () => {
    const staging = s3Backend.make();
    const store = s3Store(staging);
    const ticket = randomUUID();
    const item = randomUUID();
    await staging.stage(ticket, item, Readable.from([Buffer.from('x')]));
    const out = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${store.prefix}/` }));
    expect((out.Contents ?? []).map((object) => object.Key).sort()).toEqual(
      [`${store.prefix}/${ticket}/${item}`, `${store.prefix}/${ticket}/key`].sort(),
    );
    expect(staging.root).toBe(`s3://${BUCKET}/${store.prefix}`);
    const scratch = staging.ticketRoot(ticket);
    expect(scratch).toBe(path.join(store.scratchRoot, ticket));
    expect((await stat(store.scratchRoot)).mode & 0o777).toBe(0o700);
    expect((await stat(scratch)).mode & 0o777).toBe(0o700);
  });

  it("two machines sharing the bucket see each other's staged items", async () => {
    const first = s3Backend.make();
    const store = s3Store(first);
    const second = new StagingArea(
      new S3StagingStore({
        bucket: BUCKET,
        prefix: store.prefix,
        scratchRoot: path.join(dir, `m2-${randomUUID()}`),
        clientConfig: s3rver.clientConfig,
      }),
      masterKey,
    );
    const ticket = randomUUID();
    const item = randomUUID();
    const staged = await first.stage(ticket, item, Readable.from([Buffer.from('shared bytes')]));
    expect(await second.has(ticket, item)).toBe(true);
    expect(await text(second.openVerified(ticket, item, staged, 'item 1'))).toBe('shared bytes');
    await second.purge(ticket);
    expect(await first.has(ticket, item)).toBe(false);
  });

  it('an aborted stage leaves nothing behind', async () => {
    const staging = s3Backend.make();
    const ticket = randomUUID();
    const item = randomUUID();
    const controller = new AbortController();
    const source = new Readable({ read() {} });
    source.push(randomBytes(64 * 1024));
    const staging$ = staging.stage(ticket, item, source, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('cancelled')), 50);
    await expect(staging$).rejects.toThrow();
    expect(await staging.has(ticket, item)).toBe(false);
    expect(await s3rver.incompleteUploads(BUCKET)).toEqual([]);
  });
});
