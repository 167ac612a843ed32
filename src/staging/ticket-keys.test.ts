import { randomBytes, randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TicketKeys } from './ticket-keys.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-ticket-keys-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const master = randomBytes(32);
const exported = (key: { export(): Buffer }) => key.export().toString('hex');

describe('ticket keys', () => {
  it('creates a key once, 0600, and unwraps the same key afterwards', async () => {
    const keys = new TicketKeys(master);
    const ticket = randomUUID();
    const file = path.join(dir, `${ticket}.key`);
    const created = await keys.loadOrCreate(file, ticket);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(file)).size).toBe(64);
    expect(exported(await keys.load(file, ticket))).toBe(exported(created));
    expect(exported(await keys.loadOrCreate(file, ticket))).toBe(exported(created));
    // The wrapped file does not hold the key in the clear, and the key does not print.
    expect((await readFile(file)).includes(created.export())).toBe(false);
    expect(inspect(created)).not.toContain(exported(created).slice(0, 8));
  });

  it('items staged concurrently for a new ticket all get the same key', async () => {
    const keys = new TicketKeys(master);
    const ticket = randomUUID();
    const file = path.join(dir, `${ticket}.key`);
    const all = await Promise.all(Array.from({ length: 8 }, () => keys.loadOrCreate(file, ticket)));
    for (const key of all) expect(exported(key)).toBe(exported(all[0]!));
  });

  it('refuses another master key, a key file moved to another ticket, an altered or missing key file', async () => {
    const ticket = randomUUID();
    const file = path.join(dir, `${ticket}.key`);
    await new TicketKeys(master).loadOrCreate(file, ticket);
    await expect(new TicketKeys(randomBytes(32)).load(file, ticket)).rejects.toMatchObject({ code: 'integrity_mismatch' });

    const other = randomUUID();
    const moved = path.join(dir, `${other}.key`);
    await copyFile(file, moved);
    await expect(new TicketKeys(master).load(moved, other)).rejects.toThrow(/does not unwrap with the configured master key/);

    const altered = Buffer.from(await readFile(file));
    altered[20]! ^= 1;
    await writeFile(file, altered);
    await expect(new TicketKeys(master).load(file, ticket)).rejects.toMatchObject({ code: 'integrity_mismatch' });

    await expect(new TicketKeys(master).load(path.join(dir, 'absent.key'), ticket)).rejects.toThrow(/is missing/);
  });

  it('refuses a master key of the wrong length', () => {
    expect(() => new TicketKeys(randomBytes(16))).toThrow(/must be 32 bytes/);
  });
});
