import type { Caller } from '../tickets/ticket-access.js';

/** Per-request values the middleware sets for handlers. */
export interface AppEnv {
  Variables: { caller: Caller; requestId: string };
}
