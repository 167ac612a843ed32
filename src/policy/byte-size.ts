import { z } from 'zod';

/**
 * Sizes in policy files: a whole number of bytes, or a string with a unit. `KB`, `MB`, `GB`, `TB` are
 * powers of 1000 and `KiB`, `MiB`, `GiB`, `TiB` powers of 1024, as the SI and IEC define them; units
 * are read case-insensitively (`10mb` is 10 MB, never megabits). Fractions are rounded to whole bytes.
 */

const UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

const SIZE_PATTERN = /^(\d+(?:\.\d+)?)\s*([a-z]+)?$/i;

export const SIZE_HINT = 'must be a size in bytes such as 1048576, "10MB" or "1.5 GiB"';

/** Bytes for `value`, or undefined when it is not a size. */
export function parseByteSize(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  const match = SIZE_PATTERN.exec(value.trim());
  if (!match) return undefined;
  const factor = UNITS[(match[2] ?? 'b').toLowerCase()];
  if (factor === undefined) return undefined;
  const bytes = Math.round(Number(match[1]) * factor);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** `12.6 MB`, `512 B`: decimal units, for reasons people read. */
export function formatByteSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 'B';
  for (const next of units) {
    if (value < 1000) break;
    value /= 1000;
    unit = next;
  }
  return `${Number(value.toFixed(1))} ${unit}`;
}

/** A YAML size field: accepts what `parseByteSize` accepts and yields bytes. */
export const byteSize = z.union([z.number(), z.string()], { error: SIZE_HINT }).transform((value, ctx) => {
  const bytes = parseByteSize(value);
  if (bytes === undefined) {
    ctx.addIssue({ code: 'custom', message: SIZE_HINT, input: value });
    return z.NEVER;
  }
  return bytes;
});
