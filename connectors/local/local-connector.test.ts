import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Connector, ConnectorContext, ListedItem } from '../connector.js';
import { folderBackend, runConnectorContract } from '../connector.case.test.js';
import { createConnector } from '../index.js';
import { localConnectorFactory } from './index.js';

const noSecrets: ConnectorContext['resolveSecret'] = () => Promise.reject(new Error('the local connector has no secrets'));

/** A scratch folder holding `root/` (the connector's jail) and `outside/` (what must stay out of reach). */
async function makeSandbox(): Promise<{ base: string; root: string; outside: string; connector: Connector }> {
  const base = await mkdtemp(join(tmpdir(), 'airlock-local-'));
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  await mkdir(root);
  await mkdir(outside);
  await writeFile(join(outside, 'secret.txt'), 'top secret');
  // A relative root, so every test also proves it is resolved against baseDir and not the process cwd.
  const connector = localConnectorFactory.create(localConnectorFactory.parseConfig({ root: 'root' }), {
    baseDir: base,
    resolveSecret: noSecrets,
  });
  return { base, root, outside, connector };
}

runConnectorContract(
  'local',
  async () => {
    const { base, root, connector } = await makeSandbox();
    return {
      connector,
      ...folderBackend(root),
      spec: { kind: 'local', root },
      cleanup: () => rm(base, { recursive: true, force: true }),
    };
  },
  { temporaryFiles: true, killedWrite: true },
);

async function listPaths(connector: Connector, prefix?: string): Promise<string[]> {
  const items: ListedItem[] = [];
  for await (const item of connector.list(prefix === undefined ? {} : { prefix })) items.push(item);
  return items.map((item) => item.path);
}

const escaping = ['../x', 'a/../../x', 'a/../b', '/etc/passwd', 'a\0b', '..\\x'];

describe('LocalConnector jail', () => {
  let sandbox: Awaited<ReturnType<typeof makeSandbox>>;
  beforeEach(async () => {
    sandbox = await makeSandbox();
  });
  afterEach(async () => {
    await rm(sandbox.base, { recursive: true, force: true });
  });

  const expectEscape = (path: string) => ({
    code: 'path_escape',
    message: expect.stringMatching(new RegExp(`${escapeRegExp(JSON.stringify(path))}.*${escapeRegExp(sandbox.root)}`)),
  });

  it.each(escaping)('refuses to open %j with path_escape naming the path and the root', async (path) => {
    await expect(sandbox.connector.open(path)).rejects.toMatchObject(expectEscape(path));
  });

  it.each(escaping)('refuses to write %j with path_escape and creates nothing', async (path) => {
    await expect(sandbox.connector.write(path, Readable.from([Buffer.from('x')]))).rejects.toMatchObject(expectEscape(path));
    expect(await readdir(sandbox.base)).toEqual(['outside', 'root']);
    expect(await readdir(sandbox.root)).toEqual([]);
  });

  it.each(escaping)('refuses to list prefix %j with path_escape', async (path) => {
    await expect(listPaths(sandbox.connector, path)).rejects.toMatchObject(expectEscape(path));
  });

  it('destroys the source stream of a refused write, so a network source is not left open', async () => {
    const source = new Readable({ read() {} });
    await expect(sandbox.connector.write('../x', source)).rejects.toMatchObject({ code: 'path_escape' });
    expect(source.destroyed).toBe(true);
  });

  it('refuses to open a symlink that leads outside the root', async () => {
    await symlink(join(sandbox.outside, 'secret.txt'), join(sandbox.root, 'link.txt'));
    await expect(sandbox.connector.open('link.txt')).rejects.toMatchObject(expectEscape('link.txt'));
  });

  it('refuses to open any symlink, even one pointing inside the root', async () => {
    await writeFile(join(sandbox.root, 'real.txt'), 'real');
    await symlink('real.txt', join(sandbox.root, 'alias.txt'));
    await expect(sandbox.connector.open('alias.txt')).rejects.toMatchObject(expectEscape('alias.txt'));
  });

  it('refuses to open through a symlinked folder that leads outside the root', async () => {
    await symlink(sandbox.outside, join(sandbox.root, 'linkdir'));
    await expect(sandbox.connector.open('linkdir/secret.txt')).rejects.toMatchObject(expectEscape('linkdir/secret.txt'));
  });

  it('refuses to write through a symlinked folder that leads outside the root, creating nothing there', async () => {
    await symlink(sandbox.outside, join(sandbox.root, 'linkdir'));
    for (const path of ['linkdir/new.txt', 'linkdir/sub/new.txt']) {
      await expect(sandbox.connector.write(path, Readable.from([Buffer.from('x')]))).rejects.toMatchObject(expectEscape(path));
    }
    expect(await readdir(sandbox.outside)).toEqual(['secret.txt']);
  });

  it('writes through a symlinked folder that stays inside the root', async () => {
    await mkdir(join(sandbox.root, 'real'));
    await symlink('real', join(sandbox.root, 'current'));
    await sandbox.connector.write('current/file.txt', Readable.from([Buffer.from('ok')]));
    expect(await readFile(join(sandbox.root, 'real', 'file.txt'), 'utf8')).toBe('ok');
  });

  it('replaces a symlink at the destination instead of writing through it', async () => {
    await symlink(join(sandbox.outside, 'secret.txt'), join(sandbox.root, 'target.txt'));
    await sandbox.connector.write('target.txt', Readable.from([Buffer.from('new')]));
    expect(await readFile(join(sandbox.outside, 'secret.txt'), 'utf8')).toBe('top secret');
    expect((await stat(join(sandbox.root, 'target.txt'))).isFile()).toBe(true);
  });

  it('lists neither symlinks nor what they point to', async () => {
    await writeFile(join(sandbox.root, 'plain.txt'), 'plain');
    await symlink(join(sandbox.outside, 'secret.txt'), join(sandbox.root, 'link.txt'));
    await symlink(sandbox.outside, join(sandbox.root, 'linkdir'));
    await symlink('plain.txt', join(sandbox.root, 'alias.txt'));
    expect(await listPaths(sandbox.connector)).toEqual(['plain.txt']);
  });

  it('refuses a list prefix that goes through a symlink leading outside the root', async () => {
    await symlink(sandbox.outside, join(sandbox.root, 'linkdir'));
    await expect(listPaths(sandbox.connector, 'linkdir')).rejects.toMatchObject(expectEscape('linkdir'));
  });
});

describe('LocalConnector on disk', () => {
  let sandbox: Awaited<ReturnType<typeof makeSandbox>>;
  beforeEach(async () => {
    sandbox = await makeSandbox();
  });
  afterEach(async () => {
    await rm(sandbox.base, { recursive: true, force: true });
  });

  it('resolves a relative root against the context baseDir', () => {
    expect(sandbox.connector.describe()).toEqual({ kind: 'local', location: sandbox.root });
  });

  it('fails listing and writing with connector_failed naming a missing root', async () => {
    await rm(sandbox.root, { recursive: true });
    const failure = { code: 'connector_failed', message: expect.stringContaining(sandbox.root) };
    await expect(listPaths(sandbox.connector)).rejects.toMatchObject(failure);
    await expect(sandbox.connector.write('a.txt', Readable.from([Buffer.from('x')]))).rejects.toMatchObject(failure);
    await expect(stat(sandbox.root)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('lists nothing for a prefix that names a file, since a prefix is a folder', async () => {
    await writeFile(join(sandbox.root, 'a.txt'), 'a');
    expect(await listPaths(sandbox.connector, 'a.txt')).toEqual([]);
  });

  it('refuses to open a folder as a file', async () => {
    await mkdir(join(sandbox.root, 'dir'));
    await expect(sandbox.connector.open('dir')).rejects.toMatchObject({
      code: 'connector_failed',
      message: expect.stringContaining('"dir"'),
    });
  });

  it('skips and refuses a FIFO without blocking', async () => {
    execFileSync('mkfifo', [join(sandbox.root, 'pipe')]);
    expect(await listPaths(sandbox.connector)).toEqual([]);
    await expect(sandbox.connector.open('pipe')).rejects.toMatchObject({ code: 'connector_failed' });
  });

  it('does not list in-flight temporary files or names with a backslash', async () => {
    await writeFile(join(sandbox.root, '.report.csv.airlock-tmp-0123456789ab'), 'partial');
    await writeFile(join(sandbox.root, 'back\\slash.txt'), 'x');
    await writeFile(join(sandbox.root, '.env'), 'x');
    expect(await listPaths(sandbox.connector)).toEqual(['.env']);
  });

  it('creates written files without access for other users', async () => {
    await sandbox.connector.write('deep/er/file.txt', Readable.from([Buffer.from('x')]));
    expect((await stat(join(sandbox.root, 'deep/er/file.txt'))).mode & 0o007).toBe(0);
    expect((await stat(join(sandbox.root, 'deep'))).mode & 0o007).toBe(0);
  });

  // The contract suite cannot see a leftover temporary file here, because `list` hides them by design.
  it('removes its temporary file from disk when the source fails or the write is aborted', async () => {
    const failing = Readable.from(
      (async function* () {
        yield Buffer.alloc(1024);
        throw new Error('source broke');
      })(),
    );
    await expect(sandbox.connector.write('out/a.bin', failing)).rejects.toThrow('source broke');
    const controller = new AbortController();
    const endless = new Readable({
      read() {
        this.push(Buffer.alloc(1024));
        setImmediate(() => controller.abort());
      },
    });
    await expect(sandbox.connector.write('out/b.bin', endless, { signal: controller.signal })).rejects.toThrow();
    // The folder made for the file may stay; no file may.
    expect(await readdir(join(sandbox.root, 'out'))).toEqual([]);
  });

  it('fails a write that is already aborted before touching the disk', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(sandbox.connector.write('a.txt', Readable.from([Buffer.from('x')]), { signal: controller.signal })).rejects.toThrow();
    expect(await readdir(sandbox.root)).toEqual([]);
  });
});

describe('createConnector with local settings', () => {
  const context: ConnectorContext = { baseDir: '/srv/airlock', resolveSecret: noSecrets };

  it('builds a local connector with its root resolved against baseDir', () => {
    expect(createConnector({ kind: 'local', root: 'data/in' }, context).describe()).toEqual({
      kind: 'local',
      location: '/srv/airlock/data/in',
    });
    expect(createConnector({ kind: 'local', root: '/abs' }, context).describe()).toEqual({ kind: 'local', location: '/abs' });
  });

  it('rejects an unknown kind with invalid_input listing the known kinds', () => {
    for (const kind of ['ftp', 'toString', '__proto__']) {
      expect(() => createConnector({ kind }, context)).toThrowError(
        expect.objectContaining({ code: 'invalid_input', message: expect.stringMatching(new RegExp(`"${kind}".*local`)) }),
      );
    }
  });

  it('rejects bad or unknown settings with invalid_input naming the field', () => {
    expect(() => createConnector({ kind: 'local', root: 7 }, context)).toThrowError(
      expect.objectContaining({ code: 'invalid_input', message: expect.stringContaining('root:') }),
    );
    expect(() => createConnector({ kind: 'local' }, context)).toThrowError(
      expect.objectContaining({ code: 'invalid_input', message: expect.stringContaining('root:') }),
    );
    expect(() => createConnector({ kind: 'local', root: 'x', rooot: 'y' }, context)).toThrowError(
      expect.objectContaining({ code: 'invalid_input', message: expect.stringContaining('"rooot"') }),
    );
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}
