/**
 * How the overview shows a quantity: the same formatting on bar labels, axis ticks, table cells and
 * headline numbers, and axis ticks that land on round numbers of the unit people read (200 MiB, 30 min)
 * rather than of the raw value (209715200 bytes).
 */
export interface ValueUnit {
  /** A value as shown to people. */
  format(value: number): string;
  /** Round tick values from 0 up to the first tick at or above `max`, ascending. */
  ticks(max: number): number[];
}

const DAY_SECONDS = 86_400;
const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** `1,234` (fixed locale, so the page reads the same on every server). */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** `part` of `whole` as `99.6%`: rounded down, so 100% means all of it. `—` when `whole` is 0. */
export function formatShare(part: number, whole: number): string {
  if (whole === 0) return '—';
  return `${Math.floor((part / whole) * 1000) / 10}%`;
}

/** `0 B`, `512 B`, `1.5 KiB`, `200 MiB`: binary units, at most one decimal, none when it is zero. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = unit === 0 ? String(Math.round(value)) : String(Math.round(value * 10) / 10);
  return `${shown} ${BYTE_UNITS[unit]}`;
}

/** `45 s`, `12 min`, `1 h 30 min`, `2 d 3 h`: the two largest parts, rounded to the smaller one. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const parts: Array<[number, string]> = [
    [DAY_SECONDS, 'd'],
    [3600, 'h'],
    [60, 'min'],
    [1, 's'],
  ];
  const first = parts.findIndex(([size]) => s >= size);
  const [bigSize, bigName] = parts[first]!;
  const [smallSize, smallName] = parts[first + 1]!;
  const total = Math.round(s / smallSize);
  const perBig = bigSize / smallSize;
  const big = Math.floor(total / perBig);
  const small = total % perBig;
  return small === 0 ? `${big} ${bigName}` : `${big} ${bigName} ${small} ${smallName}`;
}

/** 1, 2 or 5 times a power of ten, such that about `count` steps reach `max`. */
export function niceTicks(max: number, options: { count?: number; integer?: boolean } = {}): number[] {
  const count = options.count ?? 4;
  if (!(max > 0)) return [0, 1];
  const rough = max / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = Math.max([1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power, options.integer ? 1 : 0);
  const ticks: number[] = [];
  // Rounding each tick keeps 0.1 + 0.2 from showing up as 0.30000000000000004.
  for (let i = 0; ticks.length === 0 || ticks[ticks.length - 1]! < max; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** Ticks in the largest of `sizes` that `max` reaches, scaled back to the base unit. */
function ticksIn(sizes: readonly number[], max: number): number[] {
  const size = [...sizes].reverse().find((s) => max >= s) ?? sizes[0]!;
  return niceTicks(max / size).map((t) => t * size);
}

export const COUNT: ValueUnit = { format: formatCount, ticks: (max) => niceTicks(max, { integer: true }) };

export const BYTES: ValueUnit = {
  format: formatBytes,
  ticks: (max) =>
    ticksIn(
      BYTE_UNITS.map((_, i) => 1024 ** i),
      max,
    ),
};

export const SECONDS: ValueUnit = { format: formatDuration, ticks: (max) => ticksIn([1, 60, 3600, DAY_SECONDS], max) };
