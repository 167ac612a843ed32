import { describe, expect, it } from 'vitest';
import { parseRoles, ROLES } from './roles.js';

describe('parseRoles', () => {
  it('reads a comma-separated list, ignoring spaces and repeats', () => {
    expect(parseRoles('requester, approver,requester')).toEqual(['requester', 'approver']);
    expect(parseRoles(ROLES.join(','))).toEqual([...ROLES]);
  });

  it('refuses an unknown role, naming it and listing the valid ones', () => {
    expect(() => parseRoles('requester,superuser')).toThrow(
      'Unknown role "superuser"; valid roles are requester, approver, operator, auditor, admin.',
    );
    expect(() => parseRoles('root,Admin')).toThrow(/^Unknown roles "root", "Admin"; valid roles are /);
    expect(() => parseRoles('superuser')).toThrow(expect.objectContaining({ code: 'invalid_input' }));
  });

  it('refuses an empty list', () => {
    expect(() => parseRoles(' , ')).toThrow(/No role given/);
  });
});
