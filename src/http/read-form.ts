import type { Context } from 'hono';

/** A posted form's text fields; files count as absent, and a body that is not a form reads as an empty one. */
export async function readForm(c: Context): Promise<Record<string, string | undefined>> {
  try {
    const body = await c.req.parseBody();
    return Object.fromEntries(Object.entries(body).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  } catch {
    return {};
  }
}
