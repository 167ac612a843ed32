// The quarantine page (/ui/quarantine): operators and auditors read the list (names hashed where the ticket
// redacts them, ticket links only for those who may open the ticket); operators ask for, approve and withdraw
// releases through the core, whose refusals (same person, the ticket's requester, wrong state) are error pages.
// A real engine blocks an ELF into quarantine on the API's store, as in the API's own quarantine tests.
import { randomUUID } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../../../test/api-harness.js';
import { signIn, textOf, type ConsoleBrowser } from '../../../test/console-harness.js';
import { createEngineHarness, tinyElf, type EngineHarness } from '../../../test/engine-harness.js';
import { backendName } from '../../../test/test-store.js';
import { listItems } from '../../tickets/item-store.js';
import { nameHash } from '../../tickets/name-hash.js';
import { formatTicketNumber } from '../../tickets/states.js';
const XSS = '<script>alert(1)</script><img src=x onerror=alert(2)>';
const ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;';

let api: ApiHarness;
let engine: EngineHarness;
/** The console with releases (staging and pipelines), and one without, as a process that has neither. */
let releasing: Pick<ApiHarness, 'app'>;
let listingOnly: Pick<ApiHarness, 'app'>;
const tokens: Record<string, string> = {};
const people: Record<string, ConsoleBrowser> = {};

beforeAll(async () => {
  api = await createApiHarness({ pipelines: {} });
  engine = await createEngineHarness(api.store, { quarantine: { days: 7 }, requester: 'rita' });
  releasing = { app: api.buildApp({ quarantine: { staging: engine.staging, resolvePipeline: engine.resolvePipeline } }) };
  listingOnly = { app: api.buildApp() };
  // rita requests every ticket here and also holds operator: she still never releases their items.
  const roles = {
    rita: ['requester', 'operator'],
    olga: ['operator'],
    oscar: ['operator'],
    audrey: ['auditor'],
    rex: ['requester'],
    abby: ['approver'],
    adam: ['admin'],
  } as const;
  for (const [name, held] of Object.entries(roles)) {
    tokens[name] = await api.user(name, held);
    people[name] = await signIn(releasing, name, tokens[name]);
  }
});
afterAll(async () => {
  await engine?.cleanup();
  await api?.close();
});

/** A ticket of one ELF, blocked by the engine into quarantine. */
async function quarantined(options: { redact?: boolean } = {}) {
  const file = `${randomUUID().slice(0, 8)}.bin`;
  await writeFile(path.join(engine.inbox, file), tinyElf());
  const ticketId = await engine.submit('per-item', { include: [file] });
  if (options.redact) await api.db.updateTable('tickets').set({ redact_names: true }).where('id', '=', ticketId).execute();
  const ticket = await engine.processor.process(ticketId);
  expect(ticket.state).toBe('blocked');
  const [item] = await listItems(api.db, ticketId);
  const row = await api.db.selectFrom('quarantined_items').selectAll().where('item_id', '=', item!.id).executeTakeFirstOrThrow();
  return { ticketId, ticket: formatTicketNumber(ticket.number), item: item!, id: row.id, file };
}

const release = (who: string, id: string, reason: string | null = 'vendor confirmed the signed installer') =>
  people[who]!.post(`/ui/quarantine/${id}/release`, reason === null ? {} : { reason });
const withdraw = (who: string, id: string) => people[who]!.post(`/ui/quarantine/${id}/cancel`);
const stateOf = async (id: string) =>
  (await api.db.selectFrom('quarantined_items').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state;
const list = async (who: string, query = '') => {
  const page = await people[who]!.get(`/ui/quarantine${query}`);
  expect(page.status, page.html).toBe(200);
  return page.html;
};
/** The table row of a ticket's item (each ticket here quarantines one item). */
const rowOf = (html: string, ticket: string) => {
  const row = html.split('<tr>').find((part) => part.includes(`>${ticket}<`));
  expect(row, `no row for ${ticket}`).toBeDefined();
  return row!.split('</tr>')[0]!;
};
const postActions = (html: string) => [...html.matchAll(/<form\b[^>]*method="post"[^>]*action="([^"]+)"/g)].map((m) => m[1]);

describe(`quarantine pages (${backendName})`, () => {
  it('are for operators and auditors; requesters, approvers and admins get 403', async () => {
    for (const name of ['olga', 'audrey']) {
      const page = await people[name]!.get('/ui/quarantine');
      expect(page.status, name).toBe(200);
      expect(page.html).toContain('<h1>Quarantine</h1>');
    }
    for (const name of ['rex', 'abby', 'adam']) {
      const page = await people[name]!.get('/ui/quarantine');
      expect(page.status, name).toBe(403);
      expect(textOf(page.html)).toContain('This page is for the roles operator, auditor');
    }
  });

  it('list what blocked each item and until when; links a ticket only for those who may open it', async () => {
    const q = await quarantined();
    const seen = rowOf(await list('olga'), q.ticket);
    expect(textOf(seen)).toContain(q.file);
    expect(textOf(seen)).toContain(q.item.rule!);
    expect(seen).toMatch(/<time datetime="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d UTC<\/time>/);
    expect(textOf(seen)).toContain('held');
    // olga is neither its requester nor its assigned operator: the number is plain text.
    expect(seen).not.toContain(`href="/ui/tickets/${q.ticket}"`);
    expect(rowOf(await list('audrey'), q.ticket)).toContain(`href="/ui/tickets/${q.ticket}"`);
    const detectors = await api.db.selectFrom('findings').select(['check', 'detector']).where('item_id', '=', q.item.id).execute();
    expect(detectors.length).toBeGreaterThan(0);
    for (const d of detectors) expect(textOf(seen)).toContain(`${d.check}: ${d.detector}`);
  });

  it('hash the names of tickets that redact them, in the name column and in release reasons', async () => {
    const q = await quarantined({ redact: true });
    expect((await release('olga', q.id, `the file ${q.file} is the signed installer`)).status).toBe(303);
    for (const who of ['olga', 'audrey']) {
      const row = rowOf(await list(who), q.ticket);
      expect(row).not.toContain(q.file);
      expect(textOf(row)).toContain(nameHash(q.file));
      expect(textOf(row)).toContain(`the file ${nameHash(q.file)} is the signed installer`);
    }
  });

  it('release on the second operator’s approval: the file is written where releaseTo says, and the list shows who and when', async () => {
    const q = await quarantined();
    const asked = await release('olga', q.id, 'needed for the incident review');
    expect(asked.status, asked.html).toBe(303);
    expect(asked.location).toBe('/ui/quarantine?done=requested');
    expect(await stateOf(q.id)).toBe('release_requested');
    expect(textOf(await list('olga', '?done=requested'))).toContain('Release requested. A second operator');

    // olga may only withdraw her own request; oscar may approve it or withdraw it.
    const olgas = rowOf(await list('olga'), q.ticket);
    expect(postActions(olgas)).toEqual([`/ui/quarantine/${q.id}/cancel`]);
    expect(textOf(olgas)).toContain('You asked for this release; a different operator must approve it.');
    expect(textOf(olgas)).toContain('by olga');
    expect(textOf(olgas)).toContain('needed for the incident review');
    const oscars = rowOf(await list('oscar'), q.ticket);
    expect(postActions(oscars)).toEqual([`/ui/quarantine/${q.id}/release`, `/ui/quarantine/${q.id}/cancel`]);
    expect(textOf(oscars)).toContain('Approve release');
    expect(oscars).toMatch(/<label for="reason-[^"]+">Reason<\/label>/);

    const approved = await release('oscar', q.id, 'checked the vendor signature');
    expect(approved.status, approved.html).toBe(303);
    expect(approved.location).toBe('/ui/quarantine?done=released');
    const row = await api.db.selectFrom('quarantined_items').selectAll().where('id', '=', q.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ state: 'released', requested_by: 'olga', released_by: 'oscar', destination_path: `${q.ticket}/${q.file}` });
    expect(await readFile(path.join(engine.released, q.ticket, q.file))).toEqual(tinyElf());

    expect(textOf(await list('oscar', '?done=released'))).toContain('Released: the item was written');
    expect(await list('oscar')).not.toContain(`>${q.ticket}<`);
    const done = textOf(rowOf(await list('audrey', '?state=released'), q.ticket));
    expect(done).toContain('released');
    expect(done).toContain('by oscar');
    expect(done).toContain(`to ${q.ticket}/${q.file}`);
  });

  it('refuse the same operator approving her own request with a clear page, and release nothing', async () => {
    const q = await quarantined();
    expect((await release('olga', q.id)).status).toBe(303);
    const twice = await release('olga', q.id);
    expect(twice.status).toBe(409);
    expect(textOf(twice.html)).toContain('That cannot be done now');
    expect(textOf(twice.html)).toContain('a different person must approve it (two persons, always)');
    expect(await stateOf(q.id)).toBe('release_requested');
    expect(await readdir(engine.released)).not.toContain(q.ticket);
  });

  it("refuse the ticket's requester though she holds operator, and offer her no forms for it", async () => {
    const q = await quarantined();
    const row = rowOf(await list('rita'), q.ticket);
    expect(postActions(row)).toEqual([]);
    expect(textOf(row)).toContain('You requested this ticket: its requester never releases its items.');
    expect(row).toContain(`href="/ui/tickets/${q.ticket}"`);

    const asked = await release('rita', q.id);
    expect(asked.status).toBe(403);
    expect(textOf(asked.html)).toContain('its requester never releases its blocked items');
    expect(await stateOf(q.id)).toBe('held');
    expect((await release('olga', q.id)).status).toBe(303);
    expect((await release('rita', q.id)).status).toBe(403);
    expect((await withdraw('rita', q.id)).status).toBe(403);
    expect(await stateOf(q.id)).toBe('release_requested');
  });

  it('withdraw a request: the item is held again, and withdrawing twice is refused', async () => {
    const q = await quarantined();
    expect((await release('olga', q.id)).status).toBe(303);
    const withdrawn = await withdraw('oscar', q.id);
    expect(withdrawn.status, withdrawn.html).toBe(303);
    expect(withdrawn.location).toBe('/ui/quarantine?done=withdrawn');
    expect(await stateOf(q.id)).toBe('held');
    expect(textOf(await list('oscar', '?done=withdrawn'))).toContain('Release request withdrawn: the item is held again.');
    expect(postActions(rowOf(await list('oscar'), q.ticket))).toEqual([`/ui/quarantine/${q.id}/release`]);
    const again = await withdraw('oscar', q.id);
    expect(again.status).toBe(409);
    expect(textOf(again.html)).toContain('there is nothing to withdraw');
  });

  it('show auditors everything read-only, and refuse their posts with 403', async () => {
    const q = await quarantined();
    expect((await release('olga', q.id)).status).toBe(303);
    const html = await list('audrey');
    expect(postActions(html)).toEqual(['/ui/logout']);
    expect(html).not.toContain('<th scope="col">Actions</th>');
    expect(textOf(rowOf(html, q.ticket))).toContain('by olga');
    expect((await release('audrey', q.id)).status).toBe(403);
    expect((await withdraw('audrey', q.id)).status).toBe(403);
    expect(await stateOf(q.id)).toBe('release_requested');
  });

  it('refuse posts without the CSRF token, a reason too short, and an unknown item', async () => {
    const q = await quarantined();
    const forged = await people.olga!.post(`/ui/quarantine/${q.id}/release`, { csrf: null, reason: 'looks fine to me' });
    expect(forged.status).toBe(403);
    const short = await release('olga', q.id, ' x ');
    expect(short.status).toBe(400);
    expect(textOf(short.html)).toContain('A reason must be 3 to 1000 characters long');
    expect(await release('olga', q.id, null).then((p) => p.status)).toBe(400);
    expect(await stateOf(q.id)).toBe('held');
    for (const id of [randomUUID(), 'not-a-uuid']) {
      const unknown = await release('olga', id);
      expect(unknown.status).toBe(404);
      expect(textOf(unknown.html)).toContain('There is no such quarantined item.');
      expect(unknown.html).not.toContain(id);
    }
  });

  it('render reasons and file names escaped', async () => {
    const q = await quarantined();
    // Source paths come from the source's listing; a name like this one is set on the row (a file system refuses the slash).
    await api.db
      .updateTable('items')
      .set({ source_path: `tools/${XSS}.bin` })
      .where('id', '=', q.item.id)
      .execute();
    expect((await release('olga', q.id, `approved ${XSS}`)).status).toBe(303);
    for (const who of ['oscar', 'audrey']) {
      const html = await list(who);
      expect(html).toContain(`tools/${ESCAPED}.bin`);
      expect(html).toContain(`approved ${ESCAPED}`);
      expect(html).not.toContain(XSS);
      expect(html).not.toMatch(/<img|<script/);
    }
  });

  it('without staging in the process: list, say releases are not possible here, and refuse them', async () => {
    const q = await quarantined();
    const olga = await signIn(listingOnly, 'olga', tokens.olga!);
    const page = await olga.get('/ui/quarantine');
    expect(page.status).toBe(200);
    expect(textOf(page.html)).toContain('Releases are not possible in this process');
    const row = rowOf(page.html, q.ticket);
    expect(postActions(row)).toEqual([]);
    const refused = await olga.post(`/ui/quarantine/${q.id}/release`, { reason: 'vendor confirmed' });
    expect(refused.status).toBe(409);
    expect(textOf(refused.html)).toContain('Releases are not possible in this process');
    expect(await stateOf(q.id)).toBe('held');
  });
});
