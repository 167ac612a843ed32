// The auditor's audit log page and its exports, in-process over a real store: who may see them, filters,
// pagination, the chain's verification (intact, then tampered with), exports equal to the CLI's.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_AUDIT_KEY } from '../../../test/audit-key-setup.js';
import { createApiHarness, type ApiHarness } from '../../../test/api-harness.js';
import { signIn, textOf, type ConsoleBrowser } from '../../../test/console-harness.js';
import { backendName } from '../../../test/test-store.js';
import { readAudit, recordAudit, sealAudit } from '../../audit/audit-log.js';
import { toCef, toJsonLine } from '../../audit/export-format.js';
import { AIRLOCK_VERSION } from '../../cli/version.js';
import { createTicket } from '../../tickets/ticket-store.js';
import { formatTicketNumber } from '../../tickets/states.js';
import { chainStatus, type ChainChecker } from './audit/chain-check.js';

const XSS = '<script>alert(1)</script><img src=x onerror=alert(2)>';

let api: ApiHarness;
let auditor: ConsoleBrowser;
let operatorToken: string;
let requesterToken: string;

beforeAll(async () => {
  api = await createApiHarness({ pipelines: { plain: {} }, app: { console: { auditKey: TEST_AUDIT_KEY } } });
  auditor = await signIn(api, 'audrey', await api.user('audrey', ['auditor']));
  operatorToken = await api.user('olga', ['operator']);
  requesterToken = await api.user('rita', ['requester']);
});
afterAll(() => api?.close());

/** The Seq cells and kinds of a page's records, in page order. */
function rowsOf(html: string): { seq: string; kind: string }[] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr><td class="num">(.*?)<\/td>[\s\S]*?<code>(.*?)<\/code>/g)].map((m) => ({
    seq: textOf(m[1]!),
    kind: m[2]!,
  }));
}

/** What `airlock audit export` prints for the range: its own loop over readAudit, 1000 at a time. */
async function cliExport(format: 'jsonl' | 'cef', range: { since?: Date; until?: Date } = {}): Promise<string> {
  let text = '';
  let afterSeq = 0;
  for (;;) {
    const batch = await readAudit(api.db, { afterSeq, limit: 1000, ...range });
    if (batch.length === 0) return text;
    text += batch.map((r) => (format === 'cef' ? toCef(r, AIRLOCK_VERSION) : toJsonLine(r)) + '\n').join('');
    afterSeq = batch.at(-1)!.seq;
  }
}

describe(`audit log page (${backendName} store)`, () => {
  it('is for auditors only: operators and requesters get a 403 page, for the page and the export', async () => {
    expect((await auditor.get('/ui/audit')).status).toBe(200);
    for (const [name, token] of [
      ['olga', operatorToken],
      ['rita', requesterToken],
    ] as const) {
      const browser = await signIn(api, name, token);
      for (const path of ['/ui/audit', '/ui/audit/export?format=jsonl']) {
        const refused = await browser.get(path);
        expect(refused.status, `${name} ${path}`).toBe(403);
        expect(refused.headers.get('content-type')).toMatch(/^text\/html/);
      }
    }
  });

  it('filters by kind (exact or prefix), actor and ticket number', async () => {
    const ticket = await createTicket(api.db, {
      pipeline: 'plain',
      requester: 'rita',
      purpose: 'filter test',
      deliveryMode: 'per-item',
      policy: 'default',
    });
    const ref = formatTicketNumber(ticket.number);
    await recordAudit(api.db, { kind: 'filter.alpha', actor: 'zed', ticketId: ticket.id, details: { step: 1 } });
    await recordAudit(api.db, { kind: 'filter.alpha', actor: 'yan', details: { step: 2 } });
    await recordAudit(api.db, { kind: 'filter.beta', actor: 'zed', details: { step: 3 } });

    const exact = rowsOf((await auditor.get('/ui/audit?kind=filter.alpha')).html);
    expect(exact.map((r) => r.kind)).toEqual(['filter.alpha', 'filter.alpha']);
    const prefix = rowsOf((await auditor.get('/ui/audit?kind=filter.')).html);
    expect(prefix.map((r) => r.kind)).toEqual(['filter.beta', 'filter.alpha', 'filter.alpha']);
    const byActor = await auditor.get('/ui/audit?kind=filter.&actor=zed');
    expect(rowsOf(byActor.html).map((r) => r.kind)).toEqual(['filter.beta', 'filter.alpha']);
    const byTicket = await auditor.get(`/ui/audit?ticket=${ref}&kind=filter.`);
    expect(rowsOf(byTicket.html).map((r) => r.kind)).toEqual(['filter.alpha']);
    expect(byTicket.html).toContain(`<a href="/ui/tickets/${ref}">${ref}</a>`);
    expect(textOf(byTicket.html)).toContain('step: 1');
    // The fields keep what was asked, and the ticket's own records (its creation) show under the bare ticket filter.
    expect(byTicket.html).toContain(`value="${ref}"`);
    expect(rowsOf((await auditor.get(`/ui/audit?ticket=${ticket.number}`)).html).map((r) => r.kind)).toContain('filter.alpha');

    const unknown = await auditor.get('/ui/audit?ticket=T-999999');
    expect(unknown.status).toBe(200);
    expect(rowsOf(unknown.html)).toEqual([]);
    expect(textOf(unknown.html)).toContain('No ticket has that number');
  });

  it('refuses a bad filter with a 400 page naming the field, keeping the form', async () => {
    const badTicket = await auditor.get('/ui/audit?ticket=not-a-ticket');
    expect(badTicket.status).toBe(400);
    expect(badTicket.html).toContain('role="alert"');
    expect(textOf(badTicket.html)).toContain('The field "ticket" must be a ticket number');
    expect(badTicket.html).toContain('<label for="audit-ticket">');
    const badDate = await auditor.get('/ui/audit?from=2024-02-30');
    expect(badDate.status).toBe(400);
    expect(textOf(badDate.html)).toContain('The field "from" must be a date');
    expect(textOf(badDate.html)).not.toContain('2024-02-30"');
    const reversed = await auditor.get('/ui/audit?from=2024-05-02&to=2024-05-01');
    expect(reversed.status).toBe(400);
  });

  it('filters by day: from and to are whole UTC days', async () => {
    await recordAudit(api.db, { kind: 'day.test', actor: 'zed' }, new Date('2024-05-01T23:59:00Z'));
    await recordAudit(api.db, { kind: 'day.test', actor: 'zed' }, new Date('2024-05-02T00:00:00Z'));
    await recordAudit(api.db, { kind: 'day.test', actor: 'zed' }, new Date('2024-05-03T00:00:00Z'));
    const may2 = await auditor.get('/ui/audit?kind=day.test&from=2024-05-02&to=2024-05-02');
    expect(rowsOf(may2.html)).toHaveLength(1);
    expect(may2.html).toContain('<time datetime="2024-05-02T00:00:00.000Z">2024-05-02 00:00 UTC</time>');
    expect(rowsOf((await auditor.get('/ui/audit?kind=day.test&to=2024-05-02')).html)).toHaveLength(2);
  });

  it('pages through the log 50 at a time, newest first, with Older and Newer links that keep the filter', async () => {
    await sql`insert into audit_log (at, kind, actor, details)
      select now(), 'page.test', 'pager', jsonb_build_object('n', n) from generate_series(1, 120) as n`.execute(api.db);
    const first = await auditor.get('/ui/audit?kind=page.test');
    const n = (html: string) => [...html.matchAll(/<dt>n:<\/dt><dd>(\d+)<\/dd>/g)].map((m) => Number(m[1]));
    expect(n(first.html)).toEqual(Array.from({ length: 50 }, (_, i) => 120 - i));
    expect(first.html).not.toContain('Newer records');
    const older = /href="([^"]+)">Older records/.exec(first.html)![1]!.replace(/&amp;/g, '&');
    expect(older).toMatch(/^\/ui\/audit\?kind=page.test&before=\d+$/);
    const second = await auditor.get(older);
    expect(n(second.html)).toEqual(Array.from({ length: 50 }, (_, i) => 70 - i));
    const third = await auditor.get(/href="([^"]+)">Older records/.exec(second.html)![1]!.replace(/&amp;/g, '&'));
    expect(n(third.html)).toEqual(Array.from({ length: 20 }, (_, i) => 20 - i));
    expect(third.html).not.toContain('Older records');
    const back = await auditor.get(/href="([^"]+)">Newer records/.exec(third.html)![1]!.replace(/&amp;/g, '&'));
    expect(n(back.html)).toEqual(n(second.html));
    // Unsealed records say so instead of a seq.
    expect(rowsOf(first.html)[0]!.seq).toBe('unsealed');
  });

  it('renders hostile values in records escaped', async () => {
    await recordAudit(api.db, { kind: 'xss.test', actor: XSS, details: { name: XSS, nested: { path: XSS } } });
    const shown = await auditor.get('/ui/audit?kind=xss.test');
    expect(shown.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(shown.html).not.toContain('<script>alert(1)');
    expect(shown.html).not.toContain('<img src=x');
    expect(shown.html).not.toMatch(/<script>|<style|style="| on[a-z]+="/);
  });
});

describe(`audit export (${backendName} store)`, () => {
  beforeAll(async () => {
    // More than one batch of the export (1000), sealed as the server seals them.
    await sql`insert into audit_log (at, kind, actor, details)
      select timestamptz '2024-06-01T00:00:00Z' + n * interval '1 minute', 'export.test', 'exporter',
             jsonb_build_object('n', n, 'note', 'a=b|c\\d')
      from generate_series(1, 1100) as n`.execute(api.db);
    await recordAudit(api.db, { kind: 'auth.failed', actor: 'anonymous', details: { line: 'one\ntwo' } });
    while ((await sealAudit(api.db)) > 0);
  });

  it('downloads the whole log as JSON lines, the very text `airlock audit export --format jsonl` prints', async () => {
    const download = await auditor.get('/ui/audit/export?format=jsonl');
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    const day = new Date().toISOString().slice(0, 10);
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="airlock-audit-${day}.jsonl"`);
    expect(download.headers.get('cache-control')).toBe('no-store');
    const expected = await cliExport('jsonl');
    expect(expected.split('\n').length).toBeGreaterThan(1100);
    expect(download.html).toBe(expected);
    const exported = await api.db.selectFrom('audit_log').select(['actor', 'details']).where('kind', '=', 'audit.exported').execute();
    expect(exported).toContainEqual({ actor: 'audrey', details: { format: 'jsonl', since: null, until: null } });
  });

  it('downloads a period as CEF, equal to the CLI’s for the same --since and --until', async () => {
    const range = { since: new Date('2024-06-01T10:00:00Z'), until: new Date('2024-06-01T15:00:00Z') };
    const download = await auditor.get('/ui/audit/export?format=cef&since=2024-06-01T10:00:00Z&until=2024-06-01T15:00:00Z');
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(download.headers.get('content-disposition')).toMatch(/^attachment; filename="airlock-audit-\d{4}-\d{2}-\d{2}\.cef"$/);
    const expected = await cliExport('cef', range);
    expect(expected.split('\n')).toHaveLength(5 * 60 + 1);
    expect(download.html).toBe(expected);
    // Days as the date inputs send them: since included, until not.
    const days = await auditor.get('/ui/audit/export?format=jsonl&since=2024-06-01&until=2024-06-02');
    expect(days.html).toBe(await cliExport('jsonl', { since: new Date('2024-06-01T00:00:00Z'), until: new Date('2024-06-02T00:00:00Z') }));
  });

  it('refuses a bad format, a bad date or a reversed period with a 400 page naming the field', async () => {
    const cases: [string, string][] = [
      ['/ui/audit/export?format=jsonl&since=yesterday', 'The field "since" must be a date'],
      ['/ui/audit/export?format=jsonl&until=2024-13-01', 'The field "until" must be a date'],
      ['/ui/audit/export?format=xml', 'The field "format" must be jsonl or cef'],
      ['/ui/audit/export', 'The field "format" must be jsonl or cef'],
      ['/ui/audit/export?format=cef&since=2024-06-02&until=2024-06-01', 'The field "since" must be before "until"'],
    ];
    for (const [path, message] of cases) {
      const refused = await auditor.get(path);
      expect(refused.status, path).toBe(400);
      expect(refused.headers.get('content-type'), path).toMatch(/^text\/html/);
      expect(refused.headers.get('content-disposition'), path).toBeNull();
      expect(textOf(refused.html), path).toContain(message);
      expect(refused.html, path).not.toContain('yesterday');
    }
  });
});

describe(`chain verification on the audit page (${backendName} store)`, () => {
  it('shows the chain intact, then broken (as an alert) after a record was changed behind the triggers', async () => {
    while ((await sealAudit(api.db)) > 0);
    const head = await api.db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .executeTakeFirstOrThrow();
    const intact = await auditor.get('/ui/audit');
    expect(textOf(intact.html)).toContain(`Intact: ${Number(head.seq)} records, last sealed seq ${Number(head.seq)}`);
    expect(intact.html).not.toContain('role="alert"');

    // A database superuser switches the append-only trigger off for one transaction and edits a record.
    await api.db.transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await sql`update audit_log set details = '{"edited": true}' where seq = 3`.execute(trx);
    });
    const broken = await auditor.get('/ui/audit?verify=1');
    expect(broken.status).toBe(200);
    const alert = /<div class="chain-broken" role="alert">([\s\S]*?)<\/div>/.exec(broken.html);
    expect(alert).not.toBeNull();
    expect(textOf(alert![1]!)).toContain('Broken at record #3: record 3 was modified');
    expect(textOf(alert![1]!)).toContain('The 2 records before it are intact');
  });

  it('says the chain is not checked when this process has no audit key', async () => {
    const app = api.buildApp({ console: {} });
    const browser = await signIn({ app }, 'audrey2', await api.user('audrey2', ['auditor']));
    const shown = await browser.get('/ui/audit');
    expect(shown.status).toBe(200);
    expect(textOf(shown.html)).toContain('Not checked: this process has no audit key.');
    expect(shown.html).not.toContain('Verify the chain now');
  });
});

describe('when the page verifies', () => {
  const checker = (): ChainChecker & { runs: number } => {
    const fake = {
      runs: 0,
      last: () => undefined,
      run: () => {
        fake.runs += 1;
        return Promise.resolve({ result: { ok: true as const, records: 1, head: { seq: 1, hash: 'h' } }, at: new Date() });
      },
    };
    return fake;
  };

  it('verifies a short log on every visit, a long one only on request', async () => {
    const short = checker();
    expect((await chainStatus(short, { requested: false, headSeq: 10 })).kind).toBe('checked');
    expect(short.runs).toBe(1);
    const long = checker();
    expect(await chainStatus(long, { requested: false, headSeq: 1_000_000 })).toEqual({ kind: 'unchecked', headSeq: 1_000_000 });
    expect(long.runs).toBe(0);
    expect((await chainStatus(long, { requested: true, headSeq: 1_000_000 })).kind).toBe('checked');
    expect(long.runs).toBe(1);
    expect(await chainStatus(undefined, { requested: true, headSeq: 1 })).toEqual({ kind: 'no-key' });
  });
});
