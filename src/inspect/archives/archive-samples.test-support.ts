import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import yazl from 'yazl';
import type { ContainerKind } from './container-kind.js';
import { walkContainer, type WalkResult } from './walk-container.js';
import type { ArchiveLimits } from './walk-context.js';

/** Test-only builders: every archive a test needs is made here, in memory, never committed. */

export const TEST_LIMITS: ArchiveLimits = { maxDepth: 3, maxRatio: 100, maxExpandedBytes: 4 * 1024 ** 3, maxEntries: 10_000 };

export interface SampleMember {
  name: string;
  data: Buffer | string;
  /** Deflate (the default) or store. */
  compress?: boolean;
}

export async function zipOf(members: readonly SampleMember[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const m of members) zip.addBuffer(Buffer.from(m.data), m.name, { compress: m.compress ?? true });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

export async function tarOf(
  members: readonly { name: string; data?: Buffer | string; type?: 'file' | 'directory' | 'symlink' }[],
): Promise<Buffer> {
  const pack = tar.pack();
  for (const m of members) {
    if (m.type === 'symlink') pack.entry({ name: m.name, type: 'symlink', linkname: 'target' });
    else if (m.type === 'directory') pack.entry({ name: m.name, type: 'directory' });
    else pack.entry({ name: m.name }, Buffer.from(m.data ?? ''));
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export const gzipOf = (data: Buffer | string): Buffer => gzipSync(data);

/** The central-directory records of a zip: where each starts, its name, and its local header's offset. */
function centralRecords(zip: Buffer): { at: number; name: string; local: number }[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let at = zip.readUInt32LE(end + 16);
  const records = [];
  for (let i = 0; i < zip.readUInt16LE(end + 10); i++) {
    const nameLength = zip.readUInt16LE(at + 28);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    records.push({ at, name, local: zip.readUInt32LE(at + 42) });
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return records;
}

/** Sets the "encrypted" flag (bit 0) of member `name` in both its local header and its central record. */
export function markEncrypted(zip: Buffer, name: string): Buffer {
  const out = Buffer.from(zip);
  const record = centralRecords(out).find((r) => r.name === name);
  if (!record) throw new Error(`no member ${name}`);
  out.writeUInt16LE(out.readUInt16LE(record.at + 8) | 1, record.at + 8);
  out.writeUInt16LE(out.readUInt16LE(record.local + 6) | 1, record.local + 6);
  return out;
}

/** Renames a member in place (same byte length), to plant names yazl refuses to write (`../x`, `/x`). */
export function renameMember(zip: Buffer, from: string, to: string): Buffer {
  if (Buffer.byteLength(from) !== Buffer.byteLength(to)) throw new Error('names must have the same byte length');
  const out = Buffer.from(zip);
  const record = centralRecords(out).find((r) => r.name === from);
  if (!record) throw new Error(`no member ${from}`);
  out.write(to, record.at + 46);
  out.write(to, record.local + 30);
  return out;
}

/** Overwrites member `name`'s declared uncompressed size in both headers: a header that lies. */
export function claimSize(zip: Buffer, name: string, size: number): Buffer {
  const out = Buffer.from(zip);
  const record = centralRecords(out).find((r) => r.name === name);
  if (!record) throw new Error(`no member ${name}`);
  out.writeUInt32LE(size, record.at + 24);
  out.writeUInt32LE(size, record.local + 22);
  return out;
}

/** Overwrites member `name`'s compression method in both headers (12 is bzip2, which yauzl cannot read). */
export function setMethod(zip: Buffer, name: string, method: number): Buffer {
  const out = Buffer.from(zip);
  const record = centralRecords(out).find((r) => r.name === name);
  if (!record) throw new Error(`no member ${name}`);
  out.writeUInt16LE(method, record.at + 10);
  out.writeUInt16LE(method, record.local + 8);
  return out;
}

export interface VisitedMember {
  entry: string;
  kind: 'raw' | 'document-text';
  text: string;
}

export interface WalkedSample extends WalkResult {
  members: VisitedMember[];
  /** Files left in the walk's temporary directory afterwards (should be none). */
  leftovers: string[];
}

/**
 * Writes `bytes` to a temporary file named `name` and walks it, collecting what the visitor saw. `visit`
 * replaces the default visitor (which reads every member to its end).
 */
export async function walkSample(
  bytes: Buffer,
  name: string,
  kind: ContainerKind,
  options: {
    limits?: Partial<ArchiveLimits>;
    signal?: AbortSignal;
    visit?: (member: VisitedMember & { stream: NodeJS.ReadableStream }) => Promise<void>;
  } = {},
): Promise<WalkedSample> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-archives-'));
  try {
    const file = join(dir, 'item');
    await writeFile(file, bytes);
    const tempDir = join(dir, 'spill');
    await mkdir(tempDir, { mode: 0o700 });
    const members: VisitedMember[] = [];
    const result = await walkContainer(
      { file, name, kind },
      async (member) => {
        if (options.visit) return options.visit({ entry: member.entry, kind: member.kind, text: '', stream: member.stream });
        const chunks: Buffer[] = [];
        for await (const chunk of member.stream as AsyncIterable<Buffer>) chunks.push(chunk);
        members.push({ entry: member.entry, kind: member.kind, text: Buffer.concat(chunks).toString('utf8') });
      },
      { limits: { ...TEST_LIMITS, ...options.limits }, tempDir, ...(options.signal ? { signal: options.signal } : {}) },
    );
    return { ...result, members, leftovers: await readdir(tempDir) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
