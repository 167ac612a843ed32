import { describe, expect, it } from 'vitest';
import { IBAN_LENGTHS } from './iban-countries.js';
import { expectMasked, scanFor } from './patterns.case.test.js';
import { ibanMod97, isValidIban } from './validators.js';

/** A valid IBAN for `country`: a deterministic BBAN of the right length, and the check digits that fit it. */
function ibanFor(country: string, length: number): string {
  const bban = Array.from({ length: length - 4 }, (_, i) => (i % 7 === 3 ? 'K' : String((i * 7 + country.charCodeAt(0)) % 10))).join('');
  const check = 98 - ibanMod97(`${country}00${bban}`);
  return `${country}${String(check).padStart(2, '0')}${bban}`;
}

const grouped = (iban: string): string => iban.replace(/(.{4})(?=.)/g, '$1 ');

describe('iban', () => {
  it('knows every country of the SWIFT IBAN registry and its length', () => {
    expect(IBAN_LENGTHS.size).toBe(89);
    expect(IBAN_LENGTHS.get('DE')).toBe(22);
    expect(IBAN_LENGTHS.get('NO')).toBe(15);
    expect(IBAN_LENGTHS.get('RU')).toBe(33);
    expect(IBAN_LENGTHS.get('LC')).toBe(32);
    expect(IBAN_LENGTHS.get('US')).toBeUndefined();
  });

  it.each([...IBAN_LENGTHS].map(([country, length]) => [country, length]))(
    'finds a %s IBAN (%i characters), plain and grouped by four',
    (country, length) => {
      const iban = ibanFor(country, length);
      expect(isValidIban(iban)).toBe(true);
      const text = `IBAN: ${iban}\nIBAN: ${grouped(iban)}\n`;
      const findings = scanFor('iban', text);
      expect(findings.map((finding) => [finding.location.line, finding.trace!.pattern])).toEqual([
        [1, 'iban'],
        [2, 'iban-grouped'],
      ]);
      expect(findings[0]!.valueKey).toBe(findings[1]!.valueKey);
      for (const finding of findings) expectMasked(finding, iban);
    },
  );

  it.each([
    'AD1200012030200359100100',
    'BE68539007547034',
    'BR1800360305000010009795493C1',
    'CH9300762011623852957',
    'DE89370400440532013000',
    'ES9121000418450200051332',
    'FR1420041010050500013M02606',
    'GB29NWBK60161331926819',
    'IT60X0542811101000000123456',
    'MT84MALT011000012345MTLCAST001S',
    'NL91ABNA0417164300',
    'NO9386011117947',
    'SA0380000000608010167519',
  ])('finds the registry example %s', (iban) => {
    const [finding, ...rest] = scanFor('iban', `{"iban":"${iban}"}`);
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ severity: 'medium', trace: { validator: 'iban-mod97' } });
  });

  it('masks all but the country code, the check digits and the last two characters, grouping kept', () => {
    expect(scanFor('iban', 'DE89 3704 0044 0532 0130 00')[0]!.excerpt).toBe('DE89 **** **** **** **** 00');
    expect(scanFor('iban', 'DE89370400440532013000')[0]!.excerpt).toBe('DE89****************00');
  });

  it('raises the confidence for account words and lowers it for sample words', () => {
    const bare = scanFor('iban', 'x DE89370400440532013000')[0]!;
    expect(scanFor('iban', 'Bank account DE89370400440532013000')[0]!.confidence).toBeGreaterThan(bare.confidence);
    expect(scanFor('iban', 'sample DE89370400440532013000')[0]!.confidence).toBeLessThan(bare.confidence);
  });

  it.each([
    ['wrong check digits', 'DE88370400440532013000'],
    ['a changed digit', 'DE89370400440532013001'],
    ['one character too many (plain)', 'DE893704004405320130001'],
    ['one character too many (grouped)', 'DE89 3704 0044 0532 0130 001'],
    ['one character too few (plain)', 'DE8937040044053201300'],
    ['one character too few (grouped)', 'DE89 3704 0044 0532 0130 0'],
    ['a letter right after it', 'DE89370400440532013000A'],
    ['a letter right before it', 'XDE89370400440532013000'],
    ['a digit right before it', '1DE89370400440532013000'],
    ['a full last group followed by another digit group', 'ES91 2100 0418 4502 0005 1332 7'],
    ['double spaces', 'DE89  3704  0044  0532  0130  00'],
    ['groups of other sizes', 'DE89 37040044 0532 0130 00'],
    ['an unknown country', 'XX89370400440532013000'],
    ['lower case', 'de89370400440532013000'],
  ])('does not report %s', (_case, text) => {
    expect(scanFor('iban', `pay ${text} now`)).toEqual([]);
  });

  it('does not take JWT algorithm names, hashes or versions for IBANs', () => {
    expect(scanFor('iban', '{"alg":"ES256"} SHA256 HTTP2 AES256GCM ISO8601 UTF8 MD5 EC2 S3 GB2312')).toEqual([]);
  });
});
