import type { CommunicationContext } from '../../approvals/review-task.js';
import type { OidcLogin } from '../../auth/oidc-login.js';
import type { Db } from '../../db/database.js';
import type { Logger } from '../../log/logger.js';
import type { ReleaseContext } from '../../quarantine/release.js';
import type { FailedAuthLimiter } from '../failed-auth-limiter.js';

/** What the console's pages need from the rest of Airlock: the same core the API uses, nothing more. */
export interface ConsoleDeps {
  db: Db;
  logger: Logger;
  pipelinesDir: string;
  /** Enqueues a ticket's processing job inside the caller's transaction. */
  enqueue: (trx: Db, ticketId: string) => Promise<void>;
  /** Drops a ticket's staged data once nothing will be delivered from it. */
  purge: (ticketId: string) => Promise<void>;
  escalationSlaMinutes: number;
  /** Link base and clock for the mails a submit, decision or escalation writes; absent: no mails. */
  communication?: CommunicationContext | undefined;
  onApprovalSettled?: ((seconds: number) => void) | undefined;
  /** Failed sign-ins per address, shared with the API so that switching surfaces does not reset the count. */
  limiter: FailedAuthLimiter;
  /** The audit key, for the audit page's chain verification; absent: the page says the chain is not checked. */
  auditKey?: Buffer | undefined;
  /** Browser sign-in with the identity provider; absent: API-token sign-in only. */
  oidcLogin?: OidcLogin | undefined;
  /** Staging and the pipeline resolver, for releasing quarantined items; absent: the quarantine is listed, releases refused. */
  quarantine?: ReleaseContext | undefined;
  /** The clock; tests move it. */
  now: () => Date;
}
