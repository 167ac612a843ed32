// Every response, success or problem, carries the secure headers and a request id that ties it to the logs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness, type CallOptions, type ProblemJson } from '../../test/api-harness.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let api: ApiHarness;
let token: string;

beforeAll(async () => {
  api = await createApiHarness({ pipelines: {} });
  token = await api.user('ann', ['requester']);
});
afterAll(() => api?.close());

/** One request of each kind of answer: JSON, HTML, text, and problems from each layer. */
const samples = (): [string, string, CallOptions][] => [
  ['200 JSON', '/api/v1/me', { token }],
  ['200 public', '/healthz', {}],
  ['200 HTML', '/docs', {}],
  ['400 validation', '/api/v1/tickets', { token, json: { pipeline: 1 } }],
  ['401 no token', '/api/v1/me', {}],
  ['403 role', '/metrics', { token }],
  ['404 ticket', '/api/v1/tickets/T-424242', { token }],
  ['404 route', '/no/such/route', {}],
  ['413 body', '/api/v1/tickets', { token, body: `"${'x'.repeat(70_000)}"` }],
];

describe('response headers', () => {
  it('sets the secure headers on every kind of response', async () => {
    for (const [kind, path, options] of samples()) {
      const response = await api.call(path, options);
      expect(String(response.status), kind).toBe(kind.slice(0, 3));
      const header = (name: string) => response.headers.get(name);
      expect(header('x-content-type-options'), kind).toBe('nosniff');
      expect(header('x-frame-options'), kind).toBe('SAMEORIGIN');
      expect(header('referrer-policy'), kind).toBe('no-referrer');
      expect(header('strict-transport-security'), kind).toMatch(/^max-age=\d+/);
      expect(header('cross-origin-opener-policy'), kind).toBe('same-origin');
      expect(header('cross-origin-resource-policy'), kind).toBe('same-origin');
      expect(header('content-security-policy'), kind).toContain("default-src 'self'");
      expect(header('content-security-policy'), kind).not.toMatch(/script-src[^;]*unsafe/);
    }
  });

  it('gives every response its own request id, repeated in problem bodies', async () => {
    const seen = new Set<string>();
    for (const [kind, path, options] of samples()) {
      const response = await api.call(path, options);
      const id = response.headers.get('x-request-id');
      expect(id, kind).toMatch(UUID);
      seen.add(id!);
      if (response.status >= 400) expect(response.json<ProblemJson>().requestId, kind).toBe(id);
    }
    expect(seen.size).toBe(samples().length);
  });

  it("keeps a caller's well-formed X-Request-Id and replaces one that is not", async () => {
    const kept = await api.call('/api/v1/tickets/T-424242', { token, headers: { 'x-request-id': 'trace-42_a=b' } });
    expect(kept.headers.get('x-request-id')).toBe('trace-42_a=b');
    expect(kept.json<ProblemJson>().requestId).toBe('trace-42_a=b');

    for (const bad of ['has spaces in it', 'semi;colon', 'x'.repeat(256)]) {
      const replaced = await api.call('/healthz', { headers: { 'x-request-id': bad } });
      expect(replaced.headers.get('x-request-id')).toMatch(UUID);
    }
  });
});
