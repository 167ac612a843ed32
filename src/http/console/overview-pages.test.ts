// The overview page: who may open it, the period it shows, and that it draws its charts as inline SVG.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../../../test/api-harness.js';
import { signIn, textOf, type ConsoleBrowser } from '../../../test/console-harness.js';

let api: ApiHarness;
const as: Record<string, ConsoleBrowser> = {};

beforeAll(async () => {
  api = await createApiHarness({ pipelines: { plain: {} } });
  for (const role of ['operator', 'auditor', 'requester', 'approver', 'admin'] as const) {
    as[role] = await signIn(api, `only-${role}`, await api.user(`only-${role}`, [role]));
  }
});
afterAll(() => api?.close());

describe('GET /ui/overview', () => {
  it('is for operators and auditors; everyone else gets a 403 page', async () => {
    for (const role of ['operator', 'auditor']) expect((await as[role]!.get('/ui/overview')).status, role).toBe(200);
    for (const role of ['requester', 'approver', 'admin']) expect((await as[role]!.get('/ui/overview')).status, role).toBe(403);
  });

  it('draws five charts as SVG on the server, each with its data as a table, for the period asked', async () => {
    const overview = await as.auditor!.get('/ui/overview?days=7');
    expect(overview.html.match(/<svg[^>]*role="img"/g)).toHaveLength(5);
    expect(overview.html.match(/<summary>Data as a table<\/summary>/g)).toHaveLength(5);
    expect(textOf(overview.html)).toContain('Last 7 days');
    expect(overview.html).toContain('<option value="7" selected="">');
    expect(overview.html).not.toMatch(/<script>|<style|style="| on[a-z]+="/);
  });

  it('refuses a period it does not offer with a 400 page naming the choices', async () => {
    const refused = await as.operator!.get('/ui/overview?days=100000');
    expect(refused.status).toBe(400);
    expect(textOf(refused.html)).toContain('days must be one of 7, 14, 30, 90');
  });
});
