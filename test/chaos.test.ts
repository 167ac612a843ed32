// Crash safety: `kill -9` of a worker at moments chosen to land in fetch, inspect and deliver, 20 times,
// then one worker runs to the end. Afterwards every ticket rests (terminal or awaiting approval), the
// destination holds exactly the delivered files, whole (no temporary or duplicate file), staging holds only
// what a waiting ticket needs, and every ticket's events form one unbroken chain. Bounded: 20 kills, each
// after at most a few seconds, and a fixed limit for the final run. PostgreSQL only (several processes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_CARDS } from './sample-values.js';
import { tinyElf } from './engine-harness.js';
import { createWorkerCluster, workerStarted, type SourceFile, type WorkerCluster } from './worker-cluster.js';
import type { TicketState } from '../src/tickets/states.js';

const KILLS = 20;
const onPostgres = Boolean(process.env.DATABASE_URL);
/** Aimed at in turn; a kill waits (briefly) until some ticket is in the phase, then a little longer. */
const PHASES: readonly TicketState[] = ['fetching', 'inspecting', 'delivering'];

/** A small deterministic generator, so a failing run can be repeated with the seed it prints. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Text that inspects clean, `mib` MiB of it (large enough that a kill lands mid-stream). */
function cleanText(mib: number, tag: number): Buffer {
  const line = `ledger line for batch ${tag}: shipped 12 crates of spare parts to depot 7, signed off by the warehouse\n`;
  return Buffer.from(line.repeat(Math.ceil((mib * 1024 * 1024) / line.length)));
}

describe.runIf(onPostgres)('crash safety: kill -9 of workers during fetch, inspect and deliver', () => {
  let cluster: WorkerCluster;
  let clean: string[];
  let review: string[];
  let blocked: string[];
  const seed = Number(process.env.AIRLOCK_CHAOS_SEED ?? Date.now() % 1_000_000);
  const random = prng(seed);
  const chaosEnv = {
    // Killed jobs come back after a lapsed heartbeat; enough retries that kills alone never fail a ticket.
    AIRLOCK_JOB_RETRIES: '20',
    AIRLOCK_JOB_RETRY_DELAY_S: '1',
    AIRLOCK_JOB_HEARTBEAT_SECONDS: '10',
    AIRLOCK_QUEUE_SUPERVISE_SECONDS: '2',
  };

  beforeAll(async () => {
    cluster = await createWorkerCluster();
    const cleanTickets: SourceFile[][] = Array.from({ length: 36 }, (_, i) => [
      { name: 'ledger.txt', content: cleanText(2 + (i % 3), i) },
      { name: 'notes/readme.txt', content: Buffer.from(`batch ${i}\n`) },
    ]);
    const reviewTickets: SourceFile[][] = Array.from({ length: 6 }, (_, i) => [
      { name: 'payments.csv', content: Buffer.from(`customer,card\nACME ${i},${TEST_CARDS[0]}\n`) },
    ]);
    const blockedTickets: SourceFile[][] = Array.from({ length: 6 }, () => [{ name: 'tool.bin', content: tinyElf() }]);
    clean = await cluster.submit(cleanTickets);
    review = await cluster.submit(reviewTickets);
    blocked = await cluster.submit(blockedTickets);
  }, 180_000);

  afterAll(async () => {
    await cluster?.cleanup();
  });

  it(`keeps every invariant after ${KILLS} kills at random moments (seed printed on failure)`, async () => {
    const all = [...clean, ...review, ...blocked];
    const hits: string[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      const worker = cluster.startWorker(chaosEnv);
      await workerStarted(worker);
      const phase = PHASES[kill % PHASES.length]!;
      const aimUntil = Date.now() + 4_000;
      let inPhase: string[] = [];
      while (Date.now() < aimUntil) {
        const rows = await cluster.store.db.selectFrom('tickets').select('id').where('id', 'in', all).where('state', '=', phase).execute();
        inPhase = rows.map((r) => r.id);
        if (inPhase.length > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, Math.floor(random() * 150)));
      worker.child.kill('SIGKILL');
      await worker.exited;
      hits.push(inPhase.length > 0 ? phase : 'idle');
    }
    let context = `seed ${seed}; kills landed in: ${hits.join(', ')}`;
    // The kills really interrupted transfers in flight, not idle workers.
    expect(hits.filter((h) => h === 'fetching').length, context).toBeGreaterThan(0);
    expect(hits.filter((h) => h === 'delivering').length, context).toBeGreaterThan(0);

    const survivor = cluster.startWorker(chaosEnv);
    await workerStarted(survivor);
    await cluster.waitUntilSettled(all, 240_000);
    survivor.child.kill('SIGTERM');
    expect((await survivor.exited).code, context).toBe(0);

    expect(await cluster.checkInvariants(all), context).toEqual([]);
    const rows = await cluster.store.db
      .selectFrom('tickets')
      .select(['id', 'number', 'state', 'failure_reason'])
      .where('id', 'in', all)
      .execute();
    const stateOf = new Map(rows.map((t) => [t.id, t.state]));
    const failures = rows.filter((t) => t.state === 'failed').map((t) => `T-${t.number}: ${t.failure_reason}`);
    context += failures.length > 0 ? `; failed: ${failures.join(' | ')}` : '';
    expect(new Set(clean.map((id) => stateOf.get(id))), context).toEqual(new Set(['delivered']));
    expect(new Set(review.map((id) => stateOf.get(id))), context).toEqual(new Set(['awaiting_approval']));
    expect(new Set(blocked.map((id) => stateOf.get(id))), context).toEqual(new Set(['blocked']));
  }, 600_000);
});
