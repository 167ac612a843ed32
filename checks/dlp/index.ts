import { DlpCheck } from './dlp-check.js';

export { DlpCheck } from './dlp-check.js';

/** The registered instance; the check holds no state between scanners, so one serves every inspection. */
export const dlpCheck = new DlpCheck();
