import { createHash } from 'node:crypto';
import { COUNTDOWN_JS } from './js/countdown-js.js';
import { LIVE_PROGRESS_JS } from './js/live-progress-js.js';

/**
 * The console's one script, progressive enhancement only: every page works without it. Each part is an
 * immediately invoked function that looks for its own `data-*` hooks and does nothing when they are absent.
 */
const PARTS: readonly string[] = [LIVE_PROGRESS_JS, COUNTDOWN_JS];

export const SCRIPT = `'use strict';\n${PARTS.map((part) => `(function () {\n${part}\n})();`).join('\n')}\n`;
export const SCRIPT_ETAG = `"${createHash('sha256').update(SCRIPT).digest('base64url').slice(0, 16)}"`;
