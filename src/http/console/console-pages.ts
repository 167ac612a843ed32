import { registerApprovalPages } from './approval-pages.js';
import { registerAuditPages } from './audit-pages.js';
import type { ConsolePages } from './console-app.js';
import { registerOperationsPages } from './operations-pages.js';
import { registerOutboxPages } from './outbox-pages.js';
import { registerOverviewPages } from './overview-pages.js';
import { registerQuarantinePages } from './quarantine-pages.js';
import { registerTicketPages } from './ticket-pages.js';

/** Every module of console pages, in the order their routes are registered. */
export const CONSOLE_PAGES: readonly ConsolePages[] = [
  registerTicketPages,
  registerApprovalPages,
  registerOperationsPages,
  registerQuarantinePages,
  registerOverviewPages,
  registerAuditPages,
  registerOutboxPages,
];
