/**
 * IBAN length (all characters, country code and check digits included) for every country in the SWIFT
 * IBAN registry (ISO 13616), release of December 2024. Territories that use another country's IBAN
 * (Åland: FI; French overseas departments: FR; Guernsey, Jersey, Isle of Man: GB) have no code of their own.
 */
// prettier-ignore
export const IBAN_LENGTHS: ReadonlyMap<string, number> = new Map(
  Object.entries({
    AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27,
    BR: 29, BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28,
    EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23,
    GL: 18, GR: 27, GT: 28, HN: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26,
    IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21,
    LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28,
    NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22,
    RU: 33, SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25,
    SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
  }),
);

/** The longest IBAN in the registry (Russia), which bounds how far the detector reads. */
export const MAX_IBAN_LENGTH = 33;

/**
 * The same lengths indexed by the two country-code bytes (`(c0 - 65) * 26 + (c1 - 65)`), 0 for "not a
 * country", so the detector can reject most uppercase pairs with one array read.
 */
export const IBAN_LENGTH_BY_CODE: Uint8Array = (() => {
  const lengths = new Uint8Array(26 * 26);
  for (const [code, length] of IBAN_LENGTHS) lengths[(code.charCodeAt(0) - 65) * 26 + (code.charCodeAt(1) - 65)] = length;
  return lengths;
})();
