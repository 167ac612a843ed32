// The operator's page (/ui/operations): escalations by SLA with countdowns, failed tickets with Retry, and the
// pipelines with their schedules, recent runs and Run now.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiHarness, type ApiHarness } from '../../../test/api-harness.js';
import { signIn, textOf, type ConsoleBrowser } from '../../../test/console-harness.js';
import { nextOccurrences } from '../../jobs/schedules.js';
import { replaceItems } from '../../tickets/item-store.js';
import { nameHash } from '../../tickets/name-hash.js';
import { formatTicketNumber, parseTicketRef } from '../../tickets/states.js';
import { submitTicket } from '../../tickets/submit-ticket.js';
import { findTicket, transitionTicket } from '../../tickets/ticket-store.js';
import { COUNTDOWN_JS } from './assets/js/countdown-js.js';

const XSS = '<script>alert(1)</script><img src=x onerror=alert(2)>';
const ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;';
const MINUTE = 60_000;
// Whole minutes, so countdowns read exactly; API tokens expire on real time, so the clock stays near it.
const NOW = new Date(Math.floor(Date.now() / MINUTE) * MINUTE);

let api: ApiHarness;
let console_: Pick<ApiHarness, 'app'>;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  api = await createApiHarness({ pipelines: { nightly: {}, helpdesk: { approvers: ['val'] } } });
  const dir = api.pipelinesDir;
  const scheduled = {
    name: 'ledger-sync',
    // Pipeline names are lower-case letters, digits and dashes (the schema); the description is free text.
    description: `Ledger sync ${XSS}`,
    source: { kind: 'local', root: '../inbox', include: ['**/*'] },
    destination: { kind: 'local', root: '../outbox' },
    policy: 'default',
    delivery: 'per-item',
    checks: ['filetype'],
    trigger: { schedule: { cron: '30 2 * * *', timezone: 'Europe/Zurich' } },
  };
  await writeFile(path.join(dir, 'ledger-sync.yaml'), JSON.stringify(scheduled));
  // A broken file whose problem would quote a setting: only its name may appear.
  await writeFile(
    path.join(dir, 'broken.yaml'),
    JSON.stringify({ name: 'broken', source: { kind: 'local', root: 'hunter2-secret-root' } }),
  );
  console_ = { app: api.buildApp({ console: { now: () => NOW } }) };
  tokens.olga = await api.user('olga', ['operator']);
  tokens.oscar = await api.user('oscar', ['operator']);
  tokens.rita = await api.user('rita', ['requester']);
  tokens.val = await api.user('val', ['approver']);
});
afterAll(() => api?.close());

const browserOf = (name: string): Promise<ConsoleBrowser> => signIn(console_, name, tokens[name]!);
const deps = () => ({ db: api.db, pipelinesDir: api.pipelinesDir, enqueue: async () => undefined });

async function ticket(pipeline: string, purpose: string, selection?: { include: string[] }) {
  return submitTicket(deps(), { pipeline, requester: 'rita', purpose, selection });
}

async function escalated(purpose: string, sla: { dueInMinutes: number; breached?: boolean }, operator?: string) {
  const row = await ticket('helpdesk', purpose);
  await api.db
    .updateTable('tickets')
    .set({
      severity: 'high',
      escalated_at: new Date(NOW.getTime() - 60 * MINUTE),
      sla_due_at: new Date(NOW.getTime() + sla.dueInMinutes * MINUTE),
      sla_breached_at: sla.breached ? new Date(NOW.getTime() - MINUTE) : null,
    })
    .where('id', '=', row.id)
    .execute();
  if (operator)
    await api.db.insertInto('ticket_participants').values({ ticket_id: row.id, user_name: operator, role: 'operator' }).execute();
  return formatTicketNumber(row.number);
}

async function failed(purpose: string, reason: string, selection?: { include: string[] }) {
  const row = await ticket('nightly', purpose, selection);
  await transitionTicket(api.db, row.id, 'failed', { actor: 'worker:test', reason });
  return row;
}

const refOf = (location: string | null) => /\/ui\/tickets\/(T-\d+)\?/.exec(location ?? '')?.[1];

describe('escalations', () => {
  const refs: Record<string, string> = {};
  beforeAll(async () => {
    // Created out of order, so the listing's order comes from the SLA, not the ticket numbers.
    refs.dueLater = await escalated('due later', { dueInMinutes: 180 }, 'oscar');
    refs.breachedRecently = await escalated('breached recently', { dueInMinutes: -5, breached: true }, 'olga');
    refs.dueSoon = await escalated('due soon', { dueInMinutes: 72 }, 'olga');
    refs.breachedLong = await escalated(`breached long ago ${XSS}`, { dueInMinutes: -25 }, 'oscar');
    const done = await ticket('helpdesk', 'escalated but finished');
    await api.db
      .updateTable('tickets')
      .set({ escalated_at: NOW, sla_due_at: new Date(NOW.getTime() - 600 * MINUTE) })
      .where('id', '=', done.id)
      .execute();
    await transitionTicket(api.db, done.id, 'cancelled', { actor: 'rita' });
    refs.finished = formatTicketNumber(done.number);
  });

  it('lists open escalations breached first, then by SLA due time, with operator, severity and countdown text', async () => {
    const html = (await (await browserOf('olga')).get('/ui/operations')).html;
    const section = html.split('id="escalations"')[1]!.split('id="failed"')[0]!;
    const order = [...section.matchAll(ROW_TICKET)].map((m) => m[1]);
    expect(order).toEqual([refs.breachedLong, refs.breachedRecently, refs.dueSoon, refs.dueLater]);
    // Only the escalations assigned to olga are hers to open; the others show no purpose, requester or link.
    expect([...section.matchAll(/<a href="\/ui\/tickets\/(T-\d+)">/g)].map((m) => m[1])).toEqual([refs.breachedRecently, refs.dueSoon]);
    expect(order).not.toContain(refs.finished);
    const rows = textOf(section);
    expect(rows).toContain('4 open, 2 past their SLA.');
    expect(rows).toMatch(
      new RegExp(`${refs.breachedLong} not assigned to you: purpose and requester hidden helpdesk — high oscar breached 25 min ago`),
    );
    expect(rows).not.toContain('breached long ago');
    expect(rows).toMatch(new RegExp(`${refs.dueSoon} due soon helpdesk rita high olga due in 1 h 12 min`));
    expect(rows).toContain('due in 3 h');
    expect(rows).toContain('breached 5 min ago');
  });

  it('renders each countdown as <time datetime data-countdown> the script can update', async () => {
    const html = (await (await browserOf('olga')).get('/ui/operations')).html;
    const due = new Date(NOW.getTime() + 72 * MINUTE).toISOString();
    expect(html).toContain(
      `<time datetime="${due}" data-countdown="" data-now="${NOW.toISOString()}" class="sla-due">due in 1 h 12 min</time>`,
    );
    const breached = new Date(NOW.getTime() - 25 * MINUTE).toISOString();
    expect(html).toContain(
      `<time datetime="${breached}" data-countdown="" data-now="${NOW.toISOString()}" data-breached="true" class="sla-breached">breached 25 min ago</time>`,
    );
    expect(html).toContain('<script src="/ui/assets/console.js" defer=""></script>');
  });
});

/** The ticket number at the head of each table row, linked or not. */
const ROW_TICKET = /<th scope="row">(?:<a href="\/ui\/tickets\/)?(T-\d+)/g;

describe('the countdown script', () => {
  afterEach(() => vi.useRealTimers());

  it('moves the texts on every 30 s from the server’s clock, with the server’s words, and marks a passed SLA breached', () => {
    vi.useFakeTimers();
    // The browser's clock is 7 minutes off; data-now corrects for it.
    vi.setSystemTime(new Date(NOW.getTime() + 7 * MINUTE));
    const nodes = [
      fakeTime({ datetime: new Date(NOW.getTime() + 72 * MINUTE).toISOString(), 'data-now': NOW.toISOString() }),
      fakeTime({ datetime: new Date(NOW.getTime() + 10 * MINUTE).toISOString(), 'data-now': NOW.toISOString() }),
    ];
    let tick: (() => void) | undefined;
    const window = { setInterval: (fn: () => void, ms: number) => ((tick = fn), expect(ms).toBe(30_000)) };
    new Function('document', 'window', COUNTDOWN_JS)({ querySelectorAll: () => nodes }, window);
    vi.setSystemTime(new Date(NOW.getTime() + 7 * MINUTE + 30 * MINUTE));
    tick!();
    expect(nodes[0]!.textContent).toBe('due in 42 min');
    expect(nodes[1]!.textContent).toBe('breached 20 min ago');
    expect(nodes[1]!.attrs['data-breached']).toBe('true');
    expect([...nodes[1]!.classes]).toEqual(['sla-breached']);
  });
});

function fakeTime(attrs: Record<string, string>) {
  const classes = new Set(['sla-due']);
  return {
    attrs,
    classes,
    textContent: '',
    getAttribute: (name: string) => attrs[name] ?? null,
    hasAttribute: (name: string) => name in attrs,
    setAttribute: (name: string, value: string) => void (attrs[name] = value),
    classList: { add: (c: string) => void classes.add(c), remove: (c: string) => void classes.delete(c) },
  };
}

describe('failed tickets and Retry', () => {
  it('lists failed tickets of the last 14 days, newest first, with the reason escaped and names hashed when redacted', async () => {
    const old = await failed('failed long ago', 'disk full');
    await api.db
      .updateTable('tickets')
      .set({ finished_at: new Date(NOW.getTime() - 20 * 24 * 60 * MINUTE) })
      .where('id', '=', old.id)
      .execute();
    const xss = await failed(`xss ${XSS}`, `connector said ${XSS}`);
    const secret = await failed('redacted one', 'could not read payroll/ceo-salary.csv: permission denied');
    await replaceItems(api.db, secret.id, ['payroll/ceo-salary.csv']);
    await api.db.updateTable('tickets').set({ redact_names: true }).where('id', '=', secret.id).execute();

    const html = (await (await browserOf('olga')).get('/ui/operations')).html;
    const section = html.split('id="failed"')[1]!.split('id="pipelines"')[0]!;
    const order = [...section.matchAll(ROW_TICKET)].map((m) => m[1]);
    expect(order.indexOf(formatTicketNumber(secret.number))).toBeLessThan(order.indexOf(formatTicketNumber(xss.number)));
    expect(order).not.toContain(formatTicketNumber(old.number));
    expect(section).not.toContain('ceo-salary');
    expect(textOf(section)).toContain(`could not read ${nameHash('payroll/ceo-salary.csv')}: permission denied`);
    expect(section).not.toContain(XSS);
    expect(section).toContain(`connector said ${ESCAPED}`);
    // The purpose is olga's to read once the ticket is hers (an operator assigned to it), and escaped then.
    expect(section).not.toContain('xss ');
    await api.db.insertInto('ticket_participants').values({ ticket_id: xss.id, user_name: 'olga', role: 'operator' }).execute();
    const hers = (await (await browserOf('olga')).get('/ui/operations')).html.split('id="failed"')[1]!;
    expect(hers).toContain(`xss ${ESCAPED}`);
    expect(hers).not.toContain(XSS);
    expect(section).toContain(`<form method="post" action="/ui/tickets/${formatTicketNumber(xss.number)}/retry"`);
    expect(html).not.toMatch(/<script>|<style|style="| on[a-z]+="/);
  });

  it('retries a failed ticket: a new ticket with the same fields, linked, enqueued, shown to the operator', async () => {
    const first = await failed('nightly ledger', 'source unreachable', { include: ['ledger/*.csv'] });
    const olga = await browserOf('olga');
    const before = api.enqueued.length;
    const retried = await olga.post(`/ui/tickets/${formatTicketNumber(first.number)}/retry`);
    expect(retried.status, retried.html).toBe(303);
    expect(retried.location).toMatch(/^\/ui\/tickets\/T-\d{6}\?done=retried$/);
    const retry = (await findTicket(api.db, parseTicketRef(refOf(retried.location)!) as { number: number }))!;
    expect(retry).toMatchObject({
      pipeline: 'nightly',
      requester: 'rita',
      purpose: 'nightly ledger',
      selection: { include: ['ledger/*.csv'] },
      state: 'requested',
      retry_of: first.id,
    });
    expect(api.enqueued.slice(before)).toEqual([retry.id]);
    expect(await api.jobsFor(retry.id)).toBe(1);
    const audit = await api.db
      .selectFrom('audit_log')
      .select(['actor'])
      .where('kind', '=', 'ticket.retried')
      .where('ticket_id', '=', first.id)
      .execute();
    expect(audit).toEqual([{ actor: 'olga' }]);

    // The operator who retried it handles it, so its page opens for them.
    const shown = await olga.get(retried.location!);
    expect(shown.status).toBe(200);
    expect(textOf(shown.html)).toContain('This ticket retries a failed one');
    const page = textOf((await olga.get('/ui/operations')).html);
    expect(page).toContain(`Retried as ${formatTicketNumber(retry.number)}`);
  });

  it('refuses a second retry (409, naming the retry) and a ticket that did not fail (409)', async () => {
    const once = await failed('retried once', 'timeout');
    const olga = await browserOf('olga');
    const first = await olga.post(`/ui/tickets/${formatTicketNumber(once.number)}/retry`);
    expect(first.status).toBe(303);
    const before = api.enqueued.length;
    const again = await (await browserOf('oscar')).post(`/ui/tickets/${formatTicketNumber(once.number)}/retry`);
    expect(again.status).toBe(409);
    expect(textOf(again.html)).toContain(`already retried as ${refOf(first.location)}`);

    const running = await ticket('nightly', 'still running');
    const notFailed = await olga.post(`/ui/tickets/${formatTicketNumber(running.number)}/retry`);
    expect(notFailed.status).toBe(409);
    expect(textOf(notFailed.html)).toContain('only a failed ticket can be retried');
    expect(api.enqueued.length).toBe(before);
    expect((await olga.post('/ui/tickets/T-999999/retry')).status).toBe(404);
  });

  it('is for operators only, and only with the session’s CSRF token', async () => {
    const target = await failed('not for them', 'oops');
    const path_ = `/ui/tickets/${formatTicketNumber(target.number)}/retry`;
    for (const name of ['rita', 'val']) {
      const browser = await browserOf(name);
      expect((await browser.get('/ui/operations')).status, name).toBe(403);
      expect((await browser.post(path_)).status, name).toBe(403);
    }
    expect((await (await browserOf('olga')).post(path_, { csrf: null })).status).toBe(403);
    const retries = await api.db.selectFrom('tickets').select('id').where('retry_of', '=', target.id).execute();
    expect(retries).toEqual([]);
  });
});

describe('pipelines and Run now', () => {
  it('lists every pipeline with its trigger, next run, last scheduled runs and last tickets; broken files by name only', async () => {
    const run = await submitTicket(deps(), { pipeline: 'ledger-sync', requester: 'svc', purpose: 'scheduled', trigger: 'schedule' });
    await api.db
      .insertInto('schedule_runs')
      .values([
        {
          id: crypto.randomUUID(),
          pipeline: 'ledger-sync',
          due_at: new Date(NOW.getTime() - 24 * 60 * MINUTE),
          outcome: 'started',
          ticket_id: run.id,
          caught_up: false,
          reason: null,
        },
        {
          id: crypto.randomUUID(),
          pipeline: 'ledger-sync',
          due_at: new Date(NOW.getTime() - 48 * 60 * MINUTE),
          outcome: 'failed',
          ticket_id: null,
          caught_up: false,
          reason: 'the pipeline file does not load: source.root hunter2-secret-root',
        },
      ])
      .execute();
    const html = (await (await browserOf('olga')).get('/ui/operations')).html;
    const section = html.split('id="pipelines"')[1]!;
    const text = textOf(section);
    expect(text).toContain('broken.yaml');
    expect(html).not.toContain('hunter2');
    expect(text).toContain('nightly Trigger manual Next run only when someone runs it');
    const next = nextOccurrences('30 2 * * *', 'Europe/Zurich', NOW)[0]!;
    expect(section).toContain(`<time datetime="${next.toISOString()}">`);
    expect(section).toContain(`Ledger sync ${ESCAPED}`);
    expect(text).toContain('Trigger schedule 30 2 * * * (Europe/Zurich)');
    expect(text).toContain(`started ${formatTicketNumber(run.number)}`);
    expect(text).toContain(': failed (the server log');
    expect(text).toContain(`${formatTicketNumber(run.number)} requested`);
    for (const name of ['nightly', 'helpdesk', 'ledger-sync']) {
      expect(section).toContain(`<form method="post" action="/ui/pipelines/${name}/run"`);
      expect(section).toContain(`<label for="purpose-${name}">`);
    }
  });

  it('shows at most the last 3 tickets of a pipeline', async () => {
    const html = (await (await browserOf('olga')).get('/ui/operations')).html;
    const card = html.split('id="pipeline-nightly"')[1]!.split('</article>')[0]!;
    expect(card.split('Last tickets')[1]!.match(/<li>/g)).toHaveLength(3);
  });

  it('runs a pipeline now: a ticket requested by the operator, enqueued, with a default or given purpose', async () => {
    const olga = await browserOf('olga');
    const before = api.enqueued.length;
    const started = await olga.post('/ui/pipelines/nightly/run', { purpose: '' });
    expect(started.status, started.html).toBe(303);
    expect(started.location).toMatch(/^\/ui\/tickets\/T-\d{6}\?done=started$/);
    const made = (await findTicket(api.db, parseTicketRef(refOf(started.location)!) as { number: number }))!;
    expect(made).toMatchObject({ pipeline: 'nightly', requester: 'olga', purpose: 'run of nightly by olga', state: 'requested' });
    const given = await olga.post('/ui/pipelines/nightly/run', { purpose: `re-run ${XSS}` });
    const second = (await findTicket(api.db, parseTicketRef(refOf(given.location)!) as { number: number }))!;
    expect(second).toMatchObject({ requester: 'olga', purpose: `re-run ${XSS}` });
    expect(api.enqueued.slice(before)).toEqual([made.id, second.id]);
    // The purpose shows escaped in the pipeline's last tickets? No: only refs and states are listed there.
    expect((await olga.get('/ui/operations')).html).not.toContain(XSS);
  });

  it('refuses a too-short purpose (400, on the page), an unknown pipeline (404), a broken one without its problems, and non-operators', async () => {
    const olga = await browserOf('olga');
    const count = async () => (await api.db.selectFrom('tickets').select('id').execute()).length;
    const before = await count();
    const short = await olga.post('/ui/pipelines/nightly/run', { purpose: 'ab' });
    expect(short.status).toBe(400);
    expect(short.html).toContain('role="alert"');
    expect(textOf(short.html)).toContain('A purpose must be 3 to 500 characters long');
    expect((await olga.post('/ui/pipelines/nowhere/run')).status).toBe(404);
    expect((await olga.post('/ui/pipelines/..%2Fsecrets/run')).status).toBe(404);
    const broken = await olga.post('/ui/pipelines/broken/run');
    expect(broken.status).toBe(400);
    expect(broken.html).not.toContain('hunter2');
    expect(textOf(broken.html)).toContain('The pipeline broken does not load');
    expect((await (await browserOf('rita')).post('/ui/pipelines/nightly/run')).status).toBe(403);
    expect(await count()).toBe(before);
  });
});
