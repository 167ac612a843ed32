// The web console as people use it: the real `airlock serve` in a child process (embedded store, or its
// own PostgreSQL database when the run has DATABASE_URL), users and tokens made with the real CLI, and a
// headless Debian Chromium driven by playwright-core, one browser context per person so cookies stay apart.
import { existsSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { TERMINAL_STATES, type TicketState } from '../../src/tickets/states.js';
import { describeResult, freePort, makeWorkspace, REPO_ROOT, startCli, type CliProcess, type Workspace } from '../run-cli.js';

/** Debian's package (`apt-get install chromium`; .ci/run installs it). Playwright's own downloads do not work here. */
export const CHROMIUM = '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  // Containers usually cannot give Chromium the namespaces its sandbox needs.
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  // Nothing but the console under test on the network: no updates, no sync, no field trials.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const STARTUP_LIMIT_MS = 45_000;
const SHUTDOWN_LIMIT_MS = 20_000;
/** Per Playwright action and navigation; kept well below the tests' own timeouts so a stuck step fails as itself. */
export const STEP_TIMEOUT_MS = 15_000;
/** How long a ticket may take to reach a state (fetch, inspect, deliver, plus the page's polling interval). */
export const STATE_LIMIT_MS = 60_000;

/** Where screenshots of failed tests go (the folder is in .gitignore). */
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test-results', 'browser');

/** The people of the console tests: a requester, and the approver the review pipeline names. */
export const REQUESTER = 'alice';
export const APPROVER = 'mona';
/** Made on request (`staff: true`): one person holding the operator, auditor and admin roles. */
export const STAFF = 'olga';

/** A pipeline whose inbox holds a card number: the default policy sends it to one approver (mona). */
export const REVIEW_PIPELINE = 'console-review';
/** A pipeline of harmless files, one with markup in its name: allowed and delivered without a review. */
export const NAMES_PIPELINE = 'console-names';
/** The file of the names inbox whose path is markup (a folder `<b>bold<` holding `b>.txt`). */
export const MARKUP_FILE = '<b>bold</b>.txt';

const REVIEW_YAML = `# Written by test/browser/browser-harness.ts: one named approver decides alone.
name: ${REVIEW_PIPELINE}
description: The review inbox, delivered once ${APPROVER} approves.
source:
  kind: local
  root: ../examples/review-inbox
  include: ['**/*']
destination:
  kind: local
  root: ../examples/review-outbox
policy: default
delivery: all-or-nothing
checks: [filetype, patterns, dlp]
approvers:
  - name: ${APPROVER}
    email: ${APPROVER}@example.com
requesterConfirms: false
trigger: { manual: true }
`;

const NAMES_YAML = `# Written by test/browser/browser-harness.ts: harmless files, one with markup in its path.
name: ${NAMES_PIPELINE}
description: Plain text files whose names must show as text.
source:
  kind: local
  root: ../examples/names-inbox
  include: ['**/*']
destination:
  kind: local
  root: ../examples/names-outbox
policy: default
delivery: all-or-nothing
checks: [filetype, patterns, dlp]
requesterConfirms: false
trigger: { manual: true }
`;

/** One person at one browser: their own context (cookies), one page, and what the page complained about. */
export interface Person {
  readonly label: string;
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors, CSP violations and uncaught exceptions seen on this person's pages, with the URL. */
  readonly problems: string[];
  /** Signs in through the sign-in form with `token`; resolves once the browser has left the sign-in page. */
  signIn(token: string, next?: string): Promise<void>;
}

export interface ConsoleWorld {
  /** `http://localhost:<port>`: Chromium treats localhost as a secure context, which the `__Host-` cookies need. */
  readonly baseUrl: string;
  readonly workspace: Workspace;
  readonly browser: Browser;
  /** API tokens; `staff` only when the world was started with `staff: true`. */
  readonly tokens: { readonly requester: string; readonly approver: string; readonly staff?: string | undefined };
  readonly serve: CliProcess;
  /** A new context (fresh cookies) with one page, named `label` in screenshots. */
  newPerson(label: string, options?: { viewport?: { width: number; height: number } }): Promise<Person>;
  /** Full-page screenshots of every open page, as `<test>-<person>[-n].png`; returns their paths. */
  screenshotAll(testName: string): Promise<string[]>;
  /** Closes every person's context (each test starts with nobody signed in). */
  closePeople(): Promise<void>;
  /** How much the server has logged so far: pass it to serverErrors() to see only what came after. */
  serverLogMark(): number;
  /** The server's last logged errors since `mark`, for failure messages (empty when it logged none). */
  serverErrors(mark?: number): string;
  close(): Promise<void>;
}

/**
 * Makes the workspace (pipelines, inboxes, users, tokens), starts `airlock serve` and launches Chromium.
 * Users and tokens are made before serve starts: the embedded store belongs to one process at a time.
 */
export async function startConsoleWorld(options: { staff?: boolean } = {}): Promise<ConsoleWorld> {
  if (!existsSync(CHROMIUM))
    throw new Error(`Chromium is not installed at ${CHROMIUM}; install the Debian package (apt-get install chromium), as .ci/run does.`);
  const workspace = await makeWorkspace();
  let serve: CliProcess | undefined;
  let browser: Browser | undefined;
  try {
    await prepareWorkspace(workspace);
    const tokens = {
      requester: await addUser(workspace, REQUESTER, 'requester'),
      approver: await addUser(workspace, APPROVER, 'approver'),
      staff: options.staff ? await addUser(workspace, STAFF, 'operator,auditor,admin') : undefined,
    };
    const port = await freePort();
    // The server listens on 127.0.0.1 only. Chromium resolves `localhost` itself (RFC 6761, not /etc/hosts) to
    // ::1 and 127.0.0.1 and falls back at once when ::1 refuses, so pages load without delay on that address.
    serve = startCli(['serve', '--port', String(port), '--host', '127.0.0.1'], {
      cwd: workspace.dir,
      env: workspace.env,
    });
    await waitUntilHealthy(serve, `http://127.0.0.1:${port}`);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: STEP_TIMEOUT_MS * 2 });
    return createWorld({ workspace, serve, browser, tokens, baseUrl: `http://localhost:${port}` });
  } catch (error) {
    await browser?.close().catch(() => undefined);
    if (serve) await stopServe(serve);
    await workspace.cleanup();
    throw error;
  }
}

function createWorld(parts: {
  workspace: Workspace;
  serve: CliProcess;
  browser: Browser;
  tokens: ConsoleWorld['tokens'];
  baseUrl: string;
}): ConsoleWorld {
  const { workspace, serve, browser, baseUrl } = parts;
  const people: Person[] = [];
  return {
    ...parts,
    async newPerson(label, options = {}) {
      const context = await browser.newContext({ baseURL: baseUrl, viewport: options.viewport ?? { width: 1280, height: 800 } });
      context.setDefaultTimeout(STEP_TIMEOUT_MS);
      context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
      const page = await context.newPage();
      const problems: string[] = [];
      watchProblems(page, problems);
      const person: Person = {
        label,
        context,
        page,
        problems,
        async signIn(token, next) {
          await page.goto(next ? `/ui/login?next=${encodeURIComponent(next)}` : '/ui/login');
          await page.getByLabel('API token').fill(token);
          await page.getByRole('button', { name: 'Sign in' }).click();
          await page.waitForURL((url) => !url.pathname.startsWith('/ui/login'));
        },
      };
      people.push(person);
      return person;
    },
    async screenshotAll(testName) {
      await mkdir(SCREENSHOT_DIR, { recursive: true });
      const saved: string[] = [];
      for (const person of people) {
        const pages = person.context.pages();
        for (const [i, page] of pages.entries()) {
          if (page.isClosed()) continue;
          const file = path.join(SCREENSHOT_DIR, `${slug(testName)}-${slug(person.label)}${pages.length > 1 ? `-${i + 1}` : ''}.png`);
          try {
            await page.screenshot({ path: file, fullPage: true, timeout: 5_000 });
            saved.push(`${file} (${page.url()})`);
          } catch (error) {
            saved.push(`${file}: not saved (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
          }
        }
      }
      return saved;
    },
    async closePeople() {
      const leaving = people.splice(0);
      await Promise.all(leaving.map((person) => person.context.close().catch(() => undefined)));
    },
    serverLogMark: () => serve.stderr().length,
    serverErrors(mark = 0) {
      // pino writes one JSON object a line to stderr; 50 is error, 60 fatal.
      const errors = serve
        .stderr()
        .slice(mark)
        .split('\n')
        .filter((line) => /"level":(50|60)/.test(line));
      if (errors.length === 0) return '';
      return `\nairlock serve logged ${errors.length} error(s); the last ones:\n  ${errors
        .slice(-3)
        .map((line) => line.slice(0, 1_500))
        .join('\n  ')}`;
    },
    async close() {
      try {
        await browser.close();
      } finally {
        try {
          await stopServe(serve);
        } finally {
          await workspace.cleanup();
        }
      }
    },
  };
}

/**
 * Runs one browser test body; on failure, screenshots every open page and names the files in the error.
 * Playwright's step timeouts are shorter than the test's, so a stuck step fails here too (not as a bare
 * timeout). The test's people leave afterwards either way.
 */
export async function withScreenshots(world: ConsoleWorld, testName: string, body: () => Promise<void>): Promise<void> {
  const mark = world.serverLogMark();
  try {
    await body();
  } catch (error) {
    const shots = await world.screenshotAll(testName);
    const where =
      (shots.length ? `\nScreenshots:\n  ${shots.join('\n  ')}` : '\nNo page was open to screenshot.') + world.serverErrors(mark);
    if (error instanceof Error) {
      error.message += where;
      throw error;
    }
    throw new Error(`${String(error)}${where}`, { cause: error });
  } finally {
    await world.closePeople();
  }
}

/** Fills the new-transfer form and submits it; returns the ticket's reference from the page it lands on. */
export async function submitTransfer(page: Page, pipeline: string, purpose: string): Promise<string> {
  await page.goto('/ui/tickets/new');
  await page.getByLabel('Pipeline').selectOption(pipeline);
  await page.getByLabel('Purpose').fill(purpose);
  await page.getByRole('button', { name: 'Submit transfer' }).click();
  await page.waitForURL((url) => /^\/ui\/tickets\/T-\d+$/.test(url.pathname));
  return new URL(page.url()).pathname.split('/').pop()!;
}

/**
 * Waits until the ticket page shows `expected`, or a final state (then fails at once, naming it): the page
 * reloads itself when the state changes, so this needs no reload of ours.
 */
export async function waitForState(page: Page, expected: TicketState): Promise<void> {
  const settled = [expected, ...TERMINAL_STATES].map((state) => `[data-ticket-state="${state}"]`).join(', ');
  await page.locator(settled).first().waitFor({ timeout: STATE_LIMIT_MS });
  const shown = await page.locator('[data-ticket-state]').first().getAttribute('data-ticket-state');
  expect(shown, `ticket ${page.url()} settled in another state`).toBe(expected);
}

/**
 * Collects what a page reports as wrong: console errors (a failed load, a script error), anything about the
 * Content Security Policy (Chromium logs a refused inline script or style there, not as a page error), and
 * uncaught exceptions.
 */
function watchProblems(page: Page, problems: string[]): void {
  page.on('console', (message) => {
    const text = message.text();
    const source = message.location().url;
    // Chromium asks every new site for /favicon.ico by itself; that 404 says nothing about the console's pages.
    if (/^https?:\/\/[^/]+\/favicon\.ico$/.test(source)) return;
    if (message.type() === 'error' || /Content Security Policy/i.test(text)) {
      problems.push(`${message.type()} on ${page.url()}${source && source !== page.url() ? ` (from ${source})` : ''}: ${text}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`uncaught on ${page.url()}: ${error.message}`));
}

async function prepareWorkspace(workspace: Workspace): Promise<void> {
  const examples = path.join(workspace.dir, 'examples');
  await cp(path.join(REPO_ROOT, 'examples', 'review-inbox'), path.join(examples, 'review-inbox'), { recursive: true });
  await mkdir(path.join(examples, 'review-outbox'), { recursive: true });
  // A '/' cannot be part of a file name, so `<b>bold</b>.txt` is the file `b>.txt` in the folder `<b>bold<`.
  await mkdir(path.join(examples, 'names-inbox', '<b>bold<'), { recursive: true });
  await writeFile(path.join(examples, 'names-inbox', '<b>bold<', 'b>.txt'), 'A harmless note whose name is markup.\n');
  await writeFile(path.join(examples, 'names-inbox', 'plain.txt'), 'Another harmless note.\n');
  await mkdir(path.join(examples, 'names-outbox'), { recursive: true });
  await writeFile(path.join(workspace.dir, 'pipelines', `${REVIEW_PIPELINE}.yaml`), REVIEW_YAML);
  await writeFile(path.join(workspace.dir, 'pipelines', `${NAMES_PIPELINE}.yaml`), NAMES_YAML);
}

/** `airlock users add` then `airlock tokens create`; returns the token (printed alone on stdout). */
async function addUser(workspace: Workspace, name: string, roles: string): Promise<string> {
  const added = await workspace.run(['users', 'add', name, '--email', `${name}@example.com`, '--roles', roles]);
  if (added.code !== 0) throw new Error(`airlock users add ${name} failed.\n${describeResult(added)}`);
  const created = await workspace.run(['tokens', 'create', name, '--label', 'browser tests']);
  const token = created.stdout.trim();
  if (created.code !== 0 || !/^\S+$/.test(token)) throw new Error(`airlock tokens create ${name} failed.\n${describeResult(created)}`);
  return token;
}

/** Polls /healthz until it answers 200; fails early if the server exits, and after the startup limit. */
async function waitUntilHealthy(serve: CliProcess, base: string): Promise<void> {
  let exited = false;
  void serve.exited.then(
    () => (exited = true),
    () => (exited = true),
  );
  const deadline = Date.now() + STARTUP_LIMIT_MS;
  while (Date.now() < deadline) {
    if (exited)
      throw new Error(
        `airlock serve exited (code ${serve.child.exitCode}) before /healthz answered.\n${serve.stdout()}\n${serve.stderr()}`,
      );
    const status = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(
    `airlock serve did not answer /healthz with 200 within ${STARTUP_LIMIT_MS / 1000} s.\n${serve.stdout()}\n${serve.stderr()}`,
  );
}

/** SIGTERM as an operator would; SIGKILL if it is still running after the shutdown limit. */
async function stopServe(serve: CliProcess): Promise<void> {
  if (serve.child.exitCode !== null || serve.child.signalCode !== null) return;
  serve.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), SHUTDOWN_LIMIT_MS)));
  const outcome = await Promise.race([serve.exited.catch(() => undefined), late]).finally(() => clearTimeout(timer));
  if (outcome === 'late') {
    serve.child.kill('SIGKILL');
    await serve.exited.catch(() => undefined);
  }
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 80) || 'page'
  );
}
