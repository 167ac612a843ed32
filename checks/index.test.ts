import { describe, expect, it } from 'vitest';
import { AirlockError } from '../src/errors.js';
import { checks, resolveChecks } from './index.js';

describe('resolveChecks', () => {
  it('returns the named checks in the order given, each once', () => {
    expect(resolveChecks(['filetype', 'filetype'])).toEqual([checks.filetype]);
  });

  it('registers every check under its own id', () => {
    for (const [id, check] of Object.entries(checks)) expect(check.id).toBe(id);
  });

  it('rejects an unknown id as invalid input, naming it and the known checks', () => {
    const error = catchError(() => resolveChecks(['filetype', 'antivirus', 'toString']));
    expect(error).toBeInstanceOf(AirlockError);
    expect(error).toMatchObject({ code: 'invalid_input', status: 400 });
    expect((error as Error).message).toBe('Unknown checks "antivirus", "toString"; known checks are: filetype, patterns, dlp.');
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
