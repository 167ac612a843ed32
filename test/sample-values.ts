/**
 * Sensitive-looking values the tests plant: published test card numbers (Luhn-valid, real issuer
 * prefixes, nobody's card). Kept in one place so every test that checks "never printed or stored whole"
 * searches for the same values it planted.
 */
export const TEST_CARDS = [
  '4539148803436467',
  '4716108999716531',
  '5555555555554444',
  '5105105105105100',
  '4111111111111111',
  '4012888888881881',
  '378282246310005',
  '371449635398431',
  '6011111111111117',
  '3530111333300000',
  '4242424242424242',
] as const;
