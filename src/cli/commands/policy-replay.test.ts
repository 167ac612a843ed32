import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../../checks/check.js';
import { createTestStore, type TestStore } from '../../../test/test-store.js';
import { loadConfig } from '../../config/env.js';
import { createLogger } from '../../log/logger.js';
import { recordInspection, replaceItems, setItemVerdict, updateItem, type CheckRunRecord } from '../../tickets/item-store.js';
import { createTicket } from '../../tickets/ticket-store.js';
import { UsageError, type CliContext } from '../cli-context.js';
import { parseSince, policyReplayCommand } from './policy-replay.js';

const POLICIES = path.resolve(import.meta.dirname, '../../../policies');
const EXCERPT = '4111 11** **** 1111';

/** A CLI context on the repository's policies whose stdout is kept as a string. */
function bufferContext(): CliContext & { out: () => string } {
  const chunks: string[] = [];
  const stdout = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const env = { AIRLOCK_POLICIES_DIR: POLICIES, AIRLOCK_PIPELINES_DIR: path.join(POLICIES, 'no-such-folder') };
  return {
    config: loadConfig(env),
    logger: createLogger({ level: 'silent', pretty: false }),
    stdout,
    stderr: new Writable({ write: (_c, _e, done) => done() }),
    env,
    interactive: false,
    out: () => chunks.join(''),
  };
}

const cards = (n: number): Finding[] =>
  Array.from({ length: n }, (_, i) => ({
    check: 'patterns',
    detector: 'credit_card',
    severity: 'high',
    confidence: 0.95,
    location: { line: i + 1 },
    excerpt: EXCERPT,
    valueKey: `credit_card#${i + 1}`,
  }));
const run = (findings: Finding[], status: CheckRunRecord['status'] = 'ok'): CheckRunRecord => ({
  check: 'patterns',
  version: '1',
  status,
  durationMs: 3,
  findings,
});

let store: TestStore;
let first: number;
beforeAll(async () => {
  store = await createTestStore();
  const ticket = async (decided: [path: string, runs: CheckRunRecord[], verdict: 'allow' | 'review' | 'block', rule: string][]) => {
    const row = await createTicket(store.db, {
      pipeline: 'finance-export',
      requester: 'ann',
      purpose: 'q3',
      deliveryMode: 'per-item',
      policy: 'default',
    });
    const items = await replaceItems(store.db, row.id, [...decided.map((d) => d[0]), 'never-inspected.txt']);
    for (const [i, [, runs, verdict, rule]] of decided.entries()) {
      const item = items[i]!;
      await updateItem(store.db, item.id, { state: 'staged', size: 40_000, sha256: 'a'.repeat(64), mime: 'text/csv', detected_ext: 'csv' });
      await recordInspection(store.db, { id: item.id, ticketId: row.id }, runs);
      await setItemVerdict(store.db, item.id, { verdict, rule, reasons: [`${rule}: recorded`] });
    }
    return row;
  };
  // Decided by an older policy that only reviewed card numbers, however many.
  const old = await ticket([
    ['exports/cards.csv', [run(cards(12))], 'review', 'review-sensitive'],
    ['notes.md', [run([])], 'allow', 'default-allow'],
    ['slow.csv', [run([], 'timeout')], 'block', 'check-failed'],
  ]);
  await store.db
    .updateTable('tickets')
    .set({ created_at: new Date('2024-01-10T00:00:00Z') })
    .where('id', '=', old.id)
    .execute();
  first = old.number;
  await ticket([['later/cards.csv', [run(cards(11))], 'review', 'review-sensitive']]);
});
afterAll(() => store?.close());

const T = (n: number) => `T-${String(n).padStart(6, '0')}`;

describe('airlock policy replay', () => {
  it('prints the item decisions the policy would change, old -> new, and a summary', async () => {
    const ctx = bufferContext();
    expect(await policyReplayCommand(ctx, { policy: 'default', json: false }, { store })).toBe(0);
    expect(ctx.out().split('\n')).toEqual([
      `${T(first)}  exports/cards.csv  review/review-sensitive -> block/pci-bulk  (pci-bulk: 12 distinct credit_card values (rule needs 10))`,
      `${T(first + 1)}  later/cards.csv  review/review-sensitive -> block/pci-bulk  (pci-bulk: 11 distinct credit_card values (rule needs 10))`,
      expect.stringMatching(
        /^2 of 4 item decision\(s\) in 2 ticket\(s\) \(all tickets\), replayed with policy default [0-9a-f]{12} would change: 2 verdict\(s\), 0 deciding rule\(s\) only\.$/,
      ),
      '',
    ]);
    expect(ctx.out()).not.toContain('4111');
  });

  it('only replays tickets created since --since, and prints JSON lines with --json', async () => {
    const ctx = bufferContext();
    expect(
      await policyReplayCommand(ctx, { policy: path.join(POLICIES, 'default.yaml'), since: '2024-02-01', json: true }, { store }),
    ).toBe(0);
    const [change, summary] = ctx
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(change).toEqual({
      ticket: T(first + 1),
      ticketId: expect.any(String),
      pipeline: 'finance-export',
      ticketPolicy: 'default',
      item: 'later/cards.csv',
      before: { verdict: 'review', rule: 'review-sensitive' },
      after: {
        verdict: 'block',
        rule: 'pci-bulk',
        reasons: ['pci-bulk: 11 distinct credit_card values (rule needs 10)'],
        requiredApprovals: { count: 0, groups: [], distinctGroups: false },
      },
    });
    expect(summary).toEqual({
      summary: expect.objectContaining({
        policy: 'default',
        since: '2024-02-01T00:00:00.000Z',
        tickets: 1,
        items: 1,
        changed: 1,
        verdictsChanged: 1,
      }),
    });
  });

  it('refuses a --since that is not an ISO date', async () => {
    await expect(
      policyReplayCommand(bufferContext(), { policy: 'default', since: 'last tuesday', json: false }, { store }),
    ).rejects.toThrow(UsageError);
    expect(() => parseSince('2024-02-30')).toThrow(UsageError);
    expect(parseSince('2024-05-01T12:30')).toEqual(new Date('2024-05-01T12:30:00Z'));
    expect(parseSince('2024-05-01T12:30:00+02:00')).toEqual(new Date('2024-05-01T10:30:00Z'));
  });
});
