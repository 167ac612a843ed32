import { createHash } from 'node:crypto';
import { AUDIT_CSS } from './css/audit-css.js';
import { BASE_CSS } from './css/base-css.js';
import { OPERATIONS_CSS } from './css/operations-css.js';
import { OVERVIEW_CSS } from './css/overview-css.js';
import { QUARANTINE_CSS } from './css/quarantine-css.js';
import { TICKETS_CSS } from './css/tickets-css.js';

/** The whole stylesheet, one file: each part styles one kind of page. */
export const STYLESHEET = [BASE_CSS, TICKETS_CSS, OPERATIONS_CSS, OVERVIEW_CSS, AUDIT_CSS, QUARANTINE_CSS].join('\n');
export const STYLESHEET_ETAG = `"${createHash('sha256').update(STYLESHEET).digest('base64url').slice(0, 16)}"`;
