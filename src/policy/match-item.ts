import { formatByteSize } from './byte-size.js';
import type { PolicyInput } from './evaluate-policy.js';
import { matchesGlob } from './path-glob.js';
import type { PolicyCondition } from './policy-condition.js';

/**
 * A rule's item conditions (`fileTypes`, sizes, `paths`, `pipelines`, `destinations`) against the item
 * and its route: one reason per condition when all hold, else undefined. A fact the input lacks (no
 * item, no detected type) fails the condition about it. Reasons name the rule's own values (the glob,
 * the type pattern), not the item's path, which already heads any list of an item's reasons.
 */
export function matchItem(ruleId: string, when: PolicyCondition, input: PolicyInput): string[] | undefined {
  const reasons: string[] = [];
  const item = input.item;
  if (when.fileTypes) {
    const hit = item && when.fileTypes.map((pattern) => fileTypeReason(pattern, item)).find((r) => r !== undefined);
    if (!hit) return undefined;
    reasons.push(`${ruleId}: ${hit}`);
  }
  if (when.minSize !== undefined || when.maxSize !== undefined) {
    const size = item?.size;
    if (size === undefined || !Number.isFinite(size)) return undefined;
    if (when.minSize !== undefined && size < when.minSize) return undefined;
    if (when.maxSize !== undefined && size > when.maxSize) return undefined;
    reasons.push(`${ruleId}: ${sizeReason(size, when.minSize, when.maxSize)}`);
  }
  if (when.paths) {
    const glob = item && when.paths.find((g) => matchesGlob(g, item.path));
    if (!glob) return undefined;
    reasons.push(`${ruleId}: path matches ${glob}`);
  }
  if (when.pipelines) {
    if (input.pipeline === undefined || !when.pipelines.includes(input.pipeline)) return undefined;
    reasons.push(`${ruleId}: pipeline ${input.pipeline}`);
  }
  if (when.destinations) {
    if (input.destination === undefined || !when.destinations.includes(input.destination)) return undefined;
    reasons.push(`${ruleId}: destination is ${input.destination}`);
  }
  return reasons;
}

/** Why `pattern` (a lower-cased MIME pattern or `.ext`) matches the item, or undefined. */
function fileTypeReason(pattern: string, item: NonNullable<PolicyInput['item']>): string | undefined {
  if (pattern.startsWith('.')) {
    if (item.path.toLowerCase().endsWith(pattern)) return `name ends with ${pattern}`;
    const detected = item.ext?.toLowerCase().replace(/^\./, '');
    return detected !== undefined && `.${detected}` === pattern ? `content detected as ${pattern}` : undefined;
  }
  // Parameters (`; charset=utf-8`) are not part of the type.
  const mime = item.mime?.split(';')[0]?.trim().toLowerCase();
  if (!mime || !mimePattern(pattern).test(mime)) return undefined;
  return mime === pattern ? `file type is ${mime}` : `file type ${mime} matches ${pattern}`;
}

function mimePattern(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^$|?()[\]{}\\]/g, '\\$&').replace(/\*/g, '[^;]*')}$`);
}

function sizeReason(size: number, min: number | undefined, max: number | undefined): string {
  const actual = `size ${formatByteSize(size)}`;
  if (min !== undefined && max !== undefined) return `${actual} is between ${formatByteSize(min)} and ${formatByteSize(max)}`;
  return min !== undefined ? `${actual} is at least ${formatByteSize(min)}` : `${actual} is at most ${formatByteSize(max ?? 0)}`;
}
