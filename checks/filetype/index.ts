import { FiletypeCheck } from './filetype-check.js';

export { FiletypeCheck, SAMPLE_BYTES } from './filetype-check.js';

/** The registered instance; the check holds no state, so one serves every inspection. */
export const filetypeCheck = new FiletypeCheck();
