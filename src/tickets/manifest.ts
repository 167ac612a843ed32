import { createHash } from 'node:crypto';
import type { Db } from '../db/database.js';

/**
 * The content manifest of a ticket: sha256 over its items' sequence numbers, paths, sizes and hashes, in
 * order. An approval is given for one manifest; if the content is fetched again and differs in any item,
 * the manifest differs and the approval no longer counts.
 */
export async function ticketManifest(db: Db, ticketId: string): Promise<string> {
  const items = await db
    .selectFrom('items')
    .select(['seq', 'source_path', 'size', 'sha256'])
    .where('ticket_id', '=', ticketId)
    .orderBy('seq')
    .execute();
  return manifestOf(items);
}

/** The same manifest over items already loaded (in `seq` order). */
export function manifestOf(items: readonly { seq: number; source_path: string; size: number | null; sha256: string | null }[]): string {
  const hash = createHash('sha256');
  for (const item of items) hash.update(`${item.seq}\0${item.source_path}\0${item.size ?? ''}\0${item.sha256 ?? ''}\n`);
  return hash.digest('hex');
}
