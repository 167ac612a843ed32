import { describe, expect, it } from 'vitest';
import { PATTERN_DETECTOR_IDS } from '../../checks/patterns/index.js';
import { BUILTIN_DETECTOR_IDS, detectorLabel } from './detector-catalog.js';

describe('detector catalog', () => {
  // The patterns check keeps its own list (a plugin knows nothing of policies); a detector it reports but
  // the catalog lacks would be refused in every policy rule, so the two must not drift apart.
  it('names every detector the patterns check reports', () => {
    for (const id of PATTERN_DETECTOR_IDS) expect(BUILTIN_DETECTOR_IDS).toContain(id);
  });

  it('gives requesters a plain name for built-in detectors and the id for custom ones', () => {
    expect(detectorLabel('credit_card')).toBe('payment card numbers');
    expect(detectorLabel('employee_id')).toBe('employee_id');
  });
});
