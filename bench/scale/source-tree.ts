// The data of `bench/scale/run.ts`: one folder per ticket (`t-0001/`, `t-0002/`, …) in a local source folder,
// each with a few small text files from bench/transfer/data.ts (lower-case prose: no digits, capitals or `@`,
// so every file is allowed by the default policy with all checks on), and the check that exactly those files
// arrived at the destination.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { textBuffer } from '../transfer/data.js';

export interface ExpectedFile {
  /** Path relative to the source (and destination) root, `/`-separated. */
  path: string;
  size: number;
  sha256: string;
}

export interface SourceTree {
  /** The folder of ticket `i` (0-based), which is also its selection: `<folder>/**`. */
  folders: string[];
  files: ExpectedFile[];
  bytes: number;
}

/** The folder name of ticket `i` (0-based) out of `tickets`, zero-padded so folders sort as numbers. */
export function folderName(i: number, tickets: number): string {
  return `t-${String(i + 1).padStart(Math.max(4, String(tickets).length), '0')}`;
}

/**
 * Writes `tickets` folders of `filesPerTicket` text files of 2 to 4 KiB each under `root`. Sizes and contents
 * differ per file (seeded), so a file delivered into the wrong folder or cut short is caught.
 */
export async function writeSourceTree(root: string, tickets: number, filesPerTicket: number): Promise<SourceTree> {
  const folders: string[] = [];
  const files: ExpectedFile[] = [];
  let bytes = 0;
  for (let i = 0; i < tickets; i++) {
    const folder = folderName(i, tickets);
    folders.push(folder);
    await mkdir(join(root, folder), { recursive: true });
    for (let j = 0; j < filesPerTicket; j++) {
      const size = 2048 + (((i * filesPerTicket + j) * 397) % 2049);
      const { data, sha256 } = textBuffer(1 + i * 100 + j, size);
      const path = `${folder}/part-${j + 1}.txt`;
      await writeFile(join(root, path), data);
      files.push({ path, size, sha256 });
      bytes += size;
    }
  }
  return { folders, files, bytes };
}

/**
 * Problems with what arrived under `root` (empty when it is exactly `expected`): a missing or extra file (a
 * temporary file left behind counts), a wrong size, different bytes. At most `limit` are listed.
 */
export async function destinationProblems(root: string, expected: readonly ExpectedFile[], limit = 10): Promise<string[]> {
  const found = new Set(
    (await readdir(root, { recursive: true, withFileTypes: true }))
      .filter((e) => !e.isDirectory())
      .map((e) => relative(root, join(e.parentPath, e.name)).split('\\').join('/')),
  );
  const problems: string[] = [];
  const wanted = new Set(expected.map((e) => e.path));
  for (const path of found) if (!wanted.has(path)) problems.push(`unexpected file ${path}`);
  for (const e of expected) {
    if (problems.length >= limit) break;
    if (!found.has(e.path)) {
      problems.push(`missing ${e.path}`);
      continue;
    }
    const data = await readFile(join(root, e.path));
    if (data.length !== e.size) problems.push(`${e.path} has ${data.length} bytes, ${e.size} expected`);
    else if (createHash('sha256').update(data).digest('hex') !== e.sha256) problems.push(`${e.path} differs from its source (SHA-256)`);
  }
  return problems.slice(0, limit);
}
