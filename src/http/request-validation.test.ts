// Input handling: malformed JSON, wrong types, unknown fields and oversized bodies are refused before any
// handler runs, each as an RFC 9457 problem with a stable code (the harness checks the content type and
// `code` of every error response).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, ticketAwaitingApproval, type ApiHarness, type ProblemJson } from '../../test/api-harness.js';
import { MAX_BODY_BYTES } from './app.js';

type Invalid = ProblemJson & { issues?: string[] };

let api: ApiHarness;
const t: Record<string, string> = {};
let ticketRef: string;

beforeAll(async () => {
  api = await createApiHarness({ pipelines: { inbound: { approvers: ['val'] } } });
  t.ann = await api.user('ann', ['requester']);
  t.val = await api.user('val', ['approver']);
  t.olga = await api.user('olga', ['operator']);
  const { ticket } = await ticketAwaitingApproval(api.db, { requester: 'ann', approvers: ['val'], pipeline: 'inbound' });
  ticketRef = String(ticket.number);
});
afterAll(() => api?.close());

async function expectInvalid(response: Awaited<ReturnType<ApiHarness['call']>>, ...mentions: string[]): Promise<Invalid> {
  expect(response.status, response.text).toBe(400);
  const body = response.json<Invalid>();
  expect(body).toMatchObject({ code: 'invalid_input', title: 'invalid input', status: 400 });
  for (const mention of mentions) expect(body.detail).toContain(mention);
  return body;
}

describe('request validation', () => {
  it('answers malformed JSON with 400 invalid_input', async () => {
    for (const body of ['{"pipeline": "inbound", ', '{pipeline: inbound}', 'null,', '\u0000']) {
      const response = await api.call('/api/v1/tickets', { token: t.ann, body });
      const problem = await expectInvalid(response);
      expect(problem.detail).toBe('Malformed request: the body is not valid JSON.');
    }
    await expectInvalid(await api.call(`/api/v1/tickets/${ticketRef}/decisions`, { token: t.val, body: '{"decision":' }));
  });

  it('answers wrong types with 400 naming the field', async () => {
    const cases: [string, unknown, string][] = [
      ['/api/v1/tickets', { pipeline: 7, purpose: 'quarterly' }, 'json.pipeline'],
      ['/api/v1/tickets', { pipeline: 'inbound', purpose: ['quarterly'] }, 'json.purpose'],
      ['/api/v1/tickets', { pipeline: 'inbound', purpose: 'quarterly', selection: { include: 'a/*.csv' } }, 'json.selection.include'],
      ['/api/v1/tickets', ['inbound'], 'json'],
      [`/api/v1/tickets/${ticketRef}/decisions`, { decision: 'maybe' }, 'json.decision'],
      [`/api/v1/tickets/${ticketRef}/decisions`, { decision: 'approve', comment: 42 }, 'json.comment'],
      ['/api/v1/pipelines/inbound/run', { purpose: false }, 'json.purpose'],
    ];
    for (const [path, json, field] of cases) {
      const token = path.includes('/decisions') ? t.val : path.includes('/run') ? t.olga : t.ann;
      const problem = await expectInvalid(await api.call(path, { token, json }), `${field}:`);
      expect(problem.issues?.some((issue) => issue.startsWith(`${field}:`))).toBe(true);
    }
    await expectInvalid(await api.call('/api/v1/tickets?limit=many', { token: t.ann }), 'query.limit');
    await expectInvalid(await api.call('/api/v1/tickets?state=lost', { token: t.ann }), 'query.state');
    await expectInvalid(await api.call('/api/v1/pipelines/Not_A_Name/run', { token: t.olga, json: {} }), 'param.name');
  });

  it('answers unknown fields with 400 naming them', async () => {
    const cases: [string, string, unknown][] = [
      ['/api/v1/tickets', t.ann!, { pipeline: 'inbound', purpose: 'quarterly', priority: 'urgent' }],
      ['/api/v1/tickets', t.ann!, { pipeline: 'inbound', purpose: 'quarterly', selection: { include: ['*.csv'], priority: 1 } }],
      [`/api/v1/tickets/${ticketRef}/decisions`, t.val!, { decision: 'approve', priority: 'me' }],
      [`/api/v1/tickets/${ticketRef}/cancel`, t.ann!, { priority: true }],
      [`/api/v1/tickets/${ticketRef}/escalate`, t.ann!, { priority: 'now' }],
    ];
    for (const [path, token, json] of cases) await expectInvalid(await api.call(path, { token, json }), 'priority');
    await expectInvalid(await api.call('/api/v1/tickets?priority=high', { token: t.ann }), 'priority');
    // None of them was acted on.
    expect((await api.call(`/api/v1/tickets/${ticketRef}`, { token: t.ann })).json()).toMatchObject({
      state: 'awaiting_approval',
      approvals: [],
      escalatedAt: null,
    });
  });

  it(`refuses bodies over ${MAX_BODY_BYTES / 1024} KB with 413, with or without Content-Length`, async () => {
    const sized = (bytes: number) => {
      const head = '{"pipeline":"inbound","purpose":"';
      return head + 'x'.repeat(bytes - head.length - 2) + '"}';
    };
    const atLimit = sized(MAX_BODY_BYTES);
    expect(Buffer.byteLength(atLimit)).toBe(MAX_BODY_BYTES);
    // At the limit the body is read, and refused by validation (purpose is at most 500 characters).
    await expectInvalid(await api.call('/api/v1/tickets', { token: t.ann, body: atLimit }), 'json.purpose');

    const over = sized(MAX_BODY_BYTES + 1);
    for (const headers of [{}, { 'content-length': String(Buffer.byteLength(over)) }] as Record<string, string>[]) {
      const response = await api.call('/api/v1/tickets', {
        token: t.ann,
        body: over,
        headers: { 'content-type': 'application/json', ...headers },
      });
      expect(response.status, response.text).toBe(413);
      expect(response.json<ProblemJson>()).toMatchObject({ code: 'payload_too_large', status: 413 });
    }
    const big = await api.call(`/api/v1/tickets/${ticketRef}/decisions`, {
      token: t.val,
      json: { decision: 'approve', comment: 'x'.repeat(70_000) },
    });
    expect(big.status).toBe(413);
  });

  it('refuses a body that is not JSON with 400 saying it must be JSON', async () => {
    for (const [contentType, body] of [
      ['application/x-www-form-urlencoded', 'pipeline=inbound&purpose=quarterly'],
      ['text/plain', '{"pipeline":"inbound","purpose":"quarterly"}'],
    ]) {
      const response = await api.call('/api/v1/tickets', { token: t.ann, body, headers: { 'content-type': contentType! } });
      const problem = await expectInvalid(response);
      expect(problem.detail).toBe('Request bodies must be JSON, sent with Content-Type: application/json.');
    }
    expect(api.enqueued).toEqual([]);
  });

  it('answers unknown paths and methods with a 404 problem', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/nothing'],
      ['DELETE', `/api/v1/tickets/${ticketRef}`],
      ['GET', '/api/v2/tickets'],
    ] as const) {
      const response = await api.call(path, { method, token: t.ann });
      expect(response.status).toBe(404);
      expect(response.json<ProblemJson>().code).toBe('not_found');
    }
  });
});
