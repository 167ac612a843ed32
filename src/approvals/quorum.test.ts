import { describe, expect, it } from 'vitest';
import { approvalsMissing, quorumMet } from './quorum.js';

const anyOne = { count: 1, groups: [], distinctGroups: false };
const two = { count: 2, groups: [], distinctGroups: false };
const ownerAndSecurity = { count: 2, groups: ['data-owners', 'security'], distinctGroups: true };

describe('quorumMet', () => {
  it('counts one person once', () => {
    const alice = { name: 'alice', groups: [] };
    expect(quorumMet([two], [alice, alice])).toBe(false);
    expect(quorumMet([two], [alice, { name: 'bob', groups: [] }])).toBe(true);
  });

  it('needs approvers from the named groups', () => {
    const needsSecurity = { count: 1, groups: ['security'], distinctGroups: false };
    expect(quorumMet([needsSecurity], [{ name: 'a', groups: ['finance'] }])).toBe(false);
    expect(quorumMet([needsSecurity], [{ name: 'a', groups: ['finance', 'security'] }])).toBe(true);
  });

  it('with distinctGroups, one person in both groups is not enough, two people covering one each are', () => {
    const both = { name: 'carol', groups: ['data-owners', 'security'] };
    const owner = { name: 'dave', groups: ['data-owners'] };
    const otherOwner = { name: 'erin', groups: ['data-owners'] };
    expect(quorumMet([ownerAndSecurity], [both])).toBe(false);
    expect(quorumMet([ownerAndSecurity], [owner, otherOwner])).toBe(false);
    // carol must take security so that dave can take data-owners: the matching has to re-assign.
    expect(quorumMet([ownerAndSecurity], [both, owner])).toBe(true);
  });

  it('meets every requirement with the same approvals', () => {
    const security = { count: 1, groups: ['security'], distinctGroups: false };
    expect(quorumMet([anyOne, security], [{ name: 'a', groups: [] }])).toBe(false);
    expect(quorumMet([anyOne, security], [{ name: 'a', groups: ['security'] }])).toBe(true);
    expect(quorumMet([anyOne], [])).toBe(false);
  });

  it('says how many approvals are still missing', () => {
    expect(approvalsMissing(two, [{ name: 'a', groups: [] }])).toBe(1);
    expect(approvalsMissing(two, [])).toBe(2);
    expect(approvalsMissing(anyOne, [{ name: 'a', groups: [] }])).toBe(0);
  });
});
