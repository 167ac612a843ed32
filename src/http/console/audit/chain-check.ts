import type { Db } from '../../../db/database.js';
import { verifyAuditChain, type VerifyResult } from '../../../audit/verify-chain.js';

/**
 * Logs with up to this many sealed records are verified on every view of the audit page: that is a handful
 * of batched reads and HMACs, well under a second. Longer logs are verified only when an auditor asks.
 */
export const AUTO_VERIFY_MAX_RECORDS = 5000;

/** One finished verification and when it finished. */
export interface ChainCheck {
  result: VerifyResult;
  at: Date;
}

/**
 * The audit page's chain verification, one per console. `verifyAuditChain` has no limit: it reads and
 * re-hashes the whole log, which on a log of millions of records takes minutes and a database connection
 * throughout. So the page verifies by itself only a short log (`AUTO_VERIFY_MAX_RECORDS`); a longer one is
 * verified when someone follows "Verify the chain now", and otherwise the page shows this process's last
 * result with its time. However many auditors ask at once, one verification runs: the others wait for it.
 */
export interface ChainChecker {
  /** The last finished verification of this process, if any. */
  last(): ChainCheck | undefined;
  /** Verifies now, or joins the verification already running. */
  run(): Promise<ChainCheck>;
}

export function createChainChecker(db: Db, key: Buffer, now: () => Date): ChainChecker {
  let last: ChainCheck | undefined;
  let running: Promise<ChainCheck> | undefined;
  return {
    last: () => last,
    run() {
      running ??= verifyAuditChain(db, key)
        .then((result) => (last = { result, at: now() }))
        .finally(() => {
          running = undefined;
        });
      return running;
    },
  };
}

/** What the page says about the chain. */
export type ChainStatus =
  { kind: 'no-key' } | { kind: 'unchecked'; headSeq: number } | { kind: 'checked'; check: ChainCheck; fresh: boolean; headSeq: number };

/** Verifies when asked or when the log is short; otherwise the last result, if this process has one. */
export async function chainStatus(
  checker: ChainChecker | undefined,
  options: { requested: boolean; headSeq: number },
): Promise<ChainStatus> {
  if (!checker) return { kind: 'no-key' };
  if (options.requested || options.headSeq <= AUTO_VERIFY_MAX_RECORDS) {
    return { kind: 'checked', check: await checker.run(), fresh: true, headSeq: options.headSeq };
  }
  const last = checker.last();
  return last ? { kind: 'checked', check: last, fresh: false, headSeq: options.headSeq } : { kind: 'unchecked', headSeq: options.headSeq };
}
