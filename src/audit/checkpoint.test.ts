import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_AUDIT_KEY } from '../../test/audit-key-setup.js';
import { backendName, createTestStore, type TestStore } from '../../test/test-store.js';
import { appendAudit, GENESIS_HASH, readAudit } from './audit-log.js';
import { CHECKPOINT_KIND, checkpointIfDue, readCheckpoints, writeCheckpoint } from './checkpoint.js';
import { verifyAuditChain } from './verify-chain.js';

let store: TestStore;
let dir: string;
const HOUR = 3_600_000;

describe(`audit checkpoints (${backendName} store)`, () => {
  beforeAll(async () => {
    store = await createTestStore();
    dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-checkpoint-'));
  });
  afterAll(async () => {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('checkpointIfDue writes one on a log that has none, naming the genesis hash as the head before it', async () => {
    expect(await checkpointIfDue(store.db, { actor: 'system' })).toMatchObject({
      seq: 1,
      kind: CHECKPOINT_KIND,
      details: { headSeq: 0, headHash: GENESIS_HASH },
    });
    expect(await checkpointIfDue(store.db, { actor: 'system' })).toBeUndefined();
  });

  it('writeCheckpoint appends a record naming the head before it, and a 0600 line naming the record itself', async () => {
    const file = path.join(dir, 'sub', 'checkpoints.jsonl');
    const [before] = await readAudit(store.db);
    const first = await writeCheckpoint(store.db, { file, actor: 'cli:ops' });
    expect(first).toMatchObject({ seq: 2, kind: CHECKPOINT_KIND, actor: 'cli:ops', details: { headSeq: 1, headHash: before!.hash } });
    const head = await appendAudit(store.db, { kind: 'ticket.created', actor: 'alice' });
    const second = await writeCheckpoint(store.db, { file, actor: 'cli:ops' });
    expect(second).toMatchObject({ seq: 4, details: { headSeq: 3, headHash: head.hash } });

    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      { seq: 2, hash: first.hash, at: first.at.toISOString() },
      { seq: 4, hash: second.hash, at: second.at.toISOString() },
    ]);
    expect(await readCheckpoints(file)).toEqual([
      { seq: 2, hash: first.hash, at: first.at.toISOString() },
      { seq: 4, hash: second.hash, at: second.at.toISOString() },
    ]);
    expect(await verifyAuditChain(store.db, TEST_AUDIT_KEY, { checkpoints: await readCheckpoints(file) })).toMatchObject({ ok: true });
  });

  it('readCheckpoints names the file and line of a bad line, and a file it cannot read', async () => {
    const file = path.join(dir, 'bad.jsonl');
    const good = JSON.stringify({ seq: 1, hash: 'a'.repeat(64), at: '2026-01-01T00:00:00.000Z' });
    await writeFile(file, `${good}\n\nnot json\n`);
    await expect(readCheckpoints(file)).rejects.toThrow(`${file}:3: not a JSON line.`);
    await writeFile(file, `${good}\n{"seq":0,"hash":"${'a'.repeat(64)}","at":"2026-01-01T00:00:00Z"}\n`);
    await expect(readCheckpoints(file)).rejects.toThrow(`${file}:2: "seq" must be a whole number from 1.`);
    await writeFile(file, `{"seq":2,"hash":"ABC","at":"2026-01-01T00:00:00Z"}\n`);
    await expect(readCheckpoints(file)).rejects.toThrow(`${file}:1: "hash" must be 64 lowercase hex digits.`);
    await expect(readCheckpoints(path.join(dir, 'none.jsonl'))).rejects.toThrow(/cannot be read \(ENOENT\)/);
  });

  it('checkpointIfDue writes one when none is a day old, and only one when called from many places at once', async () => {
    const file = path.join(dir, 'due.jsonl');
    const last = (await readAudit(store.db, { limit: 1000 })).filter((r) => r.kind === CHECKPOINT_KIND).at(-1)!;
    const now = new Date(last.at.getTime() + 2 * HOUR);
    expect(await checkpointIfDue(store.db, { file, actor: 'system', now })).toBeUndefined();
    expect(await checkpointIfDue(store.db, { file, actor: 'system', now, everyMs: HOUR })).toMatchObject({ kind: CHECKPOINT_KIND });

    const later = new Date(now.getTime() + 25 * HOUR);
    const results = await Promise.all(Array.from({ length: 6 }, () => checkpointIfDue(store.db, { file, actor: 'system', now: later })));
    const written = results.filter((r) => r !== undefined);
    expect(written).toHaveLength(1);
    expect(written[0]!.at).toEqual(later);
    expect(await readCheckpoints(file)).toHaveLength(2);
    expect(await verifyAuditChain(store.db, TEST_AUDIT_KEY, { checkpoints: await readCheckpoints(file) })).toMatchObject({ ok: true });
  });
});
