import { describe, expect, it } from 'vitest';
import { hasWord, scoreContext } from './context-words.js';
import { maskCardNumber, maskEmail, maskGeneric, maskIban, maskSsn } from './masking.js';

const bytes = (text: string): Buffer => Buffer.from(text);

describe('masking', () => {
  it('keeps a card number’s grouping and at most its first and last four digits', () => {
    const text = '4111 1111 1111 1111';
    expect(maskCardNumber(bytes(text), 0, text.length, 16)).toBe('4111 **** **** 1111');
    expect(maskCardNumber(bytes('4222222222222'), 0, 13, 13)).toBe('4222*****2222');
  });

  it('shows an SSN’s serial, an IBAN’s country, check digits and last two characters, an address’s first letter', () => {
    expect(maskSsn(bytes('536-22-8761'), 0, 11)).toBe('***-**-8761');
    expect(maskIban(bytes('GB29 NWBK 6016 1331 9268 19'), 0, 27, 22)).toBe('GB29 **** **** **** **** 19');
    expect(maskEmail('jane.doe', 'acme.io')).toBe('j***@acme.io');
  });

  it('masks other values generically: two characters at each end at most, a third of the value at most, control characters blanked, counting characters rather than bytes', () => {
    expect(maskGeneric('ab')).toBe('**');
    expect(maskGeneric('abcdef')).toBe('a****f');
    expect(maskGeneric('abcdefghijkl')).toBe('ab********kl');
    expect(maskGeneric(`x\n${'y'.repeat(100)}z`)).toBe(`x ${'*'.repeat(24)}yz`);
    expect(maskGeneric('ééééééééééé€')).toBe('éé********é€');
  });
});

describe('context words', () => {
  it('matches a word at a word start, and a short word only as a whole word', () => {
    expect(hasWord('the cardholder', 'card')).toBe(true);
    expect(hasWord('discard', 'card')).toBe(false);
    expect(hasWord('pan:', 'pan')).toBe(true);
    expect(hasWord('company', 'pan')).toBe(false);
    expect(hasWord('panel', 'pan')).toBe(false);
  });

  it('labels raising and lowering words and looks only at the window before the match', () => {
    const text = bytes(`Test card ${'x'.repeat(60)} value`);
    expect(scoreContext(text, 10, { raise: ['card'], lower: ['test'] })).toEqual({ delta: 0.15 - 0.35, labels: ['+card', '-test'] });
    expect(scoreContext(text, text.length - 5, { raise: ['card'], lower: ['test'] })).toEqual({ delta: 0, labels: [] });
  });
});
