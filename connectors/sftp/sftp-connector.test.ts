import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveSecret } from '../../src/config/secret-ref.js';
import { startSshd, type SshdServer } from '../../test/servers/sshd-server.js';
import type { Connector, ConnectorContext, ListedItem } from '../connector.js';
import { folderBackend, runConnectorContract } from '../connector.case.test.js';
import { createSftpClient, createSftpConnector, sftpConnectorFactory, type SftpClient } from './index.js';

/** One sshd for this file; each test gets its own root folder below the server's. */
let shared: Promise<SshdServer> | undefined;
const sshd = (): Promise<SshdServer> => (shared ??= startSshd());
afterAll(async () => {
  await (await shared)?.stop();
});

const FAST_RETRY = { attempts: 3, baseMs: 10, maxMs: 50 };

function contextWith(env: Record<string, string> = {}): ConnectorContext {
  return { baseDir: '/', resolveSecret: (ref) => resolveSecret(ref, { env, baseDir: '/' }) };
}

/** The settings of a connector on `server` rooted at `root`, as a pipeline file would give them. */
function settingsFor(server: SshdServer, root: string): Record<string, unknown> {
  return {
    host: server.host,
    port: server.port,
    username: server.username,
    root,
    privateKey: server.privateKeyPath,
    hostKey: server.hostKeyFingerprint,
  };
}

/** A connector on `server` rooted at `root`, counting the SSH connections it opens; `adapt` may alter each client. */
function connect(
  server: SshdServer,
  root: string,
  settings: Record<string, unknown> = {},
  env: Record<string, string> = {},
  adapt: (client: SftpClient) => SftpClient = (client) => client,
) {
  const config = sftpConnectorFactory.parseConfig({ ...settingsFor(server, root), ...settings });
  const counter = { connections: 0 };
  const connector = createSftpConnector(config, contextWith(env), {
    retry: FAST_RETRY,
    createClient: (callbacks) => {
      counter.connections++;
      return adapt(createSftpClient(callbacks));
    },
  });
  return { connector, counter };
}

async function sandbox(settings: Record<string, unknown> = {}) {
  const server = await sshd();
  const root = await mkdtemp(join(server.root, 'case-'));
  const { connector, counter } = connect(server, root, settings);
  return {
    server,
    root,
    connector,
    counter,
    cleanup: async () => {
      await connector.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

runConnectorContract(
  'sftp',
  async () => {
    const { server, root, connector, cleanup } = await sandbox();
    return { connector, ...folderBackend(root), spec: { kind: 'sftp', ...settingsFor(server, root) }, cleanup };
  },
  { temporaryFiles: true, killedWrite: true },
);

async function listPaths(connector: Connector, selector = {}): Promise<string[]> {
  const items: ListedItem[] = [];
  for await (const item of connector.list(selector)) items.push(item);
  return items.map((item) => item.path);
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe('SftpConnector against OpenSSH', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  beforeEach(async () => {
    box = await sandbox();
  });
  afterEach(async () => {
    await box.cleanup();
  });

  it('describes itself as sftp://user@host:port/root', async () => {
    expect(box.connector.describe()).toEqual({
      kind: 'sftp',
      location: `sftp://${box.server.username}@127.0.0.1:${box.server.port}${box.root}`,
    });
  });

  it('round-trips 20 MiB of random bytes, hashing what it wrote', async () => {
    const big = Buffer.alloc(20 * 1024 * 1024);
    for (let offset = 0; offset < big.length; offset += 65_536) big.set(createHash('sha512').update(String(offset)).digest(), offset);
    const result = await box.connector.write('big/twenty.bin', Readable.from([big.subarray(0, 3_000_001), big.subarray(3_000_001)]));
    expect(result).toEqual({ path: 'big/twenty.bin', size: big.length, sha256: sha256(big) });
    expect(sha256(await readFile(join(box.root, 'big/twenty.bin')))).toBe(sha256(big));
    expect(sha256(await readAll(await box.connector.open('big/twenty.bin')))).toBe(sha256(big));
  });

  it('walks folders recursively with globs, skipping links, other specials and in-flight temporary files', async () => {
    for (const path of ['in/2024/a.csv', 'in/2024/b.txt', 'in/2025/deep/c.csv', 'in/z.csv', 'top.csv', 'back\\slash.csv']) {
      await mkdir(dirname(join(box.root, path)), { recursive: true });
      await writeFile(join(box.root, path), path);
    }
    await writeFile(join(box.root, 'in/.z.csv.airlock-tmp-0123456789ab'), 'partial');
    await symlink(join(box.root, 'top.csv'), join(box.root, 'in/link.csv'));
    await symlink(tmpdir(), join(box.root, 'linkdir'));
    execFileSync('mkfifo', [join(box.root, 'in/pipe.csv')]);
    expect(await listPaths(box.connector, { include: ['**/*.csv'] })).toEqual([
      'in/2024/a.csv',
      'in/2025/deep/c.csv',
      'in/z.csv',
      'top.csv',
    ]);
    expect(await listPaths(box.connector, { prefix: 'in', include: ['in/**'], exclude: ['**/deep/**', 'in/*.csv'] })).toEqual([
      'in/2024/a.csv',
      'in/2024/b.txt',
    ]);
    expect(await listPaths(box.connector, { include: ['in/????/*'] })).toEqual(['in/2024/a.csv', 'in/2024/b.txt']);
  });

  const escaping = ['../x', 'a/../../x', '/etc/passwd', 'a\0b', '..\\x'];

  it.each(escaping)('refuses %j for open, write and list with path_escape naming it, creating nothing', async (path) => {
    const expected = { code: 'path_escape', message: expect.stringContaining(JSON.stringify(path)) };
    await expect(box.connector.open(path)).rejects.toMatchObject(expected);
    const source = new Readable({ read() {} });
    await expect(box.connector.write(path, source)).rejects.toMatchObject(expected);
    expect(source.destroyed).toBe(true);
    await expect(listPaths(box.connector, { prefix: path })).rejects.toMatchObject(expected);
    expect(await readdir(box.root)).toEqual([]);
  });

  it('refuses to open a symlink, or a file through a folder link leading outside the root', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'airlock-outside-'));
    await writeFile(join(outside, 'secret.txt'), 'top secret');
    await writeFile(join(box.root, 'real.txt'), 'real');
    await symlink('real.txt', join(box.root, 'alias.txt'));
    await symlink(outside, join(box.root, 'linkdir'));
    await expect(box.connector.open('alias.txt')).rejects.toMatchObject({ code: 'path_escape' });
    await expect(box.connector.open('linkdir/secret.txt')).rejects.toMatchObject({ code: 'path_escape' });
    await expect(box.connector.write('linkdir/new.txt', Readable.from([Buffer.from('x')]))).rejects.toMatchObject({ code: 'path_escape' });
    await expect(listPaths(box.connector, { prefix: 'linkdir' })).rejects.toMatchObject({ code: 'path_escape' });
    expect(await readdir(outside)).toEqual(['secret.txt']);
    await rm(outside, { recursive: true });
  });

  it('fails with connector_failed naming a missing root, without retrying', async () => {
    await rm(box.root, { recursive: true });
    await expect(listPaths(box.connector)).rejects.toMatchObject({ code: 'connector_failed', message: expect.stringContaining(box.root) });
    expect(box.counter.connections).toBe(1);
  });

  it('works under a root that is itself a link', async () => {
    await mkdir(join(box.root, 'target'));
    await symlink(join(box.root, 'target'), join(box.root, 'alias'));
    const { connector } = connect(box.server, join(box.root, 'alias'));
    await connector.write('in/a.txt', Readable.from([Buffer.from('a')]));
    expect(await listPaths(connector)).toEqual(['in/a.txt']);
    expect(await readAll(await connector.open('in/a.txt'))).toEqual(Buffer.from('a'));
    await connector.close();
  });

  it('falls back to a plain rename without posix-rename, and then refuses to replace an existing file', async () => {
    const withoutPosixRename = (client: SftpClient): SftpClient =>
      Object.assign(client, { posixRename: () => Promise.reject(new Error('posixRename: Server does not support this extended request')) });
    const { connector } = connect(box.server, box.root, {}, {}, withoutPosixRename);
    await connector.write('new.txt', Readable.from([Buffer.from('first')]));
    await expect(connector.write('new.txt', Readable.from([Buffer.from('second')]))).rejects.toMatchObject({
      code: 'connector_failed',
      message: expect.stringContaining('posix-rename@openssh.com'),
    });
    expect(await readFile(join(box.root, 'new.txt'), 'utf8')).toBe('first');
    expect(await readdir(box.root)).toEqual(['new.txt']);
    await connector.close();
  });

  it('refuses to open a folder as a file', async () => {
    await mkdir(join(box.root, 'dir'));
    await expect(box.connector.open('dir')).rejects.toMatchObject({ code: 'connector_failed', message: expect.stringContaining('"dir"') });
  });

  it('writes several files at once into the same new folder over one connection', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `burst/deep/f${i}.bin`);
    const results = await Promise.all(names.map((name, i) => box.connector.write(name, Readable.from([Buffer.alloc(512 * 1024, i)]))));
    expect(results.map((r) => r.path)).toEqual(names);
    expect(await listPaths(box.connector)).toEqual(names);
    expect(box.counter.connections).toBe(1);
  });

  it('writes through a folder link that stays inside the root, and replaces a link at the destination', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'airlock-outside-'));
    await writeFile(join(outside, 'secret.txt'), 'top secret');
    await mkdir(join(box.root, 'real'));
    await symlink('real', join(box.root, 'current'));
    await symlink(join(outside, 'secret.txt'), join(box.root, 'target.txt'));
    await box.connector.write('current/file.txt', Readable.from([Buffer.from('ok')]));
    await box.connector.write('target.txt', Readable.from([Buffer.from('new')]));
    expect(await readFile(join(box.root, 'real/file.txt'), 'utf8')).toBe('ok');
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('top secret');
    expect(await readFile(join(box.root, 'target.txt'), 'utf8')).toBe('new');
    await rm(outside, { recursive: true });
  });

  it('fails a read with connector_unreachable when the file gets shorter after opening', async () => {
    await writeFile(join(box.root, 'growing.bin'), Buffer.alloc(8 * 1024 * 1024, 3));
    const stream = await box.connector.open('growing.bin');
    await writeFile(join(box.root, 'growing.bin'), 'short now');
    await expect(readAll(stream)).rejects.toMatchObject({ code: 'connector_unreachable', message: expect.stringContaining('got shorter') });
  });

  it('keeps the connection usable after a reader stops early', async () => {
    await writeFile(join(box.root, 'big.bin'), Buffer.alloc(16 * 1024 * 1024, 9));
    for (let i = 0; i < 3; i++) {
      const iterator = (await box.connector.open('big.bin'))[Symbol.asyncIterator]();
      await iterator.next();
      await iterator.return?.();
    }
    expect(await listPaths(box.connector)).toEqual(['big.bin']);
    expect(box.counter.connections).toBe(1);
  });

  it('fails with the source error, without crashing, when the source breaks while connecting', async () => {
    const failure = new Error('source broke early');
    const source = new Readable({ read() {} });
    process.nextTick(() => source.destroy(failure));
    await expect(box.connector.write('early/x.bin', source)).rejects.toBe(failure);
    expect(await listPaths(box.connector)).toEqual([]);
  });

  it('shares one connection across operations', async () => {
    await box.connector.write('a.txt', Readable.from([Buffer.from('a')]));
    await listPaths(box.connector);
    await readAll(await box.connector.open('a.txt'));
    expect(box.counter.connections).toBe(1);
  });
});

describe('SftpConnector afterDelivered', () => {
  const cases = [
    { after: 'keep', left: ['in/a.txt'] },
    { after: 'delete', left: [] },
    { after: 'move:done', left: ['done/in/a.txt'] },
  ];
  it.each(cases)('applies after: $after, and a second call changes nothing', async ({ after, left }) => {
    const box = await sandbox({ after });
    try {
      await mkdir(join(box.root, 'in'));
      await writeFile(join(box.root, 'in/a.txt'), 'delivered');
      await box.connector.afterDelivered('in/a.txt');
      await box.connector.afterDelivered('in/a.txt');
      const onDisk = (await readdir(box.root, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
      expect(onDisk.map((entry) => join(entry.parentPath, entry.name).slice(box.root.length + 1))).toEqual(left);
      // Moved files are not offered again by later listings.
      expect(await listPaths(box.connector)).toEqual(after === 'keep' ? ['in/a.txt'] : []);
    } finally {
      await box.cleanup();
    }
  });
});

describe('SftpConnector authentication and host key pinning', () => {
  it('refuses an unknown host key, showing the fingerprint seen and the one expected, without retrying', async () => {
    const server = await sshd();
    const pinned = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const { connector, counter } = connect(server, server.root, { hostKey: pinned });
    const failure = await listPaths(connector).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'connector_failed', retryable: false });
    expect((failure as Error).message).toContain(`presented host key ${server.hostKeyFingerprint} but the connector expects ${pinned}`);
    expect((failure as Error).message).toContain(`hostKey: "${server.hostKeyFingerprint}"`);
    expect(counter.connections).toBe(1);
  });

  it('connects with hostKey insecure-accept-any', async () => {
    const server = await sshd();
    const { connector } = connect(server, server.root, { hostKey: 'insecure-accept-any' });
    await expect(listPaths(connector)).resolves.toBeInstanceOf(Array);
    await connector.close();
  });

  it('fails authentication with a key the server does not know, without retrying', async () => {
    const server = await sshd();
    const keyDir = await mkdtemp(join(tmpdir(), 'airlock-key-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keyDir, 'stranger')]);
    const { connector, counter } = connect(server, server.root, { privateKey: join(keyDir, 'stranger') });
    await expect(listPaths(connector)).rejects.toMatchObject({
      code: 'connector_failed',
      message: expect.stringContaining('authentication'),
    });
    expect(counter.connections).toBe(1);
    await rm(keyDir, { recursive: true });
  });

  it('uses an encrypted key with its passphrase from a secret reference', async () => {
    const server = await startSshd({ privateKeyPassphrase: 'correct horse' });
    try {
      const settings = { privateKey: `\${file:${server.privateKeyPath}}`, passphrase: '${env:KEY_PASSPHRASE}' };
      const good = connect(server, server.root, settings, { KEY_PASSPHRASE: 'correct horse' });
      expect(await listPaths(good.connector)).toEqual([]);
      await good.connector.close();
      const bad = connect(server, server.root, settings, { KEY_PASSPHRASE: 'wrong horse' });
      const failure = await listPaths(bad.connector).catch((error: unknown) => error);
      expect(failure).toMatchObject({ code: 'connector_failed', message: expect.stringContaining('passphrase') });
      expect((failure as Error).message).not.toContain('wrong horse');
      expect(bad.counter.connections).toBe(1);
    } finally {
      await server.stop();
    }
  });

  // sshd checks passwords against /etc/shadow; startSshd gives its sshd a private copy (see SshdServerOptions).
  it('authenticates with a password reference, and refuses a wrong one without retrying or echoing it', async () => {
    const server = await startSshd({ password: 'pa55-word' });
    try {
      const settings = { privateKey: undefined, password: '${env:SFTP_PASSWORD}' };
      const good = connect(server, server.root, settings, { SFTP_PASSWORD: 'pa55-word' });
      expect(await listPaths(good.connector)).toEqual([]);
      await good.connector.close();
      const bad = connect(server, server.root, settings, { SFTP_PASSWORD: 'not-the-pa55-word' });
      const failure = await listPaths(bad.connector).catch((error: unknown) => error);
      expect(failure).toMatchObject({ code: 'connector_failed', retryable: false, message: expect.stringContaining('authentication') });
      expect(JSON.stringify({ message: (failure as Error).message })).not.toContain('pa55');
      expect(bad.counter.connections).toBe(1);
    } finally {
      await server.stop();
    }
  });
});
