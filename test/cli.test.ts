// End-to-end tests of the `airlock` command: each runs bin/airlock.js in a child process inside a temp
// copy of pipelines/, policies/ and examples/inbox/ (see run-cli.ts), on the embedded store or, when
// DATABASE_URL is set, on a database of its own.
import { createHash } from 'node:crypto';
import { readdir, readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TicketDetails } from '../src/tickets/ticket-presenter.js';
import { describeResult, makeWorkspace, type CliResult, type Workspace } from './run-cli.js';
import { backendName } from './test-store.js';

// Each CLI run is a fresh Node process (tsx plus the store): seconds, not milliseconds.
const SLOW = 180_000;

const CLEAN_FILES = ['notes.md', 'readme.txt', 'reports/q3-summary.csv'];
const ALL_FILES = [...CLEAN_FILES, 'tools/update.bin'];
const PER_ITEM_EVENTS = ['requested', 'fetching', 'inspecting', 'allowed', 'delivering', 'partially_delivered'];

/** Every regular file under `dir`, as sorted posix paths relative to it. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

async function sha256Of(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

function expectExit(result: CliResult, code: number): void {
  expect(result.code, describeResult(result)).toBe(code);
}

/** The example pipeline's text with some top-level lines replaced, for variants written into a workspace. */
async function pipelineVariant(ws: Workspace, replace: Record<string, string>): Promise<string> {
  let text = await readFile(path.join(ws.dir, 'pipelines', 'example-local.yaml'), 'utf8');
  for (const [from, to] of Object.entries(replace)) {
    expect(text, `example-local.yaml should contain ${JSON.stringify(from)}`).toContain(from);
    text = text.replace(from, to);
  }
  return text;
}

describe(`airlock run example-local (per-item, ${backendName} store)`, () => {
  let ws: Workspace;
  let run: CliResult;
  let ticketJson: CliResult;
  let details: TicketDetails;

  beforeAll(async () => {
    ws = await makeWorkspace();
    run = await ws.run(['run', 'example-local']);
    ticketJson = await ws.run(['ticket', 'T-000001', '--json']);
    details = JSON.parse(ticketJson.stdout) as TicketDetails;
  }, SLOW);
  afterAll(async () => {
    await ws?.cleanup();
  });

  it('exits 0 and reports T-000001 partially_delivered, the three clean files delivered and update.bin blocked', () => {
    expectExit(run, 0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('T-000001 partially_delivered: 3 delivered, 1 not delivered');
    for (const file of CLEAN_FILES) expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^\\s+delivered\\s+${file}$`)));
    expect(lines).toContainEqual(expect.stringMatching(/^\s+blocked\s+tools\/update\.bin \(dangerous-content: executable found/));
    expect(run.stdout).toContain('Details: npx airlock ticket T-000001');
    expect(run.stderr).toContain('T-000001 submitted for pipeline example-local');
  });

  it('delivers exactly the three clean files to the outbox, byte for byte, and not update.bin', async () => {
    const outbox = path.join(ws.dir, 'examples', 'outbox');
    expect(await listFiles(outbox)).toEqual(CLEAN_FILES);
    for (const file of CLEAN_FILES) {
      const delivered = await readFile(path.join(outbox, file));
      expect(delivered.equals(await readFile(path.join(ws.dir, 'examples', 'inbox', file))), `${file} differs from the inbox copy`).toBe(
        true,
      );
    }
    await expect(stat(path.join(outbox, 'tools', 'update.bin'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('leaves no .airlock-tmp- temporary files anywhere in the workspace', async () => {
    const leftovers = (await listFiles(path.join(ws.dir, 'examples'))).filter((f) => f.includes('.airlock-tmp-'));
    expect(leftovers).toEqual([]);
  });

  it("removes the ticket's staging folder after delivery and keeps the staging root private (0700)", async () => {
    expectExit(ticketJson, 0);
    const stagingRoot = path.join(ws.dir, '.airlock', 'staging');
    await expect(stat(path.join(stagingRoot, details.uuid))).rejects.toMatchObject({ code: 'ENOENT' });
    const root = await stat(stagingRoot).catch(() => undefined);
    if (root) {
      expect(root.isDirectory()).toBe(true);
      expect((root.mode & 0o777).toString(8)).toBe('700');
      expect(await readdir(stagingRoot)).toEqual([]);
    }
  });

  it('`ticket T-000001` shows the six events in order and the executable finding on update.bin', async () => {
    const shown = await ws.run(['ticket', 'T-000001']);
    expectExit(shown, 0);
    expect(shown.stdout).toMatch(/^T-000001 {2}PARTIALLY_DELIVERED {2}\(/);
    const events = shown.stdout.slice(shown.stdout.indexOf('\nEvents:\n'));
    const targets = [...events.matchAll(/-> (\S+)/g)].map((m) => m[1]);
    expect(targets).toEqual(PER_ITEM_EVENTS);
    expect(shown.stdout).toMatch(/^ {2}item 4: filetype\/executable critical \(0\.99\)/m);
    expect(shown.stdout).toMatch(/^\s+4\. blocked\s+block\s+tools\/update\.bin/m);
  });

  it('`ticket T-000001 --json` gives each item the sha256 of its inbox file, the decision and six events', async () => {
    expectExit(ticketJson, 0);
    expect(ticketJson.stdout.trim().split('\n')).toHaveLength(1);
    expect(details).toMatchObject({ id: 'T-000001', pipeline: 'example-local', state: 'partially_delivered', deliveryMode: 'per-item' });
    expect(details.items.map((i) => i.path)).toEqual(ALL_FILES);
    for (const item of details.items) {
      expect(item.sha256, item.path).toBe(await sha256Of(path.join(ws.dir, 'examples', 'inbox', item.path)));
    }
    expect(details.items.map((i) => [i.path, i.state, i.verdict])).toEqual([
      ['notes.md', 'delivered', 'allow'],
      ['readme.txt', 'delivered', 'allow'],
      ['reports/q3-summary.csv', 'delivered', 'allow'],
      ['tools/update.bin', 'blocked', 'block'],
    ]);
    expect(details.decision).toMatchObject({ verdict: 'allow', rule: 'per-item', policy: 'default' });
    expect(details.events).toHaveLength(6);
    expect(details.events.map((e) => e.to)).toEqual(PER_ITEM_EVENTS);
    expect(details.findings).toEqual([
      expect.objectContaining({ item: 4, check: 'filetype', detector: 'executable', severity: 'critical' }),
    ]);
  });

  it('`tickets --json` lists the ticket as one JSON line', async () => {
    const listed = await ws.run(['tickets', '--json']);
    expectExit(listed, 0);
    const rows = listed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; uuid: string; state: string });
    expect(rows).toEqual([
      expect.objectContaining({ id: 'T-000001', uuid: details.uuid, pipeline: 'example-local', state: 'partially_delivered' }),
    ]);
  });
});

describe('airlock run --json', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await makeWorkspace();
  });
  afterAll(async () => {
    await ws?.cleanup();
  });

  it(
    'prints exactly one JSON object on stdout and nothing else',
    async () => {
      const result = await ws.run(['run', '--json', 'example-local']);
      expectExit(result, 0);
      expect(result.stdout.endsWith('\n')).toBe(true);
      const lines = result.stdout.slice(0, -1).split('\n');
      expect(lines).toHaveLength(1);
      const parsed = JSON.parse(lines[0]!) as TicketDetails;
      expect(parsed).toMatchObject({ id: 'T-000001', state: 'partially_delivered' });
      expect(parsed.items).toHaveLength(4);
      expect(result.stderr).not.toContain('submitted for pipeline');
    },
    SLOW,
  );
});

describe('airlock usage errors', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await makeWorkspace();
  });
  afterAll(async () => {
    await ws?.cleanup();
  });

  it(
    '`run no-such-pipeline` exits 2 naming the pipeline and listing example-local',
    async () => {
      const result = await ws.run(['run', 'no-such-pipeline']);
      expectExit(result, 2);
      expect(result.stderr).toMatch(/"no-such-pipeline" was not found.*available: example-local/);
      expect(result.stdout).toBe('');
    },
    SLOW,
  );

  it(
    '`tickets --state nonsense` exits 2 naming the state and the valid ones',
    async () => {
      const result = await ws.run(['tickets', '--state', 'nonsense']);
      expectExit(result, 2);
      expect(result.stderr).toContain('Unknown state "nonsense"');
      expect(result.stderr).toContain('partially_delivered');
    },
    SLOW,
  );

  it(
    'an unknown command exits 2 with a message and the usage',
    async () => {
      const result = await ws.run(['frobnicate']);
      expectExit(result, 2);
      expect(result.stderr).toContain('Unknown command "frobnicate"');
      expect(result.stderr).toContain('Usage: airlock <command>');
    },
    SLOW,
  );

  it(
    'an unknown flag exits 2 naming the flag and the command',
    async () => {
      const result = await ws.run(['run', 'example-local', '--frobnicate']);
      expectExit(result, 2);
      expect(result.stderr).toContain("Unknown option '--frobnicate'");
      expect(result.stderr).toContain('(in "airlock run")');
      // Rejected before anything ran: no ticket, no delivery.
      expect(await listFiles(path.join(ws.dir, 'examples', 'outbox'))).toEqual([]);
    },
    SLOW,
  );

  it(
    '`--help` exits 0 and prints the usage on stdout',
    async () => {
      const result = await ws.run(['--help']);
      expectExit(result, 0);
      expect(result.stdout).toContain('Usage: airlock <command>');
      expect(result.stdout).toContain('Exit status: 0 done, 1 failure, 2 usage error.');
    },
    SLOW,
  );

  it(
    '`migrate` exits 0, and a second run finds the schema up to date',
    async () => {
      const first = await ws.run(['migrate']);
      expectExit(first, 0);
      expect(first.stdout).toMatch(/^(Applied .+|Database is up to date)\.\n/);
      expect(first.stdout).toContain(
        process.env.DATABASE_URL ? 'Store: PostgreSQL (DATABASE_URL).' : `Store: embedded, ${path.join(ws.dir, '.airlock')}.`,
      );
      const second = await ws.run(['migrate']);
      expectExit(second, 0);
      expect(second.stdout).toMatch(/^Database is up to date\.\n/);
    },
    SLOW,
  );
});

describe('a bad pipeline file next to a good one', () => {
  let ws: Workspace;
  let deliveryLine: number;
  beforeAll(async () => {
    ws = await makeWorkspace();
    const good = await readFile(path.join(ws.dir, 'pipelines', 'example-local.yaml'), 'utf8');
    deliveryLine = good.split('\n').findIndex((line) => line.startsWith('delivery:')) + 1;
    expect(deliveryLine).toBeGreaterThan(0);
    const bad = await pipelineVariant(ws, { 'name: example-local': 'name: bad', 'delivery: per-item': 'delivery: sometimes' });
    await writeFile(path.join(ws.dir, 'pipelines', 'bad.yaml'), bad);
  });
  afterAll(async () => {
    await ws?.cleanup();
  });

  it(
    '`validate` exits 1, points at bad.yaml:<line>:<col>: delivery, and still reports example-local ok',
    async () => {
      const result = await ws.run(['validate']);
      expectExit(result, 1);
      expect(result.stdout).toContain(`ERR pipelines/bad.yaml:${deliveryLine}:1: delivery: `);
      expect(result.stdout).toContain('"all-or-nothing"|"per-item"');
      expect(result.stdout).toMatch(/^ok {2}pipeline example-local \(local -> local, policy default, per-item\)$/m);
      expect(result.stdout).toContain('1 problem(s) found.');
    },
    SLOW,
  );

  it(
    '`run example-local` still works with the bad file present',
    async () => {
      const result = await ws.run(['run', 'example-local']);
      expectExit(result, 0);
      expect(result.stdout).toMatch(/^T-000001 partially_delivered: 3 delivered, 1 not delivered$/m);
      expect(await listFiles(path.join(ws.dir, 'examples', 'outbox'))).toEqual(CLEAN_FILES);
    },
    SLOW,
  );
});

describe('a quarantine release destination with bad settings', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await makeWorkspace();
    const good = await readFile(path.join(ws.dir, 'pipelines', 'example-local.yaml'), 'utf8');
    const quarantined =
      good.replace('name: example-local', 'name: quarantined') + 'quarantine: { days: 7, releaseTo: { kind: sftp, host: 127.0.0.1 } }\n';
    await writeFile(path.join(ws.dir, 'pipelines', 'quarantined.yaml'), quarantined);
  });
  afterAll(async () => {
    await ws?.cleanup();
  });

  it(
    '`validate` builds the release connector too and names it',
    async () => {
      const result = await ws.run(['validate']);
      expectExit(result, 1);
      expect(result.stdout).toMatch(/^ERR .*quarantined\.yaml: quarantine\.releaseTo: /m);
    },
    SLOW,
  );
});

describe('an all-or-nothing pipeline over the same inbox', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await makeWorkspace();
    await mkdir(path.join(ws.dir, 'examples', 'strict-out'));
    const strict = await pipelineVariant(ws, {
      'name: example-local': 'name: strict-copy',
      'delivery: per-item': 'delivery: all-or-nothing',
      'root: ../examples/outbox': 'root: ../examples/strict-out',
    });
    await writeFile(path.join(ws.dir, 'pipelines', 'strict-copy.yaml'), strict);
  });
  afterAll(async () => {
    await ws?.cleanup();
  });

  it(
    'ends blocked because of update.bin and delivers none of the files',
    async () => {
      const result = await ws.run(['run', 'strict-copy']);
      // A blocked ticket is a settled decision, not a failure of the command.
      expectExit(result, 0);
      expect(result.stdout.split('\n')[0]).toBe('T-000001 blocked: 0 delivered, 4 not delivered');
      for (const file of CLEAN_FILES) expect(result.stdout).toMatch(new RegExp(`^\\s+held\\s+${file} `, 'm'));
      expect(result.stdout).toMatch(/^\s+blocked\s+tools\/update\.bin /m);
      expect(await listFiles(path.join(ws.dir, 'examples', 'strict-out'))).toEqual([]);
      expect(await listFiles(path.join(ws.dir, 'examples', 'outbox'))).toEqual([]);

      const shown = await ws.run(['ticket', 'T-000001', '--json']);
      expectExit(shown, 0);
      const details = JSON.parse(shown.stdout) as TicketDetails;
      expect(details).toMatchObject({ state: 'blocked', deliveryMode: 'all-or-nothing', decision: { verdict: 'block' } });
      expect(details.events.map((e) => e.to)).toEqual(['requested', 'fetching', 'inspecting', 'blocked']);
      await expect(stat(path.join(ws.dir, '.airlock', 'staging', details.uuid))).rejects.toMatchObject({ code: 'ENOENT' });
    },
    SLOW,
  );
});

describe('a pipeline whose source folder does not exist', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await makeWorkspace();
    const missing = await pipelineVariant(ws, {
      'name: example-local': 'name: missing-src',
      'root: ../examples/inbox': 'root: ../examples/nowhere',
    });
    await writeFile(path.join(ws.dir, 'pipelines', 'missing-src.yaml'), missing);
  });
  afterAll(async () => {
    await ws?.cleanup();
  });

  it(
    'exits 1 with a failed ticket whose reason names the missing folder',
    async () => {
      const nowhere = path.join(ws.dir, 'examples', 'nowhere');
      const result = await ws.run(['run', 'missing-src']);
      expectExit(result, 1);
      expect(result.stdout.split('\n')[0]).toBe('T-000001 failed: 0 delivered, 0 not delivered');
      expect(result.stdout).toContain(`  reason: Local connector root ${nowhere} does not exist`);

      const shown = await ws.run(['ticket', 'T-000001', '--json']);
      expectExit(shown, 0);
      const details = JSON.parse(shown.stdout) as TicketDetails;
      expect(details.state).toBe('failed');
      expect(details.failureReason).toContain(nowhere);
      expect(details.items).toEqual([]);
      expect(await listFiles(path.join(ws.dir, 'examples', 'outbox'))).toEqual([]);
    },
    SLOW,
  );
});
