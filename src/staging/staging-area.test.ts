import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { appendFile, copyFile, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
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

const masterKey = randomBytes(32);
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('staging area', () => {
  it('stores items privately (0700 directories, 0600 files), named by id, hashed while written, beside the ticket key', async () => {
    const staging = new StagingArea(path.join(dir, 'private'), masterKey);
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
  });

  it('hashes a multi-megabyte stream correctly, chunk by chunk', async () => {
    const staging = new StagingArea(path.join(dir, 'big'), masterKey);
    const chunks = Array.from({ length: 64 }, (_, i) => Buffer.alloc(128 * 1024, i));
    const staged = await staging.stage(randomUUID(), randomUUID(), Readable.from(chunks));
    expect(staged.size).toBe(64 * 128 * 1024);
    expect(staged.sha256).toBe(sha256(Buffer.concat(chunks)));
  });

  it('refuses to deliver a staged copy that changed after inspection; the destination gets nothing', async () => {
    const staging = new StagingArea(path.join(dir, 'tamper'), masterKey);
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

  it('refuses a copy that authenticates but differs from what was recorded at fetch (re-staged since)', async () => {
    const staging = new StagingArea(path.join(dir, 'restaged'), masterKey);
    const ticket = randomUUID();
    const item = randomUUID();
    const inspected = await staging.stage(ticket, item, Readable.from([Buffer.from('inspected bytes')]));
    await staging.stage(ticket, item, Readable.from([Buffer.from('other bytes')]));
    await expect(text(staging.openVerified(ticket, item, inspected, 'item 3 of T-000003'))).rejects.toThrow(
      /item 3 of T-000003 changed since it was inspected \(sha256 [0-9a-f]{12}…, expected [0-9a-f]{12}…\); it was not delivered/,
    );
  });

  it('delivers an unchanged staged copy', async () => {
    const staging = new StagingArea(path.join(dir, 'ok'), masterKey);
    const outbox = await mkdtemp(path.join(dir, 'outbox-'));
    const destination = createConnector({ kind: 'local', root: outbox }, { baseDir: dir, resolveSecret: async () => '' });
    const ticket = randomUUID();
    const item = randomUUID();
    const staged = await staging.stage(ticket, item, Readable.from([Buffer.from('exact bytes')]));
    const written = await destination.write('r.txt', staging.openVerified(ticket, item, staged, 'item 1'));
    expect(written).toMatchObject({ size: staged.size, sha256: staged.sha256 });
  });

  it('purge removes everything staged for a ticket', async () => {
    const staging = new StagingArea(path.join(dir, 'purge'), masterKey);
    const ticket = randomUUID();
    await staging.stage(ticket, randomUUID(), Readable.from([Buffer.from('a')]));
    await staging.purge(ticket);
    expect(await readdir(staging.root)).toEqual([]);
  });

  it('a source that fails midway leaves no partial staged file', async () => {
    const staging = new StagingArea(path.join(dir, 'broken'), masterKey);
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

  it('keeps staged bytes encrypted at rest: a planted marker never appears in the raw file', async () => {
    const staging = new StagingArea(path.join(dir, 'at-rest'), masterKey);
    const ticket = randomUUID();
    const item = randomUUID();
    const marker = 'AIRLOCK-PLAINTEXT-MARKER-7f3a';
    const content = Buffer.from(`${marker} `.repeat(20_000));
    await staging.stage(ticket, item, Readable.from([content]));
    const raw = await readFile(path.join(staging.root, ticket, item));
    expect(raw.subarray(0, 4).toString('latin1')).toBe('ALS1');
    expect(raw.includes(marker)).toBe(false);
    expect(raw.includes(marker.slice(0, 12))).toBe(false);
    expect(await text(staging.open(ticket, item))).toBe(content.toString());
  });

  it('refuses a bit flipped inside the staged ciphertext, on every way of reading it', async () => {
    const staging = new StagingArea(path.join(dir, 'flip'), masterKey);
    const ticket = randomUUID();
    const item = randomUUID();
    const staged = await staging.stage(ticket, item, Readable.from([Buffer.alloc(300_000, 0x61)]));
    const file = path.join(staging.root, ticket, item);
    const raw = await readFile(file);
    raw[raw.length - 40]! ^= 0x10;
    await writeFile(file, raw);
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
    expect((await readdir(path.join(staging.root, ticket))).sort()).toEqual([item, 'key'].sort());
    await expect(text(staging.openPlaintextRange(ticket, item, 0, 10))).rejects.toMatchObject({ code: 'integrity_mismatch' });
  });

  it("refuses one item's staged file copied over another's", async () => {
    const staging = new StagingArea(path.join(dir, 'swap'), masterKey);
    const ticket = randomUUID();
    const [first, second] = [randomUUID(), randomUUID()];
    await staging.stage(ticket, first, Readable.from([Buffer.from('first')]));
    await staging.stage(ticket, second, Readable.from([Buffer.from('second')]));
    await copyFile(path.join(staging.root, ticket, first), path.join(staging.root, ticket, second));
    await expect(text(staging.open(ticket, second))).rejects.toMatchObject({ code: 'integrity_mismatch' });
  });

  it('cannot read staged data under another master key', async () => {
    const root = path.join(dir, 'rekeyed');
    const ticket = randomUUID();
    const item = randomUUID();
    await new StagingArea(root, masterKey).stage(ticket, item, Readable.from([Buffer.from('secret')]));
    const other = new StagingArea(root, randomBytes(32));
    await expect(text(other.open(ticket, item))).rejects.toThrow(/does not unwrap with the configured master key/);
  });

  it('withPlaintextFile hands over a private decrypted copy and always deletes it', async () => {
    const staging = new StagingArea(path.join(dir, 'plain'), masterKey);
    const ticket = randomUUID();
    const item = randomUUID();
    const content = randomBytes(200_000);
    await staging.stage(ticket, item, Readable.from([content]));
    let seen = '';
    const size = await staging.withPlaintextFile(ticket, item, async (file) => {
      seen = file;
      expect(path.dirname(file)).toBe(path.join(staging.root, ticket));
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
    expect((await readdir(path.join(staging.root, ticket))).sort()).toEqual([item, 'key'].sort());
  });

  it('openPlaintextRange streams [start, end) of the plaintext across chunk boundaries', async () => {
    const staging = new StagingArea(path.join(dir, 'range'), masterKey);
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

  it('purge removes the ticket key with its data (crypto-shredding)', async () => {
    const staging = new StagingArea(path.join(dir, 'shred'), masterKey);
    const ticket = randomUUID();
    const item = randomUUID();
    await staging.stage(ticket, item, Readable.from([Buffer.from('a')]));
    const keyFile = path.join(staging.root, ticket, 'key');
    expect((await stat(keyFile)).isFile()).toBe(true);
    await staging.purge(ticket);
    await expect(stat(keyFile)).rejects.toMatchObject({ code: 'ENOENT' });
    // A new fetch of the same ticket gets a new key.
    await staging.stage(ticket, item, Readable.from([Buffer.from('b')]));
    expect(await text(staging.open(ticket, item))).toBe('b');
  });
});
