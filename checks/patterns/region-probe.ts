/**
 * Finds the few stretches of a window that could hold a card number, an SSN, an IBAN, an AWS key id or
 * a private key header, without looking at every byte. Those values are made of "region" bytes only:
 * digits and uppercase letters, single spaces between them, single dashes between digits. Every such
 * value is at least 11 bytes long (an SSN, `123-45-6789`), so it covers one of the bytes at a stride of
 * 11, and probing those is enough. A probe that lands in a region widens to the whole region, which is
 * handed over only when it is long enough to hold a value; the next probe is 11 bytes past its end.
 * Prose costs about one table read per 11 bytes; digit-heavy logs and CSV cost the length of their
 * number-like stretches.
 */

/** The shortest value found in regions: an SSN with its two separators. */
export const MIN_REGION_VALUE_BYTES = 11;

// Byte kinds, as bits: CORE bytes are region bytes on their own; a SPACE joins two CORE bytes, a DASH
// two DIGIT bytes.
const CORE = 1;
const DIGIT = 2;
const SPACE = 4;
const DASH = 8;

const KIND = (() => {
  const table = new Uint8Array(256);
  for (let b = 0x30; b <= 0x39; b++) table[b] = CORE | DIGIT;
  for (let b = 0x41; b <= 0x5a; b++) table[b] = CORE;
  table[0x20] = SPACE;
  table[0x2d] = DASH;
  return table;
})();

/** What a separator of kind `kind` needs on both sides: any core byte for a space, digits for a dash. */
function joins(kind: number): number {
  return kind === SPACE ? CORE : DIGIT;
}

/**
 * Calls `onRegion(start, stop)` for every region that could hold a value starting in `[from, to)`,
 * clipped to that range (a value may run past `stop`; the detectors read on). Regions are widened to
 * the left no further than `from`: values starting earlier belong to the previous window.
 */
export function scanRegions(bytes: Uint8Array, from: number, to: number, onRegion: (start: number, stop: number) => void): void {
  const kind = KIND;
  const stride = MIN_REGION_VALUE_BYTES;
  const last = bytes.length - 1;
  const probeEnd = Math.min(last + 1, to + stride);
  let probe = from;
  while (probe < probeEnd) {
    const k = kind[bytes[probe]!]!;
    if (k === 0) {
      probe += stride;
      continue;
    }
    if ((k & CORE) === 0) {
      const need = joins(k);
      if (probe === 0 || probe === last || (kind[bytes[probe - 1]!]! & need) === 0 || (kind[bytes[probe + 1]!]! & need) === 0) {
        probe += stride;
        continue;
      }
    }
    let start = probe;
    while (start > from) {
      const before = kind[bytes[start - 1]!]!;
      if ((before & CORE) !== 0) start--;
      else if (
        before !== 0 &&
        start >= 2 &&
        (kind[bytes[start - 2]!]! & joins(before)) !== 0 &&
        (kind[bytes[start]!]! & joins(before)) !== 0
      )
        start--;
      else break;
    }
    let stop = probe + 1;
    while (stop <= last) {
      const at = kind[bytes[stop]!]!;
      if ((at & CORE) !== 0) stop++;
      else if (at !== 0 && stop < last && (kind[bytes[stop + 1]!]! & joins(at)) !== 0 && (kind[bytes[stop - 1]!]! & joins(at)) !== 0)
        stop++;
      else break;
    }
    if (stop - start >= stride && start < to) onRegion(start, Math.min(stop, to));
    probe = stop + stride;
  }
}
