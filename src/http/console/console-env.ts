import type { Hono } from 'hono';
import type { WebSession } from '../../auth/web-sessions.js';
import type { Caller } from '../../tickets/ticket-access.js';

/** What the console's middleware sets for its pages: the signed-in session and its caller. */
export interface ConsoleEnv {
  Variables: { caller: Caller; requestId: string; session: WebSession };
}

export type ConsoleApp = Hono<ConsoleEnv>;
