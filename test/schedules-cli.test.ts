// `airlock reload` and `airlock schedules` as an operator runs them, on the suite's store.
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeResult, makeWorkspace, type Workspace } from './run-cli.js';
import { backendName } from './test-store.js';

const NIGHTLY = [
  'name: nightly-move',
  'source: { kind: local, root: ../examples/inbox }',
  'destination: { kind: local, root: ../examples/outbox }',
  'policy: default',
  'trigger: { schedule: { cron: "0 2 * * *", timezone: Europe/Berlin, catchUp: once } }',
].join('\n');

describe(`airlock reload and airlock schedules (${backendName} store)`, () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await makeWorkspace();
    await writeFile(path.join(ws.dir, 'pipelines', 'nightly-move.yaml'), NIGHTLY + '\n');
  }, 60_000);
  afterAll(async () => {
    await ws?.cleanup();
  });

  it('reload registers the scheduled pipeline; schedules shows its next run at 02:00 Berlin time and no run yet', async () => {
    const reload = await ws.run(['reload']);
    expect(reload.code, describeResult(reload)).toBe(0);
    // The example vendor-a-to-b pipeline of the workspace is scheduled too.
    expect(reload.stdout.split('\n')).toContain('added     nightly-move');

    const listed = await ws.run(['schedules', '--json']);
    expect(listed.code, describeResult(listed)).toBe(0);
    const rows = listed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((row) => row.pipeline === 'nightly-move');
    expect(rows).toEqual([
      {
        pipeline: 'nightly-move',
        cron: '0 2 * * *',
        timezone: 'Europe/Berlin',
        catchUp: 'once',
        registered: true,
        nextRun: expect.stringMatching(/^\d{4}-\d\d-\d\dT0[01]:00:00\.000Z$/),
        lastRun: null,
      },
    ]);
    const text = await ws.run(['schedules']);
    expect(text.stdout).toContain('nightly-move  "0 2 * * *" Europe/Berlin  catchUp once\n');
    expect(text.stdout).toContain('  last never\n');
  }, 120_000);

  it('reload keeps the schedule of a pipeline whose file breaks (exit 1, naming the file), and removes it once the file is gone', async () => {
    const file = path.join(ws.dir, 'pipelines', 'nightly-move.yaml');
    await writeFile(file, NIGHTLY.replace('policy: default', 'policy: [') + '\n');
    const kept = await ws.run(['reload']);
    expect(kept.code, describeResult(kept)).toBe(1);
    expect(kept.stdout).toMatch(/^kept {6}nightly-move: .*nightly-move\.yaml/);

    await rm(file);
    const removed = await ws.run(['reload']);
    expect(removed.code, describeResult(removed)).toBe(0);
    expect(removed.stdout.split('\n')).toContain('removed   nightly-move');
  }, 120_000);
});
