// Proof that data never leaks (issue 8). A canary unique to this run and whole sensitive values (a card
// number, an IBAN, an AWS key pair, an RSA private key) are planted in plain text, CSV, zip and docx files,
// and tickets carry them down every path: allowed and delivered; put up for review, then confirmed and
// approved by e-mailed links, or through the API, or escalated by link and rejected through the API; blocked;
// a destination that refuses writes; a destination whose errors quote what it was sent (retried once); a
// check whose error quotes the content; a check that times out; damaged archives. Everything runs for real:
// the API app, pg-boss workers driving the TicketProcessor, the outbox worker sending to a real SMTP server.
// Then the planted values (as they are, and base64/hex encoded) are searched for in every log line, every
// mail as raw MIME and decoded, every API response (headers and body), every row of every table (and
// pg-boss's job row while it waits to retry), and the error messages among them. Only the destinations may
// hold them; findings show masked excerpts, and those must be there.
import { generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Check } from '../checks/check.js';
import type { Connector } from '../connectors/connector.js';
import { createToken } from '../src/auth/token-store.js';
import { addUser } from '../src/auth/user-store.js';
import { systemClock } from '../src/clock.js';
import type { CommunicationContext } from '../src/approvals/review-task.js';
import { createPipelineResolver } from '../src/engine/pipeline-resolver.js';
import type { PipelineResolver } from '../src/engine/resolved-pipeline.js';
import { TicketProcessor } from '../src/engine/ticket-processor.js';
import { AirlockError } from '../src/errors.js';
import { createApp } from '../src/http/app.js';
import { zipOf } from '../src/inspect/archives/archive-samples.test-support.js';
import { DEFAULT_LIMITS } from '../src/inspect/inspection-limits.js';
import { TicketQueue } from '../src/jobs/ticket-queue.js';
import { createLogger } from '../src/log/logger.js';
import { createMailTransport } from '../src/notify/mail-sender.js';
import { OutboxWorker } from '../src/notify/outbox-worker.js';
import { StagingArea } from '../src/staging/staging-area.js';
import { ACTIVE_STATES, type TicketState } from '../src/tickets/states.js';
import { getTicketRow } from '../src/tickets/ticket-store.js';
import { tinyElf } from './engine-harness.js';
import {
  describeHits,
  dumpDatabase,
  findLeaks,
  needlesOf,
  rowHaystacks,
  scrub,
  type DatabaseDump,
  type Haystack,
  type Needle,
} from './leak-search.js';
import { TEST_CARDS } from './sample-values.js';
import { startSmtpServer, type SmtpTestServer } from './servers/smtp-server.js';
import { backendName, createTestStore, type TestStore } from './test-store.js';

const REPO = path.resolve(import.meta.dirname, '..');
const PUBLIC_URL = 'http://airlock.test:8080';
/** How much of what it was sent the echoing destination quotes in its errors: the whole of every clean file. */
const ECHO_BYTES = 1024;
/** Short enough to keep the run quick, long enough for every real check on these small files. */
const CHECK_TIMEOUT_MS = 5_000;

// ---- What is planted: fresh values each run, so nothing else (another test, an old row) can match them. ----

const CANARY = `CANARY-${randomBytes(16).toString('hex')}`;
const CARD = TEST_CARDS[0];
const CARD_GROUPED = CARD.replace(/(\d{4})(?=\d)/g, '$1 ');
const IBAN = randomGermanIban();
const IBAN_GROUPED = IBAN.replace(/(.{4})(?=.)/g, '$1 ');
const AWS_KEY_ID = `AKIA${Array.from({ length: 16 }, () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[randomInt(32)]).join('')}`;
const AWS_SECRET = randomBytes(30).toString('base64');
const PRIVATE_KEY = generateKeyPairSync('rsa', {
  modulusLength: 1024,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
}).privateKey;
/** The key's base64 body lines: any one of them is part of the secret. */
const KEY_LINES = PRIVATE_KEY.split('\n').filter((line) => line !== '' && !line.startsWith('-----'));

const NEEDLES: Needle[] = needlesOf([
  { label: 'canary', forms: [CANARY], hex: true },
  { label: 'card number', forms: [CARD, CARD_GROUPED] },
  { label: 'IBAN', forms: [IBAN, IBAN_GROUPED] },
  { label: 'AWS access key id', forms: [AWS_KEY_ID] },
  { label: 'AWS secret access key', forms: [AWS_SECRET] },
  ...KEY_LINES.map((line, i) => ({ label: `private key line ${i + 1}`, forms: [line] })),
]);

/** How the checks mask what they found: what findings, mails and pages may show instead. */
const MASKED = {
  card: `${CARD.slice(0, 4)}${'*'.repeat(CARD.length - 8)}${CARD.slice(-4)}`,
  cardGrouped: `${CARD_GROUPED.slice(0, 4)} **** **** ${CARD_GROUPED.slice(-4)}`,
  iban: `${IBAN.slice(0, 4)}${'*'.repeat(IBAN.length - 6)}${IBAN.slice(-2)}`,
  awsKey: 'AKIA[redacted]',
  privateKey: '-----BEGIN RSA PRIVATE KEY----- [redacted]',
};

/** A German IBAN with a random account and valid check digits (ISO 13616, mod 97). */
function randomGermanIban(): string {
  const bban = Array.from({ length: 18 }, () => randomInt(10)).join('');
  const numeric = `${bban}131400`; // D = 13, E = 14, check digits 00
  const check = 98 - Number(BigInt(numeric) % 97n);
  return `DE${String(check).padStart(2, '0')}${bban}`;
}

/** A minimal .docx (the parts Office needs to recognise one) whose body is `paragraphs`; stored, not deflated. */
function docx(paragraphs: string): Promise<Buffer> {
  return zipOf([
    {
      name: '[Content_Types].xml',
      data:
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>' +
        '</Types>',
    },
    {
      name: 'word/document.xml',
      data: `<?xml version="1.0"?><w:document xmlns:w="w"><w:body>${paragraphs}</w:body></w:document>`,
      compress: false,
    },
  ]);
}
const para = (...runs: string[]) => `<w:p>${runs.map((r) => `<w:r><w:t xml:space="preserve">${r}</w:t></w:r>`).join('')}</w:p>`;

/** Only the canary: every item is allowed. One member of each zip is stored so the raw bytes hold the canary too. */
async function cleanFiles(): Promise<Record<string, Buffer | string>> {
  return {
    'notes.txt': `Project notes\nReference: ${CANARY}\nNext meeting on Monday.\n`,
    'orders.csv': `region,orders,reference\nNorth,412,${CANARY}\nSouth,233,${CANARY}\n`,
    'bundle.zip': await zipOf([
      { name: 'readme.txt', data: `Bundle reference ${CANARY}\n`, compress: false },
      { name: 'data/orders.csv', data: `region,orders,reference\nWest,97,${CANARY}\n` },
    ]),
    // The second paragraph splits the canary across formatting runs: only the extracted text holds it whole.
    'letter.docx': await docx(para(`Dear partner, our reference is ${CANARY}.`) + para('Ref ', CANARY.slice(0, 11), CANARY.slice(11))),
  };
}

/** The canary next to a card number and an IBAN: every item goes to review. */
async function sensitiveFiles(): Promise<Record<string, Buffer | string>> {
  return {
    'payments.csv': `customer,amount,card,iban,reference\nACME Ltd,1200.00,${CARD},${IBAN},${CANARY}\n`,
    'transfer-memo.txt': `Please wire the deposit to IBAN ${IBAN_GROUPED} and charge card ${CARD_GROUPED}.\nOur reference: ${CANARY}\n`,
    'statements.zip': await zipOf([
      { name: 'q1/statement.csv', data: `account,card,iban,reference\n1,${CARD},${IBAN},${CANARY}\n`, compress: false },
      { name: 'q2/statement.csv', data: `account,card,iban,reference\n2,${CARD},${IBAN},${CANARY}\n` },
    ]),
    'contract.docx': await docx(
      para(`Payment card ${CARD} and account ${IBAN}.`) + para('Reference ', CANARY.slice(0, 12), CANARY.slice(12)),
    ),
  };
}

/** The canary next to credentials and inside a program: every item is blocked. */
async function forbiddenFiles(): Promise<Record<string, Buffer | string>> {
  return {
    'deploy-key.pem': `# deploy key, reference ${CANARY}\n${PRIVATE_KEY}`,
    'access-keys.csv': `user,access_key_id,secret_access_key,reference\ndeploy,${AWS_KEY_ID},${AWS_SECRET},${CANARY}\n`,
    'tool.bin': Buffer.concat([tinyElf(), Buffer.from(`\0${CANARY}\0${CARD}\0${IBAN}\0`)]),
    'keys.zip': await zipOf([
      { name: 'ops/id_rsa', data: `${PRIVATE_KEY}# ${CANARY}\n`, compress: false },
      { name: 'ops/notes.txt', data: `reference ${CANARY} iban ${IBAN} card ${CARD}\n` },
    ]),
    'runbook.docx': await docx(para(`Access key ${AWS_KEY_ID} secret ${AWS_SECRET}`) + para(`Reference ${CANARY}`)),
  };
}

/** Archives cut short: their central directory is gone, so they cannot be fully inspected and are blocked. */
async function damagedFiles(): Promise<Record<string, Buffer | string>> {
  const zip = await zipOf([{ name: 'statement.csv', data: `card,iban,reference\n${CARD},${IBAN},${CANARY}\n`, compress: false }]);
  const document = await sensitiveFiles().then((f) => f['contract.docx'] as Buffer);
  return { 'damaged.zip': zip.subarray(0, zip.length - 40), 'damaged.docx': document.subarray(0, document.length - 60) };
}

// ---- Failure injection: third-party behaviour Airlock must contain, not parts of Airlock. ----

/**
 * A destination whose errors quote what it was sent, as some remote APIs echo a rejected body: the first write
 * fails as a transient outage (an AirlockError whose cause quotes the bytes), every later one as a plain error.
 */
function echoingDestination(real: Connector, state: { writes: number }): Connector {
  return {
    kind: real.kind,
    list: (selector) => real.list(selector),
    open: (file) => real.open(file),
    describe: () => real.describe(),
    close: async () => real.close?.(),
    async write(file: string, data: Readable) {
      const sent = await firstBytes(data, ECHO_BYTES);
      data.destroy();
      if (state.writes++ === 0) {
        throw new AirlockError('connector_unreachable', 'The destination dropped the connection.', {
          cause: new Error(`socket hang up after sending ${JSON.stringify(sent)}`),
        });
      }
      throw Object.assign(new Error(`HTTP 400 Bad Request: rejected payload ${JSON.stringify(sent)}`), { status: 400 });
    },
  };
}

async function firstBytes(stream: Readable, count: number): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    length += chunk.length;
    if (length >= count) break;
  }
  return Buffer.concat(chunks).subarray(0, count).toString('utf8');
}

/** A record validator in the style of data-quality tools: its error quotes the offending record. */
class RecordError extends Error {
  override name = 'RecordError';
}
const recordValidator: Check = {
  id: 'records',
  version: 'test-1',
  description: 'Validates that every line is a well-formed record; quotes the first bad one.',
  createScanner: () => {
    const chunks: Buffer[] = [];
    return {
      write: (chunk) => void chunks.push(Buffer.from(chunk)),
      end() {
        const lines = Buffer.concat(chunks).toString('utf8').split('\n');
        throw new RecordError(`Malformed record on line ${lines.length}: ${JSON.stringify(lines.slice(-3).join('\n'))}`);
      },
    };
  },
};

/** A check that hangs (a stuck parser that ignores cancellation): only the engine's deadline ends it. */
const stalledCheck: Check = {
  id: 'ocr',
  version: 'test-1',
  description: 'Never finishes.',
  inspect: () => new Promise(() => {}),
};

// ---- The run ----

interface Scenario {
  pipeline: string;
  inbox: string;
  outbox: string;
  delivery: 'per-item' | 'all-or-nothing';
  approvers?: boolean;
  /** Where the ticket rests before anyone acts on it. */
  firstRest: TicketState;
}

/** Card numbers and IBANs go to review by mona (group managers), with alice's confirmation. */
const REVIEW: Scenario = {
  pipeline: 'leak-review',
  inbox: 'sensitive',
  outbox: 'out-review',
  delivery: 'all-or-nothing',
  approvers: true,
  firstRest: 'awaiting_approval',
};

/** One ticket per path. Several share an inbox: the files are the same, what happens to them is not. */
const SCENARIOS = {
  allow: { pipeline: 'leak-allow', inbox: 'clean', outbox: 'out-allow', delivery: 'per-item', firstRest: 'delivered' },
  approve: REVIEW,
  reject: REVIEW,
  approveByApi: REVIEW,
  block: { pipeline: 'leak-block', inbox: 'forbidden', outbox: 'out-block', delivery: 'per-item', firstRest: 'blocked' },
  refused: { pipeline: 'leak-refused', inbox: 'clean', outbox: 'out-refused', delivery: 'per-item', firstRest: 'failed' },
  echoing: { pipeline: 'leak-echoing', inbox: 'clean', outbox: 'out-echoing', delivery: 'per-item', firstRest: 'failed' },
  checkError: { pipeline: 'leak-check-error', inbox: 'sensitive', outbox: 'out-check-error', delivery: 'per-item', firstRest: 'blocked' },
  checkTimeout: {
    pipeline: 'leak-check-timeout',
    inbox: 'sensitive',
    outbox: 'out-check-timeout',
    delivery: 'per-item',
    firstRest: 'blocked',
  },
  damaged: { pipeline: 'leak-damaged', inbox: 'damaged', outbox: 'out-damaged', delivery: 'per-item', firstRest: 'blocked' },
} satisfies Record<string, Scenario>;
type Path = keyof typeof SCENARIOS;

interface ReceivedMail {
  kind: string;
  ticketId: string | null;
  to: string;
  subject: string;
  text: string;
  html: string;
  raw: string;
  links: Map<string, string>;
}

interface Exchange {
  method: string;
  url: string;
  status: number;
  headers: string;
  body: string;
}

let store: TestStore;
let smtp: SmtpTestServer;
let queue: TicketQueue | undefined;
let dir: string;
const logLines: string[] = [];
const mails: ReceivedMail[] = [];
const exchanges: Exchange[] = [];
/** pg-boss's row of the echoing ticket's job while it waits to be retried (its failure is kept there then). */
let retryingJob: Haystack[] = [];
let dump: DatabaseDump;
const tickets = {} as Record<Path, { id: string; ref: string }>;
const tokens: Record<string, string> = {};

/** For failure messages: the text with every planted value replaced by its label. */
const safe = (value: unknown) => scrub(typeof value === 'string' ? value : JSON.stringify(value), NEEDLES);
const safeText = (text: string | null) => (text === null ? null : scrub(text, NEEDLES));

beforeAll(async () => {
  store = await createTestStore();
  smtp = await startSmtpServer();
  dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-leak-'));
  const pipelinesDir = path.join(dir, 'pipelines');
  await mkdir(pipelinesDir);

  const inboxes: Record<string, Record<string, Buffer | string>> = {
    clean: await cleanFiles(),
    sensitive: await sensitiveFiles(),
    forbidden: await forbiddenFiles(),
    damaged: await damagedFiles(),
  };
  for (const [name, files] of Object.entries(inboxes)) {
    await mkdir(path.join(dir, name));
    for (const [file, content] of Object.entries(files)) await writeFile(path.join(dir, name, file), content);
  }
  for (const scenario of Object.values(SCENARIOS) as Scenario[]) {
    await mkdir(path.join(dir, scenario.outbox), { recursive: true });
    const pipeline = {
      name: scenario.pipeline,
      source: { kind: 'local', root: `../${scenario.inbox}`, include: ['**/*'] },
      destination: { kind: 'local', root: `../${scenario.outbox}` },
      policy: 'default',
      delivery: scenario.delivery,
      checks: ['filetype', 'patterns', 'dlp'],
      approvers: scenario.approvers ? [{ group: 'managers' }] : [],
      requesterConfirms: true,
      trigger: { manual: true },
    };
    // YAML is a superset of JSON.
    await writeFile(path.join(pipelinesDir, `${scenario.pipeline}.yaml`), JSON.stringify(pipeline, null, 2));
  }
  // A destination that refuses writes: a folder already sits where each file would go, and the root is read-only
  // (which alone is enough when the tests do not run as root).
  const refused = path.join(dir, SCENARIOS.refused.outbox);
  for (const file of Object.keys(inboxes.clean!)) {
    await mkdir(path.join(refused, file));
    await writeFile(path.join(refused, file, 'occupied'), 'not a file\n');
  }
  await chmod(refused, 0o555);

  // One root logger, as `airlock serve` has: the API, the workers, the queue and the outbox all log through it.
  const logger = createLogger({
    level: 'trace',
    pretty: false,
    destination: new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        callback();
      },
    }),
  });

  const communication: CommunicationContext = { publicUrl: PUBLIC_URL, clock: systemClock, messageIdDomain: 'airlock.test' };
  const staging = new StagingArea(path.join(dir, 'staging'), randomBytes(32));
  const echoState = { writes: 0 };
  const resolve = createPipelineResolver({ pipelinesDir, policiesDir: path.join(REPO, 'policies'), env: {} });
  const resolvePipeline: PipelineResolver = async (name) => {
    const pipeline = await resolve(name);
    if (name === SCENARIOS.echoing.pipeline) return { ...pipeline, destination: echoingDestination(pipeline.destination, echoState) };
    if (name === SCENARIOS.checkError.pipeline) return { ...pipeline, checks: [...pipeline.checks, recordValidator] };
    if (name === SCENARIOS.checkTimeout.pipeline) return { ...pipeline, checks: [...pipeline.checks, stalledCheck] };
    return pipeline;
  };
  const processor = new TicketProcessor({
    db: store.db,
    staging,
    resolvePipeline,
    logger,
    checkTimeoutMs: CHECK_TIMEOUT_MS,
    limits: DEFAULT_LIMITS,
    itemConcurrency: 2,
    actor: 'worker:leak-test',
    communication,
  });
  // Workers as `airlock serve` starts them (src/runtime.ts): a transient failure is retried once, after 2 s.
  const workQueue = await TicketQueue.start(store, { retryLimit: 1, retryDelaySeconds: 2, concurrency: 3 }, logger, { maintenance: false });
  queue = workQueue;
  await workQueue.work({
    process: async (ticketId, job) => void (await processor.process(ticketId, { signal: job.signal })),
    fail: (ticketId, reason) => processor.fail(ticketId, reason),
  });
  const app = createApp({
    db: store.db,
    logger,
    version: '0.0.0-leak',
    queueReady: () => workQueue.boss.isInstalled(),
    pipelinesDir,
    enqueue: (trx, ticketId) => workQueue.enqueue(ticketId, trx),
    purge: (ticketId) => staging.purge(ticketId),
    escalationSlaMinutes: 30,
    communication,
    linkSecret: randomBytes(32),
  });
  const outbox = new OutboxWorker({
    db: store.db,
    transport: createMailTransport({ smtpUrl: smtp.url }),
    from: 'Airlock <airlock@example.org>',
    logger,
  });

  for (const [name, roles, groups] of [
    ['alice', ['requester'], []],
    ['mona', ['approver'], ['managers']],
    ['olga', ['operator'], []],
    ['audrey', ['auditor'], []],
  ] as const) {
    await addUser(store.db, { name, email: `${name}@example.com`, roles: [...roles], groups: [...groups] });
    tokens[name] = (await createToken(store.db, name)).token;
  }

  const request = async (method: string, url: string, init: { user?: string; json?: unknown; form?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = {};
    if (init.user) headers.authorization = `Bearer ${tokens[init.user]}`;
    let body: string | undefined;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await app.request(
      new URL(url, PUBLIC_URL).href,
      { method, headers, ...(body === undefined ? {} : { body }) },
      { incoming: { socket: { remoteAddress: '192.0.2.1' } } },
    );
    const exchange: Exchange = {
      method,
      url,
      status: response.status,
      headers: [...response.headers].map(([k, v]) => `${k}: ${v}`).join('\n'),
      body: await response.text(),
    };
    exchanges.push(exchange);
    return exchange;
  };
  const api = async (method: string, url: string, user: string, json?: unknown) => request(method, url, { user, json });

  const flush = async () => {
    const fresh: ReceivedMail[] = [];
    for (;;) {
      const before = smtp.received.length;
      const run = await outbox.runOnce();
      expect(run).toMatchObject({ failed: 0, retried: 0 });
      for (const received of smtp.received.slice(before)) {
        const messageId = received.parsed.messageId ?? '';
        const row = await store.db
          .selectFrom('mails')
          .select(['kind', 'ticket_id'])
          .where('message_id', '=', messageId)
          .executeTakeFirstOrThrow();
        const text = received.parsed.text ?? '';
        const links = new Map<string, string>();
        for (const match of text.matchAll(/^([A-Z][A-Za-z ]+):\n {2}(https?:\/\/\S+)$/gm)) links.set(match[1]!, match[2]!);
        fresh.push({
          kind: row.kind,
          ticketId: row.ticket_id,
          to: received.envelope.to.join(', '),
          subject: received.parsed.subject ?? '',
          text,
          html: typeof received.parsed.html === 'string' ? received.parsed.html : '',
          raw: received.raw,
          links,
        });
      }
      if (run.sent === 0) break;
    }
    mails.push(...fresh);
    return fresh;
  };
  const mailOf = (kind: string, path: Path, user: string) => {
    const found = mails.filter((m) => m.kind === kind && m.ticketId === tickets[path].id && m.to === `${user}@example.com`);
    expect(
      found.map((m) => m.subject),
      `${kind} mail of the ${path} ticket to ${user}`,
    ).toHaveLength(1);
    return found[0]!;
  };
  const linkOf = (mail: ReceivedMail, label: string) => {
    const url = mail.links.get(label);
    expect(url, `"${label}" link in "${mail.subject}"`).toMatch(new RegExp(`^${PUBLIC_URL}/a/`));
    return url!;
  };
  /** Opens a link's page and presses one of its buttons. */
  const answer = async (url: string, decision?: 'approve' | 'reject') => {
    const page = await request('GET', url);
    expect(page.status, safe(page.body)).toBe(200);
    const form = /<form method="post" action="([^"]+)">\s*<input type="hidden" name="csrf" value="([^"]+)" \/>/.exec(page.body);
    expect(form, safe(page.body)).not.toBeNull();
    return request('POST', form![1]!, { form: { csrf: form![2]!, ...(decision ? { decision } : {}) } });
  };
  const settle = async (path: Path, states: readonly TicketState[]) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const row = await getTicketRow(store.db, tickets[path].id);
      if (!ACTIVE_STATES.has(row.state)) {
        expect(row.state, `${path} ticket (${tickets[path].ref}): ${safe(row.failure_reason)}`).toBeOneOf([...states]);
        return row;
      }
      if (Date.now() > deadline) throw new Error(`The ${path} ticket is still ${row.state} after 60 s.`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  // Every path starts the way a person starts it: alice submits through the API.
  for (const [key, scenario] of Object.entries(SCENARIOS) as [Path, Scenario][]) {
    const created = await api('POST', '/api/v1/tickets', 'alice', { pipeline: scenario.pipeline, purpose: `leak test: ${key} path` });
    expect(created.status, safe(created.body)).toBe(201);
    const summary = JSON.parse(created.body) as { id: string; uuid: string };
    tickets[key] = { id: summary.uuid, ref: summary.id };
  }

  // While the echoing destination's ticket waits out its retry, pg-boss holds the failed attempt's error.
  const jobDeadline = Date.now() + 30_000;
  while (retryingJob.length === 0 && Date.now() < jobDeadline) {
    const rows = await sql<{ row: Record<string, unknown> }>`
      select to_jsonb(j) as row from pgboss.job j where j.data->>'ticketId' = ${tickets.echoing.id} and j.state = 'retry'`.execute(
      store.db,
    );
    retryingJob = rows.rows.flatMap(({ row }) =>
      rowHaystacks('pgboss.job', row, '?').map((h) => ({ ...h, where: `${h.where}, while waiting to retry` })),
    );
    if (retryingJob.length === 0) await new Promise((resolve) => setTimeout(resolve, 25));
  }

  for (const [key, scenario] of Object.entries(SCENARIOS) as [Path, Scenario][]) await settle(key, [scenario.firstRest]);
  await flush();

  // Everyone opens every link they were mailed (mail scanners do too): a page, or a refusal for a ticket that moved on.
  for (const mail of mails) for (const url of mail.links.values()) expect([200, 409]).toContain((await request('GET', url)).status);

  // Approve path: alice confirms and mona approves by their e-mailed links; the workers deliver.
  const confirmed = await answer(linkOf(mailOf('review-request', 'approve', 'alice'), 'Confirm'), 'approve');
  expect(confirmed.status, safe(confirmed.body)).toBe(200);
  const approved = await answer(linkOf(mailOf('review-request', 'approve', 'mona'), 'Approve'), 'approve');
  expect(approved.status, safe(approved.body)).toBe(200);
  await settle('approve', ['delivered']);

  // Reject path: alice asks for a human from her acknowledgement; mona rejects through the API.
  const escalated = await answer(linkOf(mailOf('acknowledgement', 'reject', 'alice'), 'Talk to a human'));
  expect(escalated.status, safe(escalated.body)).toBe(200);
  const rejected = await api('POST', `/api/v1/tickets/${tickets.reject.ref}/decisions`, 'mona', {
    decision: 'reject',
    comment: 'Not this quarter.',
  });
  expect(rejected.status, safe(rejected.body)).toBe(200);

  // Approve through the API: alice confirms, mona approves; the workers deliver.
  for (const user of ['alice', 'mona']) {
    const decided = await api('POST', `/api/v1/tickets/${tickets.approveByApi.ref}/decisions`, user, { decision: 'approve' });
    expect(decided.status, safe(decided.body)).toBe(200);
  }
  await settle('approveByApi', ['delivered']);

  // Refusals, each answered with problem+json (or a refusal page for a used link).
  expect((await api('POST', `/api/v1/tickets/${tickets.reject.ref}/decisions`, 'mona', { decision: 'approve' })).status).toBe(409);
  expect((await api('POST', `/api/v1/tickets/${tickets.block.ref}/decisions`, 'mona', { decision: 'approve' })).status).toBe(404);
  expect((await api('POST', `/api/v1/tickets/${tickets.block.ref}/cancel`, 'alice')).status).toBe(409);
  expect((await api('GET', '/api/v1/tickets/T-999999', 'alice')).status).toBe(404);
  expect((await api('POST', '/api/v1/tickets', 'alice', { pipeline: 'no-such-pipeline', purpose: 'refused' })).status).toBe(404);
  expect((await request('POST', '/api/v1/tickets', { user: 'alice', form: { pipeline: 'leak-allow' } })).status).toBe(400);
  expect((await request('GET', linkOf(mailOf('review-request', 'approve', 'mona'), 'Approve'))).status).toBe(410);
  await flush();

  // What everyone can read afterwards: each ticket (items, masked findings, decision, approvals, timeline) and the lists.
  for (const { ref } of Object.values(tickets)) {
    for (const user of ['alice', 'audrey', 'mona', 'olga']) await api('GET', `/api/v1/tickets/${ref}`, user);
  }
  for (const user of ['alice', 'mona', 'olga', 'audrey']) await api('GET', '/api/v1/tickets', user);
  await api('GET', '/api/v1/tickets?state=failed', 'audrey');
  await api('GET', '/api/v1/pipelines', 'alice');
  await api('GET', '/api/v1/me', 'alice');
  await request('GET', '/healthz');
  await request('GET', '/readyz');

  // The workers stop first, so the dump is of a quiet store.
  await workQueue.stop();
  queue = undefined;
  dump = await dumpDatabase(store.db, store.url);
}, 240_000);

afterAll(async () => {
  await queue?.stop();
  await smtp?.stop();
  await store?.close();
  if (dir) {
    await chmod(path.join(dir, SCENARIOS.refused.outbox), 0o755).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
});

async function filesIn(folder: string): Promise<string[]> {
  return (await readdir(path.join(dir, folder), { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(path.join(dir, folder), path.join(entry.parentPath, entry.name)))
    .sort();
}

const mailHaystacks = (): Haystack[] =>
  mails.flatMap((m, i) => {
    const where = `mail #${i + 1} "${m.subject}" to ${m.to} (${m.kind})`;
    return [
      { where: `${where}, raw MIME`, text: m.raw },
      { where: `${where}, subject`, text: m.subject },
      { where: `${where}, text part`, text: m.text },
      { where: `${where}, HTML part`, text: m.html },
    ];
  });

const responseHaystacks = (): Haystack[] =>
  exchanges.flatMap((e) => [
    { where: `${e.method} ${e.url} → ${e.status}, headers`, text: e.headers },
    { where: `${e.method} ${e.url} → ${e.status}, body`, text: e.body },
  ]);

describe(`no planted value leaves the data path (${backendName} store, real SMTP, pg-boss workers)`, () => {
  it('the search itself finds each value as it is and base64-encoded at any offset, and masks what it prints', () => {
    const hits = findLeaks(
      [0, 1, 2].map((lead) => ({
        where: `control ${lead}`,
        text: Buffer.from(`${'x'.repeat(lead)}${CANARY} card ${CARD}.`).toString('base64'),
      })),
      NEEDLES,
    );
    expect(hits.map((h) => `${h.where}: ${h.needle}`)).toEqual(
      [0, 1, 2].flatMap((lead) => [`control ${lead}: canary (base64)`, `control ${lead}: card number (base64)`]),
    );
    const plain = findLeaks([{ where: 'control', text: `a ${CANARY} b ${IBAN_GROUPED} c ${KEY_LINES[1]} d` }], NEEDLES);
    expect(plain.map((h) => h.needle)).toEqual(['canary', 'IBAN', 'private key line 2']);
    for (const hit of [...hits, ...plain]) {
      for (const needle of NEEDLES) expect(hit.excerpt.includes(needle.text), `${hit.where} excerpt shows ${needle.label}`).toBe(false);
    }
  });

  it('every path ends where it should, and only the allowed and approved tickets delivered anything', async () => {
    const states = Object.fromEntries(
      await Promise.all(Object.entries(tickets).map(async ([key, t]) => [key, (await getTicketRow(store.db, t.id)).state])),
    );
    expect(states).toEqual({
      allow: 'delivered',
      approve: 'delivered',
      reject: 'rejected',
      block: 'blocked',
      refused: 'failed',
      echoing: 'failed',
      checkError: 'blocked',
      checkTimeout: 'blocked',
      approveByApi: 'delivered',
      damaged: 'blocked',
    });
    // Each kind was taken for what it is: the documents are opened as Word documents, the archives as zips.
    const types = await store.db.selectFrom('items').select(['source_path', 'mime']).where('ticket_id', '=', tickets.allow.id).execute();
    expect(Object.fromEntries(types.map((t) => [t.source_path, t.mime]))).toEqual({
      'bundle.zip': 'application/zip',
      'letter.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'notes.txt': 'text/plain',
      'orders.csv': 'text/csv',
    });
    const clean = ['bundle.zip', 'letter.docx', 'notes.txt', 'orders.csv'];
    // Whichever clean file the echoing destination is sent first, what it quotes holds the canary.
    for (const file of clean)
      expect((await readFile(path.join(dir, 'clean', file))).subarray(0, ECHO_BYTES).includes(CANARY), file).toBe(true);
    expect(await filesIn('out-allow')).toEqual(clean);
    expect(await filesIn('out-review')).toEqual(['contract.docx', 'payments.csv', 'statements.zip', 'transfer-memo.txt']);
    for (const folder of ['out-block', 'out-echoing', 'out-check-error', 'out-check-timeout', 'out-damaged'])
      expect(await filesIn(folder)).toEqual([]);
    expect(await filesIn('out-refused')).toEqual(clean.map((f) => `${f}/occupied`));
    // The destinations do hold the canary: the search would see it wherever it went.
    for (const [folder, file] of [
      ['out-allow', 'notes.txt'],
      ['out-review', 'payments.csv'],
    ] as const) {
      const hits = findLeaks([{ where: `${folder}/${file}`, text: await readFile(path.join(dir, folder, file), 'utf8') }], NEEDLES);
      expect(hits.map((h) => h.needle)).toContain('canary');
    }
  });

  it('the failure paths left their errors where people read them, and no error message holds a planted value', async () => {
    const items = await store.db.selectFrom('items').select(['id', 'ticket_id', 'state', 'error']).execute();
    const errorsOf = (key: Path) => items.filter((i) => i.ticket_id === tickets[key].id).map((i) => [i.state, safeText(i.error)]);
    expect(errorsOf('refused')).toEqual(Array(4).fill(['failed', expect.stringMatching(/is a folder, not a file|permission denied/)]));
    expect(errorsOf('echoing')).toEqual(Array(4).fill(['failed', 'An unexpected internal error occurred.']));
    const rows = await store.db.selectFrom('tickets').select(['id', 'failure_reason']).execute();
    for (const key of ['refused', 'echoing'] as const) {
      expect(safeText(rows.find((t) => t.id === tickets[key].id)!.failure_reason)).toBe('none of 4 allowed file(s) could be delivered');
    }
    const runs = await store.db
      .selectFrom('check_runs')
      .innerJoin('items', 'items.id', 'check_runs.item_id')
      .select(['items.id', 'items.ticket_id', 'check_runs.check', 'check_runs.status', 'check_runs.error'])
      .execute();
    const runsOf = (key: Path, check: string) =>
      runs.filter((r) => r.ticket_id === tickets[key].id && r.check === check).map((r) => [r.status, safeText(r.error)]);
    expect(runsOf('checkError', 'records')).toEqual(Array(4).fill(['error', 'the check threw RecordError']));
    expect(runsOf('checkTimeout', 'ocr')).toEqual(Array(4).fill(['timeout', `did not finish within ${CHECK_TIMEOUT_MS} ms`]));
    const corrupt = await store.db
      .selectFrom('findings')
      .select('id')
      .where('ticket_id', '=', tickets.damaged.id)
      .where('detector', '=', 'corrupt_file');
    expect((await corrupt.execute()).length).toBeGreaterThanOrEqual(2);

    // Every error text people read: failure reasons, item and check errors, event reasons, mail errors, problem bodies.
    const events = await store.db.selectFrom('ticket_events').select(['id', 'reason']).where('reason', 'is not', null).execute();
    const mailErrors = await store.db.selectFrom('mails').select(['id', 'last_error']).where('last_error', 'is not', null).execute();
    const problems = exchanges.filter((e) => e.status >= 400);
    expect(problems.filter((e) => e.headers.includes('content-type: application/problem+json')).length).toBeGreaterThanOrEqual(6);
    const messages: Haystack[] = [
      ...rows.filter((t) => t.failure_reason !== null).map((t) => ({ where: `failure reason of ticket ${t.id}`, text: t.failure_reason! })),
      ...items.filter((i) => i.error !== null).map((i) => ({ where: `error of item ${i.id}`, text: i.error! })),
      ...runs.filter((r) => r.error !== null).map((r) => ({ where: `error of check ${r.check} on item ${r.id}`, text: r.error! })),
      ...events.map((e) => ({ where: `reason of ticket event ${e.id}`, text: e.reason! })),
      ...mailErrors.map((m) => ({ where: `last error of mail ${m.id}`, text: m.last_error! })),
      ...problems.map((e) => ({ where: `${e.method} ${e.url} → ${e.status}`, text: e.body })),
    ];
    expect(messages.length).toBeGreaterThan(40);
    expect(describeHits(findLeaks(messages, NEEDLES))).toEqual([]);
  });

  it('findings show masked excerpts, in the database, on the API and in the review mail', async () => {
    const excerpts = (await store.db.selectFrom('findings').select('excerpt').execute()).map((f) => safeText(f.excerpt));
    for (const masked of Object.values(MASKED)) expect(excerpts, masked).toContain(masked);
    const page = (ref: string) => safe(exchanges.find((e) => e.url === `/api/v1/tickets/${ref}` && e.status === 200)!.body);
    for (const masked of [MASKED.card, MASKED.cardGrouped, MASKED.iban]) expect(page(tickets.approve.ref)).toContain(masked);
    for (const masked of [MASKED.awsKey, MASKED.privateKey]) expect(page(tickets.block.ref)).toContain(masked);
    const review = mails.find((m) => m.kind === 'review-request' && m.ticketId === tickets.approve.id && m.to === 'mona@example.com');
    for (const masked of [MASKED.card, MASKED.iban]) expect(safe(review?.text ?? '')).toContain(masked);
  });

  it('no log line of the API, the workers, the queue or the outbox holds one', () => {
    expect(logLines.length).toBeGreaterThan(50);
    const haystacks = logLines.map((line, i) => ({
      where: `log line ${i + 1} (${(JSON.parse(line) as { msg?: string }).msg ?? ''})`,
      text: line,
    }));
    expect(describeHits(findLeaks(haystacks, NEEDLES))).toEqual([]);
  });

  it('no mail holds one, raw MIME or decoded', () => {
    expect([...new Set(mails.map((m) => m.kind))]).toEqual(expect.arrayContaining(['acknowledgement', 'review-request', 'decided']));
    expect(describeHits(findLeaks(mailHaystacks(), NEEDLES))).toEqual([]);
  });

  it('no API response holds one: tickets, lists, findings, decisions, link pages and problem bodies, headers included', () => {
    expect(exchanges.filter((e) => e.method === 'POST' && e.url.startsWith('/a/')).map((e) => e.status)).toEqual([200, 200, 200]);
    expect(describeHits(findLeaks(responseHaystacks(), NEEDLES))).toEqual([]);
  });

  it('no database row holds one, in any table of public or pgboss (pg_dump on PostgreSQL, every row selected on PGlite)', () => {
    const tables = [
      'tickets',
      'items',
      'findings',
      'check_runs',
      'decisions',
      'approvals',
      'ticket_events',
      'mails',
      'action_links',
      'audit_log',
    ];
    for (const table of tables) expect([...dump.tables], `${dump.method} covered public.${table}`).toContain(`public.${table}`);
    // The dump is read down to each column and each string inside JSON: known values are found where they are.
    const control = findLeaks(dump.haystacks, [
      { label: 'masked card', text: MASKED.card },
      { label: 'ticket id', text: tickets.echoing.id },
    ]).map((h) => `${h.needle} @ ${h.where.replace(/ \(row .*$/, '')}`);
    expect(control).toContain('masked card @ public.findings.excerpt');
    expect(control).toContainEqual(expect.stringMatching(/^ticket id @ pgboss\.job\w*\.data\.ticketId$/));
    expect(describeHits(findLeaks(dump.haystacks, NEEDLES))).toEqual([]);
  });

  it('pg-boss kept none in the job of a transient failure while it waited to be retried', () => {
    expect(retryingJob.map((h) => h.where)).toContainEqual(expect.stringMatching(/^pgboss\.job\.output\.message /));
    expect(describeHits(findLeaks(retryingJob, NEEDLES))).toEqual([]);
  });
});
