/**
 * Payment card brands by issuer identification number (the leading digits) and the lengths each brand
 * issues. Ranges follow the brands' published IIN tables; where ranges overlap (Maestro's wide 56-69
 * range, Discover's 65) the more specific brand is tried first.
 */
interface Brand {
  name: string;
  /** Inclusive [low, high] ranges over the first `digits` digits. */
  prefixes: readonly (readonly [digits: number, low: number, high: number])[];
  minLength: number;
  maxLength: number;
  /** When set, only these lengths. */
  lengths?: readonly number[];
}

const BRANDS: readonly Brand[] = [
  {
    name: 'amex',
    prefixes: [
      [2, 34, 34],
      [2, 37, 37],
    ],
    minLength: 15,
    maxLength: 15,
  },
  { name: 'visa', prefixes: [[1, 4, 4]], minLength: 13, maxLength: 19, lengths: [13, 16, 19] },
  {
    name: 'mastercard',
    prefixes: [
      [2, 51, 55],
      [4, 2221, 2720],
    ],
    minLength: 16,
    maxLength: 16,
  },
  { name: 'mir', prefixes: [[4, 2200, 2204]], minLength: 16, maxLength: 19 },
  {
    name: 'discover',
    prefixes: [
      [4, 6011, 6011],
      [3, 644, 649],
      [2, 65, 65],
    ],
    minLength: 16,
    maxLength: 19,
  },
  { name: 'jcb', prefixes: [[4, 3528, 3589]], minLength: 16, maxLength: 19 },
  {
    name: 'diners',
    prefixes: [
      [3, 300, 305],
      [4, 3095, 3095],
      [2, 36, 36],
      [2, 38, 39],
    ],
    minLength: 14,
    maxLength: 19,
  },
  {
    name: 'unionpay',
    prefixes: [
      [2, 62, 62],
      [2, 81, 81],
    ],
    minLength: 16,
    maxLength: 19,
  },
  {
    name: 'maestro',
    prefixes: [
      [2, 50, 50],
      [2, 56, 69],
    ],
    minLength: 13,
    maxLength: 19,
  },
];

/** Shortest and longest card number any brand issues that this detector reports (12-digit Maestro is not). */
export const MIN_CARD_DIGITS = 13;
export const MAX_CARD_DIGITS = 19;

/**
 * The brand of a card number from its first four digits (as a number, `4111`) and its digit count, or
 * undefined when no brand issues that prefix at that length.
 */
export function cardBrand(firstFour: number, length: number): string | undefined {
  // No brand issues numbers starting with 0, 1, 7, 8 (but 81, UnionPay) or 9: most numbers stop here.
  const first = Math.floor(firstFour / 1000);
  if (first < 2 || first === 7 || first === 9 || (first === 8 && Math.floor(firstFour / 100) !== 81)) return undefined;
  for (const brand of BRANDS) {
    if (length < brand.minLength || length > brand.maxLength) continue;
    if (brand.lengths && !brand.lengths.includes(length)) continue;
    for (const [digits, low, high] of brand.prefixes) {
      const prefix = Math.floor(firstFour / DIVISORS[digits]!);
      if (prefix >= low && prefix <= high) return brand.name;
    }
  }
  return undefined;
}

/** `10 ** (4 - digits)`, to cut a four-digit prefix down to its first `digits` digits. */
const DIVISORS = [10_000, 1000, 100, 10, 1];
