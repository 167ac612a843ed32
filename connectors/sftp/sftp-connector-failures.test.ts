import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveSecret } from '../../src/config/secret-ref.js';
import { startSshd, type SshdServer } from '../../test/servers/sshd-server.js';
import type { Connector } from '../connector.js';
import { createSftpConnector, sftpConnectorFactory, type SftpRetryOptions } from './index.js';

/**
 * What happens when the server dies under the connector: each test owns an sshd it SIGKILLs (with every
 * session it forked, so open connections drop as in a crash) and restarts on the same port.
 */
let server: SshdServer;
let connector: Connector;

function build(retry: SftpRetryOptions): Connector {
  const config = sftpConnectorFactory.parseConfig({
    host: server.host,
    port: server.port,
    username: server.username,
    root: server.root,
    privateKey: server.privateKeyPath,
    hostKey: server.hostKeyFingerprint,
  });
  return createSftpConnector(config, { baseDir: '/', resolveSecret: (ref) => resolveSecret(ref, { env: {}, baseDir: '/' }) }, { retry });
}

beforeEach(async () => {
  server = await startSshd();
  connector = build({ attempts: 3, baseMs: 10, maxMs: 50 });
});
afterEach(async () => {
  await connector.close?.();
  await server.stop();
});

const MiB = 1024 * 1024;

/** An endless-looking source of 1 MiB chunks that calls `onSent` with the running total. */
function bigSource(total: number, onSent: (sent: number) => void): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      sent += MiB;
      onSent(sent);
      this.push(Buffer.alloc(MiB, sent / MiB));
    },
  });
}

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => !entry.isDirectory()).map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1));
}

async function listNames(from: Connector): Promise<string[]> {
  const paths: string[] = [];
  for await (const item of from.list()) paths.push(item.path);
  return paths;
}

describe('SftpConnector when sshd is killed', () => {
  it('fails an upload cut midway retryably, leaves no partial file, and the next write succeeds', async () => {
    await connector.write('upload/warmup.txt', Readable.from([Buffer.from('connection is up')]));
    let killing: Promise<void> | undefined;
    const source = bigSource(2048 * MiB, (sent) => {
      if (sent === 16 * MiB) killing = server.kill();
    });
    const failure = await connector.write('upload/big.bin', source).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'connector_unreachable', retryable: true, message: expect.stringContaining('upload/big.bin') });
    await killing;
    expect(source.destroyed).toBe(true);
    await expect(stat(join(server.root, 'upload/big.bin'))).rejects.toMatchObject({ code: 'ENOENT' });
    // The dead connection could not remove its temporary file (list() hides it); the next connection will.
    expect((await filesUnder(server.root)).sort()).toEqual([
      expect.stringMatching(/^upload\/\.big\.bin\.airlock-tmp-[0-9a-f]{12}$/),
      'upload/warmup.txt',
    ]);

    await server.restart();
    const content = Buffer.alloc(3 * MiB, 0x5a);
    const result = await connector.write('upload/big.bin', Readable.from([content]));
    expect(result).toEqual({ path: 'upload/big.bin', size: content.length, sha256: createHash('sha256').update(content).digest('hex') });
    expect((await readFile(join(server.root, 'upload/big.bin'))).equals(content)).toBe(true);
    // The temporary file the dead connection could not remove is gone too, removed on reconnecting.
    expect((await filesUnder(server.root)).sort()).toEqual(['upload/big.bin', 'upload/warmup.txt']);
  });

  it('fails a download cut midway with connector_unreachable on the stream', async () => {
    await writeFile(join(server.root, 'large.bin'), Buffer.alloc(64 * MiB, 1));
    const iterator = (await connector.open('large.bin'))[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    await server.kill();
    const drain = async (): Promise<void> => {
      while (!(await iterator.next()).done);
    };
    await expect(drain()).rejects.toMatchObject({
      code: 'connector_unreachable',
      retryable: true,
      message: expect.stringContaining('"large.bin"'),
    });
  });

  it('reports connector_unreachable after its retries while the server stays down', async () => {
    await server.kill();
    await expect(connector.open('a.txt')).rejects.toMatchObject({
      code: 'connector_unreachable',
      message: expect.stringMatching(new RegExp(`127\\.0\\.0\\.1:${server.port}.*"a\\.txt"`)),
    });
  });

  it('retries a listing on a new connection until the restarted server answers', async () => {
    await mkdir(join(server.root, 'in'));
    await writeFile(join(server.root, 'in/a.txt'), 'a');
    await connector.close?.();
    connector = build({ attempts: 20, baseMs: 100, maxMs: 400 });
    expect(await listNames(connector)).toEqual(['in/a.txt']);
    await server.kill();
    const listing = listNames(connector);
    await server.restart();
    expect(await listing).toEqual(['in/a.txt']);
  });
});
