import { createHash } from 'node:crypto';

/** Stable, so the same name shows as the same hash across tickets, and not reversible for names worth hiding. */
export function nameHash(name: string): string {
  return `sha256:${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
}
