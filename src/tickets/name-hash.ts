import { createHash } from 'node:crypto';

/** Stable, so the same name shows as the same hash across tickets, and not reversible for names worth hiding. */
export function nameHash(name: string): string {
  return `sha256:${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
}

/**
 * Replaces each of `names` in a text by its hash, in one pass (longest name first), so that a name inside
 * another name, or inside a hash already written, is never half-replaced. For tickets that redact names: a
 * reason or error message may quote an item's path.
 */
export function nameScrubber(names: readonly string[]): (text: string | null) => string | null {
  const ordered = [...new Set(names)].filter((n) => n !== '').sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return (text) => text;
  const pattern = new RegExp(ordered.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  return (text) => (text === null ? null : text.replace(pattern, (name) => nameHash(name)));
}
