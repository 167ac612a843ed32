import { AirlockError, type ErrorCode } from '../errors.js';

/**
 * Why a quarantine action was refused, beyond the general error code: the problem `code` the API answers with,
 * so a client can tell "ask someone else" from "too late".
 */
export const QUARANTINE_PROBLEMS = {
  /** The person who asked for the release cannot also approve it (two persons, always). */
  same_person: 'conflict',
  /** The ticket's requester never releases (nor asks to release) what their own ticket brought in. */
  requester_cannot_release: 'forbidden',
  /** Past its `until`: it is, or is about to be, purged. */
  quarantine_expired: 'conflict',
  /** Already purged. */
  quarantine_purged: 'conflict',
  /** Already released. */
  already_released: 'conflict',
  /** Withdrawing a release nobody asked for. */
  not_requested: 'conflict',
  /** The ticket's pipeline (as it is now) has no `quarantine.releaseTo`, or no longer loads. */
  no_release_destination: 'conflict',
} as const satisfies Record<string, ErrorCode>;

export type QuarantineProblem = keyof typeof QUARANTINE_PROBLEMS;

/** An AirlockError (status and retry behaviour of its general code) that names the specific refusal. */
export class QuarantineError extends AirlockError {
  readonly problem: QuarantineProblem;

  constructor(problem: QuarantineProblem, message: string) {
    super(QUARANTINE_PROBLEMS[problem], message);
    this.problem = problem;
  }
}
