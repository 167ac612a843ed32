// `airlock audit …` run as an operator runs it: bin/airlock.js in a child process (test/run-cli.ts).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../src/db/database.js';
import { describeResult, makeWorkspace, type CliResult, type Workspace } from './run-cli.js';
import { backendName } from './test-store.js';

// Each CLI run is a fresh Node process (tsx plus the store): seconds, not milliseconds.
const SLOW = 180_000;

function expectExit(result: CliResult, code: number): void {
  expect(result.code, describeResult(result)).toBe(code);
}

describe(`airlock audit (${backendName} store)`, () => {
  let ws: Workspace;
  let checkpointHash: string;
  beforeAll(async () => {
    ws = await makeWorkspace();
  });
  afterAll(async () => {
    await ws?.cleanup();
  });

  /** The workspace's store, opened from the test (the child has exited, so the embedded store is free). */
  async function openWorkspaceStore(): Promise<Store> {
    return openStore(
      ws.env.DATABASE_URL ? { kind: 'postgres', url: ws.env.DATABASE_URL } : { kind: 'embedded', dataDir: path.join(ws.dir, '.airlock') },
    );
  }

  it(
    '`audit checkpoint` records the head and `audit verify` finds the log intact against the checkpoint file',
    async () => {
      const checkpoint = await ws.run(['audit', 'checkpoint']);
      expectExit(checkpoint, 0);
      const m = /^Checkpoint: record 1, hash ([0-9a-f]{64}) \(appended to (.+)\)\.\n$/.exec(checkpoint.stdout);
      expect(m, checkpoint.stdout).not.toBeNull();
      checkpointHash = m![1]!;
      const file = path.join(ws.dir, '.airlock', 'audit-checkpoints.jsonl');
      expect(m![2]).toBe(file);
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ seq: 1, hash: checkpointHash, at: expect.any(String) });

      const verify = await ws.run(['audit', 'verify']);
      expectExit(verify, 0);
      expect(verify.stdout).toContain(`Audit log intact: 1 record(s); head: record 1, hash ${checkpointHash}.\n`);
      expect(verify.stdout).toContain(`Checked against 1 checkpoint(s) in ${file} (latest: record 1 at `);
    },
    SLOW,
  );

  it(
    '`audit export` prints one valid JSON line or CEF line per record',
    async () => {
      await ws.run(['audit', 'checkpoint']).then((r) => expectExit(r, 0));
      const jsonl = await ws.run(['audit', 'export', '--format', 'jsonl', '--since', '2020-01-01']);
      expectExit(jsonl, 0);
      const lines = jsonl.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(records.map((r) => r.seq)).toEqual([1, 2]);
      expect(records[0]).toMatchObject({ kind: 'audit.checkpoint', hash: checkpointHash, details: { headSeq: 0 } });
      expect(records[1]).toMatchObject({
        kind: 'audit.checkpoint',
        prevHash: checkpointHash,
        details: { headSeq: 1, headHash: checkpointHash },
      });
      expect(Object.keys(records[0]!)).toEqual(['seq', 'at', 'kind', 'actor', 'ticketId', 'details', 'prevHash', 'hash', 'mac']);

      const cef = await ws.run(['audit', 'export', '--format', 'cef']);
      expectExit(cef, 0);
      const cefLines = cef.stdout.trimEnd().split('\n');
      expect(cefLines).toHaveLength(2);
      expect(cefLines[0]).toMatch(
        /^CEF:0\|Airlock\|Airlock\|[^|]+\|audit\.checkpoint\|audit\.checkpoint\|3\|rt=\d+ suser=cli:\S+ cs2Label=hash cs2=/,
      );
      expect(cefLines[0]).toContain(`cs2=${checkpointHash} cn1Label=seq cn1=1 msg={"headHash":"${'0'.repeat(64)}","headSeq":0}`);
    },
    SLOW,
  );

  it(
    'exits 2 naming the option for a bad --since, a missing or unknown --format, or an option of another subcommand',
    async () => {
      const since = await ws.run(['audit', 'export', '--format', 'jsonl', '--since', '2024-02-30']);
      expectExit(since, 2);
      expect(since.stderr).toContain('--since must be an ISO 8601 date such as 2024-05-01 or 2024-05-01T12:00:00Z; got "2024-02-30".');
      expect(since.stdout).toBe('');

      const until = await ws.run(['audit', 'export', '--format', 'jsonl', '--until', 'yesterday']);
      expectExit(until, 2);
      expect(until.stderr).toContain('--until must be an ISO 8601 date');

      const noFormat = await ws.run(['audit', 'export']);
      expectExit(noFormat, 2);
      expect(noFormat.stderr).toContain('--format is required: jsonl or cef.');

      const badFormat = await ws.run(['audit', 'export', '--format', 'xml']);
      expectExit(badFormat, 2);
      expect(badFormat.stderr).toContain('--format must be jsonl or cef; got "xml".');

      const wrongSub = await ws.run(['audit', 'verify', '--format', 'cef']);
      expectExit(wrongSub, 2);
      expect(wrongSub.stderr).toContain('--format is not an option of "airlock audit verify".');

      const unknown = await ws.run(['audit', 'rewrite']);
      expectExit(unknown, 2);
      expect(unknown.stderr).toContain('Unknown "airlock audit rewrite"');

      const missing = await ws.run(['audit', 'verify', '--checkpoints', 'nope.jsonl']);
      expectExit(missing, 2);
      expect(missing.stderr).toContain(`Checkpoint file ${path.join(ws.dir, 'nope.jsonl')} cannot be read (ENOENT).`);
    },
    SLOW,
  );

  it(
    '`audit verify` exits 1 naming the first broken record after a superuser changed one',
    async () => {
      const store = await openWorkspaceStore();
      try {
        await store.db.transaction().execute(async (trx) => {
          await sql`set local session_replication_role = replica`.execute(trx);
          await sql`update audit_log set actor = 'mallory' where seq = 2`.execute(trx);
        });
      } finally {
        await store.close();
      }
      const verify = await ws.run(['audit', 'verify']);
      expectExit(verify, 1);
      expect(verify.stdout).toContain('Audit log BROKEN at record 2: record 2 was modified.\nThe 1 record(s) before it are intact.\n');

      const json = await ws.run(['audit', 'verify', '--json']);
      expectExit(json, 1);
      expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, records: 1, firstBroken: { seq: 2, problem: 'record 2 was modified' } });
    },
    SLOW,
  );
});
