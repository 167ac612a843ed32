import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMasterKey } from './master-key.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-master-key-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const fresh = () => mkdtemp(path.join(dir, 'case-'));

describe('master key', () => {
  it('comes from AIRLOCK_MASTER_KEY (base64 of 32 bytes) before anything else', async () => {
    const key = randomBytes(32);
    const loaded = await loadMasterKey({ envValue: ` ${key.toString('base64')}\n`, keyFile: '/nonexistent', dataDir: await fresh() });
    expect(loaded.equals(key)).toBe(true);
  });

  it.each([
    ['16 bytes', randomBytes(16).toString('base64')],
    ['33 bytes', randomBytes(33).toString('base64')],
    ['not base64', `${randomBytes(32).toString('hex').slice(0, 43)}!`],
    ['hex of 32 bytes', randomBytes(32).toString('hex')],
    ['empty', ''],
  ])('refuses a variable holding %s, naming the variable without echoing the value', async (_name, value) => {
    const attempt = loadMasterKey({ envValue: value, dataDir: await fresh() });
    await expect(attempt).rejects.toMatchObject({ code: 'invalid_input' });
    const message = await attempt.catch((error: Error) => error.message);
    expect(message).toMatch(/AIRLOCK_MASTER_KEY/);
    if (value.length > 0) expect(message).not.toContain(value.slice(0, 12));
  });

  it('comes from a key file holding raw bytes or base64', async () => {
    const root = await fresh();
    const key = randomBytes(32);
    const raw = path.join(root, 'raw.key');
    const text = path.join(root, 'text.key');
    await writeFile(raw, key, { mode: 0o600 });
    await writeFile(text, `${key.toString('base64')}\n`, { mode: 0o400 });
    expect((await loadMasterKey({ keyFile: raw, dataDir: root })).equals(key)).toBe(true);
    expect((await loadMasterKey({ keyFile: text, dataDir: root })).equals(key)).toBe(true);
  });

  it('refuses a key file open to group or others, saying how to fix it', async () => {
    const root = await fresh();
    const file = path.join(root, 'open.key');
    await writeFile(file, randomBytes(32));
    await chmod(file, 0o640);
    const attempt = loadMasterKey({ keyFile: file, dataDir: root });
    await expect(attempt).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(attempt).rejects.toThrow(
      `Master key file ${file} is open to group or others (mode 0640); restrict it with \`chmod 600 ${file}\``,
    );
  });

  it('refuses a key file that is missing or holds something else', async () => {
    const root = await fresh();
    await expect(loadMasterKey({ keyFile: path.join(root, 'absent.key'), dataDir: root })).rejects.toThrow(/cannot be opened \(ENOENT\)/);
    const wrong = path.join(root, 'wrong.key');
    await writeFile(wrong, 'password123\n', { mode: 0o600 });
    await expect(loadMasterKey({ keyFile: wrong, dataDir: root })).rejects.toThrow(/does not hold a key/);
  });

  it('is created on first use as <dataDir>/master.key (0600, directory 0700), then read back', async () => {
    const dataDir = path.join(await fresh(), 'data');
    const first = await loadMasterKey({ dataDir });
    expect(first.length).toBe(32);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    const file = path.join(dataDir, 'master.key');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(file, 'utf8')).trim()).toBe(first.toString('base64'));
    expect((await loadMasterKey({ dataDir })).equals(first)).toBe(true);
  });

  it('of processes starting together on a fresh data directory, all end up with the same key', async () => {
    const dataDir = path.join(await fresh(), 'data');
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadMasterKey({ dataDir })));
    for (const key of keys) expect(key.equals(keys[0]!)).toBe(true);
  });

  it('refuses a symbolic link planted at the default path', async () => {
    const dataDir = await fresh();
    const elsewhere = path.join(dataDir, 'elsewhere.key');
    await writeFile(elsewhere, randomBytes(32), { mode: 0o600 });
    await symlink(elsewhere, path.join(dataDir, 'master.key'));
    await expect(loadMasterKey({ dataDir })).rejects.toThrow(/symbolic link/);
  });
});
