import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AirlockError } from '../src/errors.js';
import { temporaryName, type Connector, type ListedItem, type Selector } from './connector.js';
import { killMidWrite } from './crash-writer.test-support.js';
import type { ConnectorSpec } from './index.js';

/**
 * The behaviour every connector must show, run by each connector's own test file against a real backend.
 * `seed` and `readBack` reach the backend directly (not through the connector) so a test can tell what the
 * connector really did; `readBack` resolves undefined when nothing is at the path.
 */
export interface ConnectorHarness {
  connector: Connector;
  seed(path: string, content: Buffer | string): Promise<void>;
  readBack(path: string): Promise<Buffer | undefined>;
  /**
   * The names directly in `folder` at the backend, temporary files included (which `list` hides by design),
   * sorted; rejects when the folder is missing. Needed by the killed-write cases.
   */
  namesIn?(folder: string): Promise<string[]>;
  /**
   * Settings from which `createConnector` builds this same connector in another process: the killed-write
   * cases start a writer there and kill it mid-write (see `killMidWrite`).
   */
  spec?: ConnectorSpec;
  cleanup(): Promise<void>;
}

/** `seed`, `readBack` and `namesIn` for a backend whose files lie in `root`, a folder on this machine. */
export function folderBackend(root: string): Pick<ConnectorHarness, 'seed' | 'readBack' | 'namesIn'> {
  return {
    seed: async (path, content) => {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), content);
    },
    readBack: async (path) => readFile(join(root, path)).catch(() => undefined),
    namesIn: async (folder) => (await readdir(join(root, folder))).sort(),
  };
}

const SEEDED: Record<string, string> = {
  'b.txt': 'bee',
  'a.txt': 'a',
  'a/x.txt': 'inside a',
  'sub/c.csv': 'c,c,c',
  'sub/deep/d.txt': 'deep down',
  'sub/deep/e.bin': 'eeeee',
};

/** What a connector does beyond the common contract, switching on the cases that test it. */
export interface ConnectorContractOptions {
  /**
   * Writes through a temporary file beside the target, named by `temporaryName`, and implements
   * `discardPartial`: a write killed with `kill -9` leaves that file behind until a later attempt removes it.
   */
  temporaryFiles?: boolean;
  /**
   * Whether the cases of a writer killed mid-write (`kill -9` on a worker) run: `true` for a connector with
   * `temporaryFiles` whose harness gives `spec` and `namesIn`; otherwise the reason they cannot, shown as a
   * skipped test.
   */
  killedWrite?: true | { skip: string };
}

/** The temporary file a write of `path` with `attempt` uses, as a root-relative path. */
export function temporaryPath(path: string, attempt: string): string {
  const segments = path.split('/');
  return [...segments.slice(0, -1), temporaryName(segments.at(-1) as string, attempt)].join('/');
}

export function runConnectorContract(name: string, setup: () => Promise<ConnectorHarness>, options: ConnectorContractOptions = {}): void {
  describe(`${name} connector contract`, () => {
    let h: ConnectorHarness;
    beforeEach(async () => {
      h = await setup();
    });
    afterEach(async () => {
      await h.cleanup();
    });

    const seedAll = async (): Promise<void> => {
      for (const [path, content] of Object.entries(SEEDED)) await h.seed(path, content);
    };

    it('lists every seeded file once, in byte order of full paths, with its size', async () => {
      await seedAll();
      const items = await listAll(h.connector);
      // `a.txt` sorts before `a/x.txt` because `.` (0x2e) precedes `/` (0x2f): plain key order, as S3 lists.
      expect(items.map((i) => i.path)).toEqual(['a.txt', 'a/x.txt', 'b.txt', 'sub/c.csv', 'sub/deep/d.txt', 'sub/deep/e.bin']);
      for (const item of items) {
        expect(item.size).toBe(Buffer.byteLength(SEEDED[item.path] ?? ''));
        if (item.modifiedAt !== undefined) expect(item.modifiedAt).toBeInstanceOf(Date);
      }
      expect(await listAll(h.connector)).toEqual(items);
    });

    it('lists nothing from an empty root', async () => {
      expect(await listAll(h.connector)).toEqual([]);
    });

    it('applies include, then exclude, to paths relative to the root', async () => {
      await seedAll();
      expect(await listPaths(h.connector, { include: ['**/*.txt'] })).toEqual(['a.txt', 'a/x.txt', 'b.txt', 'sub/deep/d.txt']);
      expect(await listPaths(h.connector, { include: ['*.txt'] })).toEqual(['a.txt', 'b.txt']);
      expect(await listPaths(h.connector, { include: ['**/*.txt'], exclude: ['sub/**', 'b.*'] })).toEqual(['a.txt', 'a/x.txt']);
      expect(await listPaths(h.connector, { exclude: ['**/*.txt'] })).toEqual(['sub/c.csv', 'sub/deep/e.bin']);
    });

    it('limits listing to a prefix folder and still reports root-relative paths', async () => {
      await seedAll();
      expect(await listPaths(h.connector, { prefix: 'sub' })).toEqual(['sub/c.csv', 'sub/deep/d.txt', 'sub/deep/e.bin']);
      expect(await listPaths(h.connector, { prefix: 'sub/deep/' })).toEqual(['sub/deep/d.txt', 'sub/deep/e.bin']);
      expect(await listPaths(h.connector, { prefix: 'sub', include: ['sub/*'] })).toEqual(['sub/c.csv']);
      // A prefix is a folder, not a string prefix: `a` does not pick `a.txt`.
      expect(await listPaths(h.connector, { prefix: 'a' })).toEqual(['a/x.txt']);
      expect(await listPaths(h.connector, { prefix: 'missing' })).toEqual([]);
    });

    it('opens a file and yields its exact bytes', async () => {
      const bytes = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
      await h.seed('bin/all-bytes.bin', bytes);
      expect(await readAll(await h.connector.open('bin/all-bytes.bin'))).toEqual(bytes);
    });

    it('rejects opening a missing file with connector_failed naming the path', async () => {
      await expect(h.connector.open('nope/missing.txt')).rejects.toMatchObject({
        code: 'connector_failed',
        message: expect.stringContaining('nope/missing.txt'),
      });
    });

    it('writes a stream into new folders and reports the size and SHA-256 actually written', async () => {
      const content = Buffer.from('hello, airlock\n');
      const result = await h.connector.write('out/nested/hello.txt', Readable.from([content.subarray(0, 5), content.subarray(5)]));
      expect(result).toEqual({ path: 'out/nested/hello.txt', size: content.length, sha256: sha256(content) });
      expect(await h.readBack('out/nested/hello.txt')).toEqual(content);
      expect(await listAll(h.connector)).toEqual([expect.objectContaining({ path: 'out/nested/hello.txt', size: content.length })]);
    });

    it('writes an empty stream as an empty file', async () => {
      const result = await h.connector.write('empty.bin', Readable.from([]));
      expect(result).toEqual({ path: 'empty.bin', size: 0, sha256: sha256(Buffer.alloc(0)) });
      expect(await h.readBack('empty.bin')).toEqual(Buffer.alloc(0));
    });

    it('replaces an existing file, so a re-run leaves one copy with the new content', async () => {
      await h.seed('report.csv', 'old content that is longer than the new one');
      const result = await h.connector.write('report.csv', Readable.from([Buffer.from('new')]));
      expect(result.size).toBe(3);
      expect(await h.readBack('report.csv')).toEqual(Buffer.from('new'));
      expect(await listPaths(h.connector)).toEqual(['report.csv']);
    });

    it('fails with the source error and leaves nothing behind when the source breaks midway', async () => {
      const failure = new AirlockError('connector_unreachable', 'The source went away.');
      await expect(h.connector.write('broken/file.bin', failingSource(failure))).rejects.toBe(failure);
      expect(await h.readBack('broken/file.bin')).toBeUndefined();
      expect(await listAll(h.connector)).toEqual([]);
    });

    it('keeps the previous file intact when a replacing write fails', async () => {
      await h.seed('keep.txt', 'previous');
      const failure = new AirlockError('connector_unreachable', 'The source went away.');
      await expect(h.connector.write('keep.txt', failingSource(failure))).rejects.toBe(failure);
      expect(await h.readBack('keep.txt')).toEqual(Buffer.from('previous'));
      expect(await listPaths(h.connector)).toEqual(['keep.txt']);
    });

    it('stops and leaves nothing behind when the write is aborted', async () => {
      const controller = new AbortController();
      let sent = false;
      // Sends one chunk, then never ends: only the abort can finish this write.
      const source = new Readable({
        read() {
          if (sent) return;
          sent = true;
          this.push(Buffer.alloc(1024, 1));
          setImmediate(() => controller.abort());
        },
      });
      await expect(h.connector.write('aborted.bin', source, { signal: controller.signal })).rejects.toThrow();
      expect(await h.readBack('aborted.bin')).toBeUndefined();
      expect(await listAll(h.connector)).toEqual([]);
    });

    it('streams a 5 MiB write and reads it back byte for byte', async () => {
      const big = pseudoRandomBytes(5 * 1024 * 1024);
      const result = await h.connector.write('big/five.bin', Readable.from(chunks(big, 64 * 1024)));
      expect(result).toEqual({ path: 'big/five.bin', size: big.length, sha256: sha256(big) });
      const back = await h.readBack('big/five.bin');
      expect(back?.length).toBe(big.length);
      expect(back?.equals(big)).toBe(true);
      expect(sha256(await readAll(await h.connector.open('big/five.bin')))).toBe(sha256(big));
    });

    it('refuses paths that climb out of the root or are absolute, with path_escape', async () => {
      for (const path of ['../outside.txt', 'a/../../outside.txt', '/etc/passwd']) {
        await expect(h.connector.open(path)).rejects.toMatchObject({ code: 'path_escape' });
        await expect(h.connector.write(path, Readable.from([Buffer.from('x')]))).rejects.toMatchObject({ code: 'path_escape' });
      }
    });

    it('writes with an attempt as without one, and a repeat of the attempt replaces the first copy', async () => {
      const first = await h.connector.write('runs/a.txt', Readable.from([Buffer.from('first run')]), { attempt: 'item-1' });
      expect(first).toEqual({ path: 'runs/a.txt', size: 9, sha256: sha256(Buffer.from('first run')) });
      await h.connector.write('runs/b.txt', Readable.from([Buffer.from('no attempt')]));
      await h.connector.write('runs/a.txt', Readable.from([Buffer.from('again')]), { attempt: 'item-1' });
      expect(await h.readBack('runs/a.txt')).toEqual(Buffer.from('again'));
      expect(await h.readBack('runs/b.txt')).toEqual(Buffer.from('no attempt'));
      expect(await listPaths(h.connector)).toEqual(['runs/a.txt', 'runs/b.txt']);
    });

    it('describes itself by kind and location, without anything secret-looking', () => {
      const description = h.connector.describe();
      expect(description.kind).toBe(h.connector.kind);
      expect(description.location).toEqual(expect.any(String));
      expect(description.location.length).toBeGreaterThan(0);
      for (const key of Object.keys(description)) expect(key).not.toMatch(/secret|password|passphrase|token|credential|key/i);
      const text = JSON.stringify(description);
      expect(text).not.toMatch(/\$\{(env|file):/);
      expect(text).not.toMatch(/\/\/[^/@\s]*:[^/@\s]*@/); // user:password@ in a URL
    });

    describe('after a worker is killed mid-write', () => {
      const { killedWrite } = options;
      if (killedWrite !== true) {
        const reason = killedWrite?.skip ?? 'the connector test does not say whether a write can be killed midway';
        it.skip(`is not tested: ${reason}`, () => {});
        return;
      }
      if (options.temporaryFiles !== true) throw new Error(`The ${name} contract sets killedWrite without temporaryFiles.`);

      const path = 'out/data.bin';
      const attempt = 'item-42';
      const namesIn = (folder: string): Promise<string[]> => {
        if (h.namesIn === undefined) throw new Error(`The ${name} harness gives no namesIn for the killed-write cases.`);
        return h.namesIn(folder);
      };
      /** Kills a writer of `path` once the temporary file of `attempt` holds some bytes. */
      const crash = async (): Promise<void> => {
        if (h.spec === undefined) throw new Error(`The ${name} harness gives no spec for the killed-write cases.`);
        const isPartial = async (): Promise<boolean> => ((await h.readBack(temporaryPath(path, attempt)))?.length ?? 0) > 0;
        await killMidWrite({ spec: h.spec, path, attempt }, isPartial);
      };

      it('leaves only a hidden temporary file, which the next write of the same attempt replaces with the whole file', async () => {
        await crash();
        expect(await namesIn('out')).toEqual([temporaryName('data.bin', attempt)]);
        expect(await listAll(h.connector)).toEqual([]);
        const content = Buffer.from('complete');
        const result = await h.connector.write(path, Readable.from([content]), { attempt });
        expect(result).toEqual({ path, size: content.length, sha256: sha256(content) });
        expect(await namesIn('out')).toEqual(['data.bin']);
        expect(await h.readBack(path)).toEqual(content);
      });

      it('leaves nothing once discardPartial has run for the killed attempt', async () => {
        await crash();
        expect(h.connector.discardPartial).toBeTypeOf('function');
        await h.connector.discardPartial?.(path, attempt);
        expect(await namesIn('out')).toEqual([]);
      });
    });

    if (options.temporaryFiles !== true) return;

    it('derives the temporary name from the attempt: stable, distinct per attempt, and hidden by the listing pattern', () => {
      expect(temporaryName('report.csv', 'item-1')).toBe(temporaryName('report.csv', 'item-1'));
      expect(temporaryName('report.csv', 'item-1')).toMatch(/^\.report\.csv\.airlock-tmp-[0-9a-f]{12}$/);
      expect(temporaryName('report.csv', 'item-2')).not.toBe(temporaryName('report.csv', 'item-1'));
      expect(temporaryName('report.csv')).not.toBe(temporaryName('report.csv'));
      expect(temporaryName('x'.repeat(300), 'item-1')).toHaveLength(1 + 64 + '.airlock-tmp-'.length + 12);
    });

    it('replaces the temporary file a killed write with the same attempt left, leaving only the complete file', async () => {
      const leftover = temporaryPath('out/report.csv', 'item-1');
      await h.seed(leftover, Buffer.alloc(100_000, 1)); // bigger than the new content: none of it may survive
      const content = Buffer.from('the complete report\n');
      const result = await h.connector.write('out/report.csv', Readable.from([content]), { attempt: 'item-1' });
      expect(result).toEqual({ path: 'out/report.csv', size: content.length, sha256: sha256(content) });
      expect(await h.readBack('out/report.csv')).toEqual(content);
      expect(await h.readBack(leftover)).toBeUndefined();
      expect(await listPaths(h.connector)).toEqual(['out/report.csv']);
    });

    it('leaves no temporary file when a write with an attempt fails, and the retry of that attempt succeeds', async () => {
      const failure = new AirlockError('connector_unreachable', 'The source went away.');
      await expect(h.connector.write('retry/file.bin', failingSource(failure), { attempt: 'item-7' })).rejects.toBe(failure);
      expect(await h.readBack(temporaryPath('retry/file.bin', 'item-7'))).toBeUndefined();
      expect(await h.readBack('retry/file.bin')).toBeUndefined();
      await h.connector.write('retry/file.bin', Readable.from([Buffer.from('ok')]), { attempt: 'item-7' });
      expect(await h.readBack('retry/file.bin')).toEqual(Buffer.from('ok'));
      expect(await h.readBack(temporaryPath('retry/file.bin', 'item-7'))).toBeUndefined();
    });

    it("discardPartial removes the attempt's leftover and leaves the real file and other attempts' files alone", async () => {
      await h.seed('out/report.csv', 'delivered earlier');
      await h.seed(temporaryPath('out/report.csv', 'item-1'), 'partial');
      await h.seed(temporaryPath('out/report.csv', 'item-2'), 'another attempt');
      await h.connector.discardPartial?.('out/report.csv', 'item-1');
      expect(await h.readBack(temporaryPath('out/report.csv', 'item-1'))).toBeUndefined();
      expect(await h.readBack(temporaryPath('out/report.csv', 'item-2'))).toEqual(Buffer.from('another attempt'));
      expect(await h.readBack('out/report.csv')).toEqual(Buffer.from('delivered earlier'));
    });

    it('discardPartial is idempotent and fine with nothing to remove, even in a missing folder', async () => {
      expect(h.connector.discardPartial).toBeTypeOf('function');
      await h.seed(temporaryPath('a/b.txt', 'item-1'), 'partial');
      await h.connector.discardPartial?.('a/b.txt', 'item-1');
      await h.connector.discardPartial?.('a/b.txt', 'item-1');
      await h.connector.discardPartial?.('missing/folder/c.txt', 'item-1');
      await h.connector.discardPartial?.('top.txt', 'item-1');
      expect(await h.readBack(temporaryPath('a/b.txt', 'item-1'))).toBeUndefined();
    });

    it('discardPartial refuses paths that climb out of the root, with path_escape', async () => {
      for (const path of ['../outside.txt', 'a/../../outside.txt', '/etc/passwd']) {
        await expect(h.connector.discardPartial?.(path, 'item-1')).rejects.toMatchObject({ code: 'path_escape' });
      }
    });

    it('never lists temporary files, whether derived from an attempt or random', async () => {
      await h.seed('in/real.txt', 'real');
      await h.seed(temporaryPath('in/real.txt', 'item-1'), 'partial');
      await h.seed(temporaryPath('in/other.txt', 'item-2'), 'partial');
      await h.seed(`in/${temporaryName('real.txt')}`, 'partial');
      expect(await listPaths(h.connector)).toEqual(['in/real.txt']);
      expect(await listPaths(h.connector, { include: ['**/*'] })).toEqual(['in/real.txt']);
    });
  });
}

async function listAll(connector: Connector, selector?: Selector): Promise<ListedItem[]> {
  const items: ListedItem[] = [];
  for await (const item of connector.list(selector)) items.push(item);
  return items;
}

async function listPaths(connector: Connector, selector?: Selector): Promise<string[]> {
  return (await listAll(connector, selector)).map((item) => item.path);
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(parts);
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Yields some bytes, then fails the way a dropped network source would. */
function failingSource(error: Error): Readable {
  return Readable.from(
    (async function* () {
      yield Buffer.alloc(64 * 1024, 7);
      yield Buffer.alloc(64 * 1024, 8);
      throw error;
    })(),
  );
}

/** Deterministic bytes without repetition a filesystem or transport could compress away. */
function pseudoRandomBytes(length: number): Buffer {
  const out = Buffer.alloc(length);
  let state = 0x2545f491;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = state & 0xff;
  }
  return out;
}

function* chunks(bytes: Buffer, size: number): Generator<Buffer> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}
