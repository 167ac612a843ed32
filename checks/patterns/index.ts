import { PatternsCheck } from './patterns-check.js';

export { PatternsCheck } from './patterns-check.js';
export {
  compileCustomDetectors,
  PATTERN_DETECTOR_IDS,
  type AllowList,
  type CompiledCustomDetector,
  type CustomDetectorSpec,
  type PatternsCheckConfig,
} from './patterns-check-config.js';
export { MAX_FINDINGS_PER_DETECTOR } from './patterns-scanner.js';

/** The registered instance, without custom detectors or allow-list; scanners hold the per-stream state. */
export const patternsCheck = new PatternsCheck();
