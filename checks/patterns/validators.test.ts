import { describe, expect, it } from 'vitest';
import { cardBrand } from './card-issuers.js';
import { ibanMod97, isJwtHeader, isLuhnValid, isValidIban, isValidSsnParts } from './validators.js';

describe('validators', () => {
  it('computes Luhn over digits, skipping separators when given bytes', () => {
    expect(isLuhnValid('4111111111111111')).toBe(true);
    expect(isLuhnValid('79927398713')).toBe(true);
    expect(isLuhnValid('4111111111111112')).toBe(false);
    expect(isLuhnValid('4111 1111')).toBe(false);
    expect(isLuhnValid('0')).toBe(false);
  });

  it('checks IBANs by country, exact length, characters and mod 97', () => {
    expect(ibanMod97('DE89370400440532013000')).toBe(1);
    expect(isValidIban('DE89370400440532013000')).toBe(true);
    expect(isValidIban('DE8937040044053201300')).toBe(false);
    expect(isValidIban('DE88370400440532013000')).toBe(false);
    expect(isValidIban('XX89370400440532013000')).toBe(false);
    expect(isValidIban('de89370400440532013000')).toBe(false);
  });

  it('applies the SSA rules to area, group and serial', () => {
    expect(isValidSsnParts(536, 22, 8761)).toBe(true);
    expect(isValidSsnParts(0, 22, 8761)).toBe(false);
    expect(isValidSsnParts(666, 22, 8761)).toBe(false);
    expect(isValidSsnParts(900, 22, 8761)).toBe(false);
    expect(isValidSsnParts(536, 0, 8761)).toBe(false);
    expect(isValidSsnParts(536, 22, 0)).toBe(false);
  });

  it('accepts a JOSE header only when it decodes to a JSON object with a string alg', () => {
    const encode = (value: string): string => Buffer.from(value).toString('base64url');
    expect(isJwtHeader(encode('{"alg":"RS256","kid":"k1"}'))).toBe(true);
    expect(isJwtHeader(encode('{"typ":"JWT"}'))).toBe(false);
    expect(isJwtHeader(encode('{"alg":null}'))).toBe(false);
    expect(isJwtHeader(encode('["alg"]'))).toBe(false);
    expect(isJwtHeader(encode('{"alg":"HS256"'))).toBe(false);
    expect(isJwtHeader('eyJ!!!')).toBe(false);
  });

  it('names card brands from the leading digits and the length', () => {
    expect(cardBrand(4111, 16)).toBe('visa');
    expect(cardBrand(4111, 17)).toBeUndefined();
    expect(cardBrand(5500, 16)).toBe('mastercard');
    expect(cardBrand(2720, 16)).toBe('mastercard');
    expect(cardBrand(2721, 16)).toBeUndefined();
    expect(cardBrand(3400, 15)).toBe('amex');
    expect(cardBrand(3400, 16)).toBeUndefined();
    expect(cardBrand(6011, 16)).toBe('discover');
    expect(cardBrand(6440, 19)).toBe('discover');
    expect(cardBrand(3530, 16)).toBe('jcb');
    expect(cardBrand(3005, 14)).toBe('diners');
    expect(cardBrand(6212, 16)).toBe('unionpay');
    expect(cardBrand(5018, 13)).toBe('maestro');
    expect(cardBrand(6304, 19)).toBe('maestro');
    expect(cardBrand(1714, 13)).toBeUndefined();
    expect(cardBrand(9999, 16)).toBeUndefined();
  });
});
