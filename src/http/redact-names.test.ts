// A pipeline with `redactNames: true`: the API shows its items' names as `sha256:…` and never the names
// themselves, wherever the stored record would carry one (paths, destinations, errors, reasons, archive
// members, the timeline, the failure reason).
import type { z } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, sha, type ApiHarness } from '../../test/api-harness.js';
import { recordInspection, replaceItems, updateItem } from '../tickets/item-store.js';
import { appendEvent, transitionTicket } from '../tickets/ticket-store.js';
import type { TicketDetails, TicketList, TicketSummary } from './api-schemas.js';
import { nameHash } from './ticket-view.js';

type Details = z.infer<typeof TicketDetails>;

const SALARIES = 'hr/salaries-ceo-2026.xlsx';
const MERGER = 'deals/project-falcon.zip';
const MEMBER = 'falcon/term-sheet-acme.docx';
/** A name holding another name: it is hashed whole, not as the inner name's hash plus `.bak`. */
const BACKUP = `${SALARIES}.bak`;
/** Fragments of the names that must not leak either. */
const FRAGMENTS = ['salaries-ceo', 'project-falcon', 'term-sheet-acme'];

let api: ApiHarness;
const t: Record<string, string> = {};

beforeAll(async () => {
  api = await createApiHarness({ pipelines: { secret: { approvers: ['val'], redactNames: true }, open: {} } });
  t.ann = await api.user('ann', ['requester']);
  t.val = await api.user('val', ['approver']);
  t.audrey = await api.user('audrey', ['auditor']);
});
afterAll(() => api?.close());

/** A ticket of `pipeline` whose stored record names its items in every place a name can appear. */
async function recordWithNames(pipeline: string): Promise<z.infer<typeof TicketSummary>> {
  const created = await api.call('/api/v1/tickets', { token: t.ann, json: { pipeline, purpose: 'board pack' } });
  expect(created.status, created.text).toBe(201);
  const ticket = created.json<z.infer<typeof TicketSummary>>();
  const [salaries, merger, backup] = await replaceItems(api.db, ticket.uuid, [SALARIES, MERGER, BACKUP]);
  await updateItem(api.db, backup!.id, { state: 'failed', error: `Could not copy ${BACKUP} (and not ${SALARIES}).` });
  await updateItem(api.db, salaries!.id, {
    state: 'failed',
    size: 512,
    sha256: sha('a'),
    verdict: 'allow',
    rule: 'default-allow',
    reasons: JSON.stringify([`allow-docs: path matches ${SALARIES}`]),
    error: `Path "${SALARIES}" under local connector root /srv/out could not be written.`,
  });
  await updateItem(api.db, merger!.id, { state: 'delivered', size: 2048, sha256: sha('b'), destination_path: MERGER });
  await recordInspection(api.db, { id: merger!.id, ticketId: ticket.uuid }, [
    {
      check: 'dlp',
      version: '1',
      status: 'error',
      durationMs: 4,
      error: `could not read ${MERGER}`,
      findings: [
        {
          check: 'dlp',
          detector: 'marking',
          severity: 'high',
          confidence: 0.9,
          location: { entry: MEMBER, line: 3 },
          excerpt: 'marking SECRET',
        },
      ],
    },
  ]);
  await api.db
    .insertInto('decisions')
    .values({
      ticket_id: ticket.uuid,
      verdict: 'allow',
      rule: 'default-allow',
      reasons: JSON.stringify([`allow-docs: path matches ${SALARIES}`]),
      policy: 'default',
      policy_version: 'v1',
    })
    .execute();
  await appendEvent(api.db, ticket.uuid, { actor: 'worker:test', from: 'requested', to: 'requested', reason: `retrying ${SALARIES}` });
  await transitionTicket(api.db, ticket.uuid, 'failed', { actor: 'worker:test', reason: `Path "${SALARIES}" could not be read.` });
  return ticket;
}

describe('redactNames', () => {
  it('shows item paths, destinations and archive members as sha256:… and never the names, to every viewer', async () => {
    const ticket = await recordWithNames('secret');
    for (const token of [t.ann, t.val, t.audrey]) {
      const response = await api.call(`/api/v1/tickets/${ticket.id}`, { token });
      expect(response.status, response.text).toBe(200);
      const view = response.json<Details>();
      expect(view.items.map((i) => i.path)).toEqual([nameHash(SALARIES), nameHash(MERGER), nameHash(BACKUP)]);
      for (const item of view.items) expect(item.path).toMatch(/^sha256:[0-9a-f]{16}$/);
      expect(view.items[2]?.error).toBe(`Could not copy ${nameHash(BACKUP)} (and not ${nameHash(SALARIES)}).`);
      expect(view.items[1]?.destination).toBe(nameHash(MERGER));
      expect(view.findings[0]?.location).toEqual({ entry: nameHash(MEMBER), line: 3 });
      expect(view.items[0]?.error).toContain(nameHash(SALARIES));
      expect(view.state).toBe('failed');
      for (const fragment of FRAGMENTS) expect(response.text, `${fragment} leaked`).not.toContain(fragment);
    }
  });

  it('keeps the names out of ticket lists too', async () => {
    const ticket = await recordWithNames('secret');
    const response = await api.call('/api/v1/tickets?state=failed', { token: t.audrey });
    expect(response.status).toBe(200);
    expect(response.json<z.infer<typeof TicketList>>().tickets.map((x) => x.id)).toContain(ticket.id);
    for (const fragment of FRAGMENTS) expect(response.text, `${fragment} leaked`).not.toContain(fragment);
  });

  it('shows the names of a pipeline that does not redact them', async () => {
    const ticket = await recordWithNames('open');
    const view = (await api.call(`/api/v1/tickets/${ticket.id}`, { token: t.ann })).json<Details>();
    expect(view.items.map((i) => i.path)).toEqual([SALARIES, MERGER, BACKUP]);
    expect(view.findings[0]?.location).toEqual({ entry: MEMBER, line: 3 });
  });
});
