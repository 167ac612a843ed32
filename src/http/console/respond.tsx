import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { Layout, type LayoutProps } from './layout.js';

/** Headers of every console page: never cached (they show restricted metadata), never framed. */
export const PAGE_HEADERS = { 'cache-control': 'no-store', 'x-robots-tag': 'noindex, nofollow' } as const;

export type PageOptions = Omit<LayoutProps, 'title' | 'session' | 'path' | 'children'> & { status?: ContentfulStatusCode };

/** A page inside the layout, for the signed-in caller of `c` (or nobody, before sign-in). */
export function page(c: Context, title: string, body: Child, options: PageOptions = {}): Response | Promise<Response> {
  const { status = 200, ...layout } = options;
  const session = c.get('session') as LayoutProps['session'];
  const rendered = (
    <Layout title={title} session={session} path={c.req.path} {...layout}>
      {body}
    </Layout>
  ).toString();
  return c.html(withDoctype(rendered), status, PAGE_HEADERS);
}

/** After a form: see the result at `location` (303, so that reloading does not post again). */
export function seeOther(c: Context, location: string): Response {
  return c.redirect(location, 303);
}

export { readForm } from '../read-form.js';

/** JSX renders elements, not the doctype that keeps browsers out of quirks mode. */
export function withDoctype(rendered: string | Promise<string>): string | Promise<string> {
  return typeof rendered === 'string' ? `<!doctype html>${rendered}` : rendered.then((html) => `<!doctype html>${html}`);
}
