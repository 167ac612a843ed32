import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connector } from '../../connectors/connector.js';
import { createEngineHarness, tinyElf, type EngineHarness } from '../../test/engine-harness.js';
import { parseExposition } from '../../test/parse-exposition.js';
import { backendName, createTestStore, type TestStore } from '../../test/test-store.js';
import { AirlockError } from '../errors.js';
import { AirlockMetrics, setMetrics } from './airlock-metrics.js';

let store: TestStore;
const harnesses: EngineHarness[] = [];
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(async () => {
  setMetrics(undefined);
  for (const h of harnesses) await h.cleanup();
  await store.close();
});

/** A fresh metric set for one test, recorded into by the real engine. */
async function scrapeAfter(run: () => Promise<unknown>) {
  const m = new AirlockMetrics({ db: store.db });
  setMetrics(m);
  await run();
  return parseExposition(await m.render());
}

describe(`engine metrics (${backendName})`, () => {
  it('counts every fetched and delivered item with its bytes, and times every check on every item', async () => {
    const h = await createEngineHarness(store);
    harnesses.push(h);
    await writeFile(path.join(h.inbox, 'a.txt'), 'hello');
    await writeFile(path.join(h.inbox, 'b.csv'), 'x,y\n1,2\n');
    await writeFile(path.join(h.inbox, 'tool.bin'), tinyElf());
    const id = await h.submit('per-item');
    const samples = await scrapeAfter(() => h.processor.process(id));
    expect(samples.get('airlock_items_total{phase="fetch",outcome="ok"}')).toBe(3);
    expect(samples.get('airlock_bytes_moved_total{phase="fetch"}')).toBe(5 + 8 + 64);
    expect(samples.get('airlock_transfer_duration_seconds_count{phase="fetch"}')).toBe(3);
    // The executable is blocked, so only the two clean files move on.
    expect(samples.get('airlock_items_total{phase="deliver",outcome="ok"}')).toBe(2);
    expect(samples.get('airlock_bytes_moved_total{phase="deliver"}')).toBe(5 + 8);
    for (const check of ['filetype', 'patterns', 'dlp'])
      expect(samples.get(`airlock_check_duration_seconds_count{check="${check}"}`)).toBe(3);
    expect(samples.get('airlock_tickets{state="partially_delivered"}')).toBe(1);
  });

  it('counts a delivery that fails as a failed item, without timing it', async () => {
    const h = await createEngineHarness(store, {
      wrapDestination: (real): Connector => ({
        ...real,
        list: real.list.bind(real),
        open: real.open.bind(real),
        describe: real.describe.bind(real),
        async write(_target, data) {
          data.destroy();
          throw new AirlockError('connector_failed', 'destination refused the write');
        },
      }),
    });
    harnesses.push(h);
    await writeFile(path.join(h.inbox, 'a.txt'), 'hello');
    const id = await h.submit('per-item');
    const samples = await scrapeAfter(() => h.processor.process(id));
    expect(samples.get('airlock_items_total{phase="deliver",outcome="failed"}')).toBe(1);
    expect(samples.get('airlock_items_total{phase="deliver",outcome="ok"}')).toBe(0);
    expect(samples.has('airlock_transfer_duration_seconds_count{phase="deliver"}')).toBe(false);
  });
});
