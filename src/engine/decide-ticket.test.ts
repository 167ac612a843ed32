import { describe, expect, it } from 'vitest';
import { decideTicket, type ItemVerdict } from './decide-ticket.js';

const item = (itemId: string, verdict: ItemVerdict['verdict'], rule = `${verdict}-rule`): ItemVerdict => ({
  itemId,
  verdict,
  rule,
  reasons: [`${rule}: because`],
});

describe('decideTicket', () => {
  it('allows a ticket whose items are all allowed, in either mode', () => {
    for (const mode of ['all-or-nothing', 'per-item'] as const) {
      const outcome = decideTicket(mode, [item('a', 'allow'), item('b', 'allow')]);
      expect(outcome).toMatchObject({ verdict: 'allow', next: 'allowed' });
      expect(outcome.stopped.size).toBe(0);
    }
  });

  it('all-or-nothing: one blocked item blocks the ticket and holds the others', () => {
    const outcome = decideTicket('all-or-nothing', [item('a', 'allow'), item('x', 'block', 'dangerous-content'), item('b', 'review')]);
    expect(outcome).toMatchObject({ verdict: 'block', next: 'blocked', rule: 'dangerous-content' });
    expect(Object.fromEntries(outcome.stopped)).toEqual({ a: 'held', x: 'blocked', b: 'held' });
  });

  it('per-item: blocked items stop, allowed ones go on', () => {
    const outcome = decideTicket('per-item', [item('a', 'allow'), item('x', 'block', 'dangerous-content'), item('b', 'allow')]);
    expect(outcome).toMatchObject({ verdict: 'allow', next: 'allowed' });
    expect(Object.fromEntries(outcome.stopped)).toEqual({ x: 'blocked' });
    expect(outcome.reasons).toContain('per-item: 2 of 3 item(s) allowed, 1 blocked');
  });

  it('per-item: a ticket with nothing allowed is blocked', () => {
    expect(decideTicket('per-item', [item('x', 'block'), item('y', 'block')])).toMatchObject({ verdict: 'block', next: 'blocked' });
  });

  it('an item under review holds the ticket for approval in both modes (unless all-or-nothing has a block)', () => {
    expect(decideTicket('per-item', [item('a', 'allow'), item('r', 'review', 'review-suspicious'), item('x', 'block')])).toMatchObject({
      verdict: 'review',
      next: 'awaiting_approval',
      rule: 'review-suspicious',
    });
    expect(decideTicket('all-or-nothing', [item('a', 'allow'), item('r', 'review')])).toMatchObject({
      verdict: 'review',
      next: 'awaiting_approval',
    });
  });

  it('counts repeated reasons instead of repeating them', () => {
    const outcome = decideTicket('per-item', [item('x', 'block', 'dangerous-content'), item('y', 'block', 'dangerous-content')]);
    expect(outcome.reasons).toEqual(['dangerous-content: because (2 items)']);
  });

  it('an empty selection is allowed and says so', () => {
    expect(decideTicket('all-or-nothing', [])).toMatchObject({ verdict: 'allow', next: 'allowed', rule: 'empty-selection' });
  });
});
