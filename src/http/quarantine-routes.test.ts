// Two-person release of quarantined items through the API: a real engine blocks an ELF into quarantine on the
// API's store, then operators ask for and approve its release, which writes the staged copy to the pipeline's
// release destination. The rules (two different people, never the ticket's requester, not after expiry, once
// only under concurrency) and the audit trail of every step are checked here.
import { randomUUID } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { z } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness, type ProblemJson } from '../../test/api-harness.js';
import { createEngineHarness, tinyElf, type EngineHarness } from '../../test/engine-harness.js';
import { backendName } from '../../test/test-store.js';
import type { Connector } from '../../connectors/connector.js';
import { AirlockError } from '../errors.js';
import { purgeExpiredQuarantine } from '../quarantine/expire.js';
import { cancelReleaseRequest, releaseQuarantinedItem } from '../quarantine/release.js';
import { listItems } from '../tickets/item-store.js';
import { formatTicketNumber } from '../tickets/states.js';
import type { QuarantinedItem, QuarantineList, ReleaseResult } from './api-schemas.js';
import type { createApp } from './app.js';

type Item = z.infer<typeof QuarantinedItem>;
type Released = z.infer<typeof ReleaseResult>;

let api: ApiHarness;
let engine: EngineHarness;
let app: ReturnType<typeof createApp>;
const t: Record<string, string> = {};

beforeAll(async () => {
  api = await createApiHarness({ pipelines: {} });
  engine = await createEngineHarness(api.store, { quarantine: { days: 7 }, requester: 'rita' });
  app = api.buildApp({ quarantine: { staging: engine.staging, resolvePipeline: engine.resolvePipeline } });
  // rita requests the tickets, and also holds operator: she still never releases her own ticket's items.
  t.rita = await api.user('rita', ['requester', 'operator']);
  t.olga = await api.user('olga', ['operator']);
  t.oscar = await api.user('oscar', ['operator']);
  t.otto = await api.user('otto', ['operator']);
  t.audrey = await api.user('audrey', ['auditor']);
});
afterAll(async () => {
  await engine?.cleanup();
  await api?.close();
});

const release = (token: string | undefined, id: string, reason = 'vendor confirmed the signed installer') =>
  api.call(`/api/v1/quarantine/${id}/release`, { app, token, json: { reason } });
const cancel = (token: string | undefined, id: string) => api.call(`/api/v1/quarantine/${id}/cancel`, { app, token, json: {} });
const listed = async (token = t.olga!, query = '') => {
  const response = await api.call(`/api/v1/quarantine${query}`, { app, token });
  expect(response.status, response.text).toBe(200);
  return response.json<z.infer<typeof QuarantineList>>().items;
};
const stateOf = async (id: string) =>
  (await api.db.selectFrom('quarantined_items').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state;
const auditOf = (ticketId: string) =>
  api.db
    .selectFrom('audit_log')
    .select(['kind', 'actor', 'details'])
    .where('ticket_id', '=', ticketId)
    .where('kind', 'like', 'quarantine.%')
    .orderBy('seq')
    .execute();
const problemOf = (response: { json<T>(): T }) => response.json<ProblemJson>();

/** A ticket of one ELF, blocked by the engine into quarantine. */
async function quarantined(options: { redact?: boolean } = {}) {
  const name = `tools/${randomUUID().slice(0, 8)}.bin`;
  await writeFile(path.join(engine.inbox, path.basename(name)), tinyElf());
  const ticketId = await engine.submit('per-item', { include: [path.basename(name)] });
  if (options.redact) await api.db.updateTable('tickets').set({ redact_names: true }).where('id', '=', ticketId).execute();
  const ticket = await engine.processor.process(ticketId);
  expect(ticket.state).toBe('blocked');
  const [item] = await listItems(api.db, ticketId);
  const row = await api.db.selectFrom('quarantined_items').selectAll().where('item_id', '=', item!.id).executeTakeFirstOrThrow();
  return { ticketId, ticket: formatTicketNumber(ticket.number), item: item!, id: row.id, file: path.basename(name) };
}

describe(`quarantine API (${backendName})`, () => {
  it('lists held items to operators and auditors: ticket, seq, name, size, sha256, detectors, until, state', async () => {
    const q = await quarantined();
    for (const token of [t.olga, t.audrey]) {
      const item = (await listed(token)).find((i) => i.id === q.id);
      expect(item).toEqual({
        id: q.id,
        ticket: q.ticket,
        ticketId: q.ticketId,
        pipeline: 'test',
        seq: 1,
        name: q.file,
        size: 64,
        sha256: q.item.sha256,
        rule: q.item.rule,
        detectors: expect.arrayContaining([expect.objectContaining({ count: expect.any(Number) })]),
        until: expect.any(String),
        state: 'held',
        requestedBy: null,
        requestedAt: null,
        reason: null,
        releasedBy: null,
        releasedAt: null,
        destination: null,
        purgedAt: null,
      } satisfies Item);
      expect(item!.detectors.length).toBeGreaterThan(0);
    }
    expect((await api.call('/api/v1/quarantine', { app, token: t.rita })).status).toBe(200); // rita holds operator
  });

  it('releases on the second call by a different operator: the verified file arrives, staging goes, every step is audited', async () => {
    const q = await quarantined();
    const first = await release(t.olga, q.id, 'needed for the incident review');
    expect(first.status, first.text).toBe(200);
    expect(first.json<Released>()).toMatchObject({
      outcome: 'release_requested',
      item: { state: 'release_requested', requestedBy: 'olga', reason: 'needed for the incident review', releasedBy: null },
    });
    expect(await readdir(engine.released)).not.toContain(q.ticket);

    const second = await release(t.oscar, q.id, 'checked the vendor signature');
    expect(second.status, second.text).toBe(200);
    expect(second.json<Released>()).toMatchObject({
      outcome: 'released',
      item: {
        state: 'released',
        requestedBy: 'olga',
        releasedBy: 'oscar',
        destination: `${q.ticket}/${q.file}`,
        releasedAt: expect.any(String),
      },
    });
    expect(await readFile(path.join(engine.released, q.ticket, q.file))).toEqual(tinyElf());
    // Nothing of the ticket is held any more: its staging is purged whole.
    await expect(readdir(path.join(engine.dir, 'staging', q.ticketId))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await listed()).map((i) => i.id)).not.toContain(q.id);
    expect((await listed(t.olga, '?state=released')).map((i) => i.id)).toContain(q.id);

    expect(await auditOf(q.ticketId)).toEqual([
      { kind: 'quarantine.held', actor: 'worker:test', details: expect.objectContaining({ quarantineId: q.id, seq: 1, path: q.file }) },
      {
        kind: 'quarantine.release_requested',
        actor: 'olga',
        details: { quarantineId: q.id, itemId: q.item.id, seq: 1, path: q.file, reason: 'needed for the incident review' },
      },
      {
        kind: 'quarantine.released',
        actor: 'oscar',
        details: {
          quarantineId: q.id,
          itemId: q.item.id,
          seq: 1,
          path: q.file,
          requestedBy: 'olga',
          releasedBy: 'oscar',
          reason: 'checked the vendor signature',
          destination: `${q.ticket}/${q.file}`,
          destinationKind: 'local',
          size: 64,
          sha256: q.item.sha256,
        },
      },
    ]);

    const again = await release(t.otto, q.id);
    expect(again.status).toBe(409);
    expect(problemOf(again).code).toBe('already_released');
  });

  it("refuses the ticket's requester with 403 requester_cannot_release, though she holds operator, at either step", async () => {
    const q = await quarantined();
    const asFirst = await release(t.rita, q.id);
    expect(asFirst.status).toBe(403);
    expect(problemOf(asFirst)).toMatchObject({ code: 'requester_cannot_release', title: 'requester cannot release', status: 403 });
    expect(await stateOf(q.id)).toBe('held');

    expect((await release(t.olga, q.id)).status).toBe(200);
    const asSecond = await release(t.rita, q.id);
    expect(asSecond.status).toBe(403);
    expect(problemOf(asSecond).code).toBe('requester_cannot_release');
    expect(await stateOf(q.id)).toBe('release_requested');
    expect((await cancel(t.rita, q.id)).status).toBe(403);
    expect((await auditOf(q.ticketId)).map((r) => r.actor)).toEqual(['worker:test', 'olga']);
  });

  it('refuses the same person twice with 409 same_person; a request can be withdrawn and asked again', async () => {
    const q = await quarantined();
    expect((await release(t.olga, q.id)).status).toBe(200);
    const twice = await release(t.olga, q.id);
    expect(twice.status).toBe(409);
    expect(problemOf(twice)).toMatchObject({ code: 'same_person', detail: expect.stringContaining('a different person must approve') });
    expect(await stateOf(q.id)).toBe('release_requested');

    const withdrawn = await cancel(t.oscar, q.id);
    expect(withdrawn.status, withdrawn.text).toBe(200);
    expect(withdrawn.json<Item>()).toMatchObject({ state: 'held', requestedBy: null });
    const nothing = await cancel(t.oscar, q.id);
    expect(nothing.status).toBe(409);
    expect(problemOf(nothing).code).toBe('not_requested');

    // After the withdrawal, olga's earlier request no longer counts: oscar asks anew, and olga may now approve.
    expect((await release(t.oscar, q.id)).json<Released>().outcome).toBe('release_requested');
    expect((await release(t.olga, q.id)).json<Released>().outcome).toBe('released');
    expect((await auditOf(q.ticketId)).map((r) => [r.kind, r.actor])).toEqual([
      ['quarantine.held', 'worker:test'],
      ['quarantine.release_requested', 'olga'],
      ['quarantine.release_cancelled', 'oscar'],
      ['quarantine.release_requested', 'oscar'],
      ['quarantine.released', 'olga'],
    ]);
  });

  it('refuses auditors (403 forbidden): they list but change nothing', async () => {
    const q = await quarantined();
    const response = await release(t.audrey, q.id);
    expect(response.status).toBe(403);
    expect(problemOf(response).code).toBe('forbidden');
    expect(await stateOf(q.id)).toBe('held');
  });

  it('answers 404 for an unknown id, 409 quarantine_expired past until and 409 quarantine_purged once purged', async () => {
    for (const id of [randomUUID(), 'not-a-uuid']) {
      const unknown = await release(t.olga, id);
      expect(unknown.status).toBe(404);
      expect(problemOf(unknown).code).toBe('not_found');
    }
    const q = await quarantined();
    expect((await release(t.olga, q.id)).status).toBe(200);
    await api.db
      .updateTable('quarantined_items')
      .set({ until: new Date(Date.now() - 1000) })
      .where('id', '=', q.id)
      .execute();
    const expired = await release(t.oscar, q.id);
    expect(expired.status).toBe(409);
    expect(problemOf(expired).code).toBe('quarantine_expired');
    expect(await readdir(engine.released)).not.toContain(q.ticket);

    expect((await purgeExpiredQuarantine(api.db, engine.staging)).purged).toBeGreaterThanOrEqual(1);
    const purged = await release(t.oscar, q.id);
    expect(purged.status).toBe(409);
    expect(problemOf(purged).code).toBe('quarantine_purged');
    await expect(readdir(path.join(engine.dir, 'staging', q.ticketId))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('of two concurrent approvals, exactly one releases; the other gets 409 already_released', async () => {
    const q = await quarantined();
    expect((await release(t.olga, q.id)).status).toBe(200);
    const answers = await Promise.all([release(t.oscar, q.id), release(t.otto, q.id)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect(problemOf(answers.find((a) => a.status === 409)!).code).toBe('already_released');
    const released = (await auditOf(q.ticketId)).filter((r) => r.kind === 'quarantine.released');
    expect(released).toHaveLength(1);
    const winner = answers.find((a) => a.status === 200)!.json<Released>().item.releasedBy;
    expect(released[0]!.actor).toBe(winner);
    expect(await readFile(path.join(engine.released, q.ticket, q.file))).toEqual(tinyElf());
  });

  it('with redacted names: lists the hash, releases to T-000123/item-<seq>, and audits no name', async () => {
    const q = await quarantined({ redact: true });
    const item = (await listed()).find((i) => i.id === q.id)!;
    expect(item.name).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect((await release(t.olga, q.id)).status).toBe(200);
    const done = await release(t.oscar, q.id);
    expect(done.json<Released>().item).toMatchObject({ state: 'released', destination: `${q.ticket}/item-1`, name: item.name });
    expect(await readFile(path.join(engine.released, q.ticket, 'item-1'))).toEqual(tinyElf());
    const trail = JSON.stringify(await auditOf(q.ticketId));
    expect(trail).not.toContain(q.file);
    expect(trail).toContain(`${q.ticket}/item-1`);
  });
});

describe(`quarantine release failures and store rules (${backendName})`, () => {
  /** An app whose release destination fails every write, or that has no release destination at all. */
  const appWith = (quarantine: 'failing' | 'none') =>
    api.buildApp({
      quarantine: {
        staging: engine.staging,
        resolvePipeline: async (name) => {
          const pipeline = await engine.resolvePipeline(name);
          if (quarantine === 'none') return { ...pipeline, quarantine: undefined };
          const failing: Connector = {
            ...pipeline.quarantine!.releaseTo,
            async write(_target, data) {
              data.destroy();
              throw new AirlockError('connector_failed', 'The release destination refused the write.');
            },
          };
          return { ...pipeline, quarantine: { ...pipeline.quarantine!, releaseTo: failing } };
        },
      },
    });

  it('a failed write leaves the item release_requested with nothing released, and records the failed attempt', async () => {
    const q = await quarantined();
    expect((await release(t.olga, q.id)).status).toBe(200);
    const failed = await api.call(`/api/v1/quarantine/${q.id}/release`, {
      app: appWith('failing'),
      token: t.oscar,
      json: { reason: 'try' },
    });
    expect(failed.status).toBe(502);
    expect(problemOf(failed).code).toBe('connector_failed');
    expect(await stateOf(q.id)).toBe('release_requested');
    expect(await engine.staging.has(q.ticketId, q.item.id)).toBe(true);
    expect((await auditOf(q.ticketId)).map((r) => [r.kind, r.actor])).toEqual([
      ['quarantine.held', 'worker:test'],
      ['quarantine.release_requested', 'olga'],
      ['quarantine.release_failed', 'oscar'],
    ]);
    // The next approval goes through.
    expect((await release(t.oscar, q.id)).json<Released>().outcome).toBe('released');
  });

  it('409 no_release_destination when the pipeline no longer names one', async () => {
    const q = await quarantined();
    expect((await release(t.olga, q.id)).status).toBe(200);
    const response = await api.call(`/api/v1/quarantine/${q.id}/release`, {
      app: appWith('none'),
      token: t.oscar,
      json: { reason: 'try' },
    });
    expect(response.status).toBe(409);
    expect(problemOf(response).code).toBe('no_release_destination');
    expect(await stateOf(q.id)).toBe('release_requested');
  });

  it('the store functions enforce the rules without the route', async () => {
    const q = await quarantined();
    const ctx = { staging: engine.staging, resolvePipeline: engine.resolvePipeline };
    const caller = (name: string, roles: ('operator' | 'auditor' | 'requester')[]) => ({ name, roles, groups: [] });
    await expect(releaseQuarantinedItem(api.db, ctx, q.id, caller('audrey', ['auditor']), { reason: 'x' })).rejects.toMatchObject({
      code: 'forbidden',
    });
    await expect(releaseQuarantinedItem(api.db, ctx, q.id, caller('rita', ['operator']), { reason: 'x' })).rejects.toMatchObject({
      problem: 'requester_cannot_release',
      status: 403,
    });
    await releaseQuarantinedItem(api.db, ctx, q.id, caller('olga', ['operator']), { reason: 'x' });
    await expect(releaseQuarantinedItem(api.db, ctx, q.id, caller('olga', ['operator']), { reason: 'x' })).rejects.toMatchObject({
      problem: 'same_person',
      status: 409,
    });
    await expect(cancelReleaseRequest(api.db, q.id, caller('rita', ['operator']))).rejects.toMatchObject({
      problem: 'requester_cannot_release',
    });
    // The table refuses a release approved by whoever asked, whatever the code does.
    await expect(
      api.db
        .updateTable('quarantined_items')
        .set({ state: 'released', released_by: 'olga', released_at: new Date(), destination_path: 'x' })
        .where('id', '=', q.id)
        .execute(),
    ).rejects.toThrow();
    expect(await stateOf(q.id)).toBe('release_requested');
  });
});
