// A browser's view of the console, in-process: signs in through the real sign-in form (cookies and CSRF
// tokens as a browser would keep them) and then gets pages and posts forms as that person.
import { expect } from 'vitest';
import type { ApiHarness } from './api-harness.js';

export interface ConsolePage {
  status: number;
  headers: Headers;
  html: string;
  /** The `Location` of a redirect, if any. */
  location: string | null;
}

export interface ConsoleBrowser {
  /** The signed-in user's name. */
  name: string;
  /** The session's CSRF token, as every console form carries it. */
  csrf: string;
  /** Cookies this browser holds (name → value). */
  cookies: Map<string, string>;
  get(path: string, headers?: Record<string, string>): Promise<ConsolePage>;
  /** Posts a form; the session's CSRF token is added unless `fields.csrf` is given (use `null` to omit it). */
  post(path: string, fields?: Record<string, string | null>, headers?: Record<string, string>): Promise<ConsolePage>;
}

/** A signed-out browser: cookies kept between requests, same-origin headers on posts. */
export function consoleBrowser(api: Pick<ApiHarness, 'app'>, name = ''): ConsoleBrowser {
  const cookies = new Map<string, string>();
  const request = async (path: string, init: RequestInit & { headers: Record<string, string> }): Promise<ConsolePage> => {
    const cookieHeader = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (cookieHeader) init.headers.cookie = cookieHeader;
    const env = { incoming: { socket: { remoteAddress: '192.0.2.10' } } };
    const response = await api.app.request(`http://localhost${path}`, init, env);
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [key, ...value] = pair!.split('=');
      const expired = /max-age=0/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line);
      if (expired) cookies.delete(key!.trim());
      else cookies.set(key!.trim(), value.join('='));
    }
    return { status: response.status, headers: response.headers, html: await response.text(), location: response.headers.get('location') };
  };
  const browser: ConsoleBrowser = {
    name,
    csrf: '',
    cookies,
    get: (path, headers = {}) => request(path, { method: 'GET', headers: { ...headers } }),
    post: (path, fields = {}, headers = {}) => {
      const form = new URLSearchParams();
      const all: Record<string, string | null> = { csrf: browser.csrf, ...fields };
      for (const [key, value] of Object.entries(all)) if (value !== null) form.set(key, value);
      return request(path, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin: 'http://localhost',
          'sec-fetch-site': 'same-origin',
          ...headers,
        },
        body: form.toString(),
      });
    },
  };
  return browser;
}

/** Signs in with an API token through the sign-in form; fails the test when that does not work. */
export async function signIn(api: Pick<ApiHarness, 'app'>, name: string, token: string): Promise<ConsoleBrowser> {
  const browser = consoleBrowser(api, name);
  const form = await browser.get('/ui/login');
  expect(form.status).toBe(200);
  browser.csrf = csrfIn(form.html);
  const signedIn = await browser.post('/ui/login', { token });
  expect(signedIn.status, signedIn.html).toBe(303);
  const home = await browser.get('/ui/account');
  expect(home.status, home.html).toBe(200);
  browser.csrf = csrfIn(home.html);
  return browser;
}

/** The CSRF token in a page's first form. */
export function csrfIn(html: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error('The page holds no form with a CSRF token.');
  return match[1];
}

/** A page's visible text, roughly: tags removed, entities for <, >, &, " and ' decoded, spaces collapsed. */
export function textOf(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}
