// Every form that changes something carries the session's CSRF token, on every page of every role; forms
// without one only read (GET). Checked over the pages as they render with real tickets in them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, ticketAwaitingApproval, type ApiHarness } from '../../../test/api-harness.js';
import { signIn, type ConsoleBrowser } from '../../../test/console-harness.js';
import { formatTicketNumber } from '../../tickets/states.js';
import { createTicket, transitionTicket } from '../../tickets/ticket-store.js';

let api: ApiHarness;
const people: Record<string, ConsoleBrowser> = {};
let awaiting: string;
let failed: string;

beforeAll(async () => {
  api = await createApiHarness({ pipelines: { dual: { approvers: ['abby'] } } });
  const roles = { rita: ['requester'], abby: ['approver'], olga: ['operator'], audrey: ['auditor'], adam: ['admin'] } as const;
  for (const [name, held] of Object.entries(roles)) people[name] = await signIn(api, name, await api.user(name, held));
  const { ticket } = await ticketAwaitingApproval(api.db, { requester: 'rita', approvers: ['abby'], pipeline: 'dual' });
  awaiting = formatTicketNumber(ticket.number);
  const broken = await createTicket(api.db, {
    pipeline: 'dual',
    requester: 'rita',
    purpose: 'will fail',
    deliveryMode: 'per-item',
    policy: 'default',
  });
  await transitionTicket(api.db, broken.id, 'failed', { actor: 'worker:test', reason: 'source unreachable' });
  failed = formatTicketNumber(broken.number);
});
afterAll(() => api?.close());

const PAGES: Record<string, () => string[]> = {
  rita: () => ['/ui/account', '/ui/tickets', '/ui/tickets/new', `/ui/tickets/${awaiting}`, `/ui/tickets/${failed}`, '/ui/outbox'],
  abby: () => ['/ui/tickets', '/ui/approvals', `/ui/tickets/${awaiting}`, '/ui/outbox'],
  olga: () => ['/ui/operations', '/ui/quarantine', '/ui/overview', '/ui/tickets', '/ui/outbox'],
  audrey: () => ['/ui/audit', '/ui/quarantine', '/ui/overview', '/ui/tickets', `/ui/tickets/${awaiting}`, '/ui/outbox'],
  adam: () => ['/ui/account', '/ui/outbox'],
};

describe('console forms', () => {
  it('carry the session’s CSRF token in every POST form, on every page of every role', async () => {
    let posts = 0;
    let pages = 0;
    for (const [name, paths] of Object.entries(PAGES)) {
      const browser = people[name]!;
      for (const path of paths()) {
        const page = await browser.get(path);
        expect(page.status, `${name} ${path}`).toBe(200);
        pages++;
        const forms = [...page.html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)];
        expect(forms.length, `${name} ${path}`).toBeGreaterThan(0);
        for (const [, attributes, body] of forms) {
          const method = /method="(\w+)"/.exec(attributes!)?.[1]?.toLowerCase() ?? 'get';
          if (method === 'get') continue;
          posts++;
          expect(method, `${name} ${path}`).toBe('post');
          expect(body, `${name} ${path}: ${attributes}`).toContain(`<input type="hidden" name="csrf" value="${browser.csrf}"`);
          expect(attributes, `${name} ${path}`).toMatch(/action="\/ui\//);
        }
      }
    }
    // Sign-out on every page, and the actions besides: decide, confirm, cancel, escalate, retry, run now.
    expect(posts).toBeGreaterThanOrEqual(pages + 6);
  });

  it('offers the actions each role has: decide to the approver, retry and run now to the operator, nothing to the auditor', async () => {
    const decide = `action="/ui/tickets/${awaiting}/decision"`;
    expect((await people.abby!.get(`/ui/tickets/${awaiting}`)).html).toContain(decide);
    expect((await people.abby!.get('/ui/approvals')).html).toContain(decide);
    const operations = (await people.olga!.get('/ui/operations')).html;
    expect(operations).toContain(`action="/ui/tickets/${failed}/retry"`);
    expect(operations).toContain('action="/ui/pipelines/dual/run"');
    const audited = (await people.audrey!.get(`/ui/tickets/${awaiting}`)).html;
    expect([...audited.matchAll(/<form\b[^>]*method="post"[^>]*action="([^"]+)"/g)].map((m) => m[1])).toEqual(['/ui/logout']);
  });
});
