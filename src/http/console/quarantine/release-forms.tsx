import { RELEASE_REASON_LENGTH } from '../../api-schemas.js';
import { PostForm } from '../layout.js';
import type { QuarantineEntry } from './quarantine-data.js';

/** The API's bounds for a release reason (ReleaseBody). */
export const REASON_MIN = RELEASE_REASON_LENGTH.min;
export const REASON_MAX = RELEASE_REASON_LENGTH.max;

export interface ActionContext {
  /** The signed-in person. */
  caller: string;
  csrf: string;
  /** Whether this process can write released items (it has staging and the pipelines); else only withdrawals. */
  canRelease: boolean;
}

/**
 * An operator's actions on one item. The core decides whether a release call asks or approves, and enforces
 * both rules (two different people, never the ticket's requester); the page only leaves out the forms that
 * would certainly be refused, and says why.
 */
export function ReleaseActions(props: { entry: QuarantineEntry; context: ActionContext }) {
  const { item, ownTicket } = props.entry;
  const { caller, csrf, canRelease } = props.context;
  const what = `item ${item.seq} of ${item.ticket}`;
  if (item.state !== 'held' && item.state !== 'release_requested') return <span class="muted">nothing to do</span>;
  if (ownTicket) return <p class="muted">You requested this ticket: its requester never releases its items.</p>;
  const unavailable = <p class="muted">Releases are not possible in this process.</p>;
  if (item.state === 'held') {
    return canRelease ? (
      <ReasonForm id={item.id} csrf={csrf} label={`Request the release of ${what}`} button="Request release" />
    ) : (
      unavailable
    );
  }
  return (
    <>
      {item.requestedBy === caller ? (
        <p class="muted">You asked for this release; a different operator must approve it.</p>
      ) : canRelease ? (
        <ReasonForm id={item.id} csrf={csrf} label={`Approve the release of ${what}`} button="Approve release" />
      ) : (
        unavailable
      )}
      <PostForm action={`/ui/quarantine/${item.id}/cancel`} csrf={csrf} label={`Withdraw the release request for ${what}`}>
        <div class="buttons">
          <button type="submit" class="secondary">
            Withdraw request
          </button>
        </div>
      </PostForm>
    </>
  );
}

/** Asking for and approving a release are the same call with a reason; the core tells which it was. */
function ReasonForm(props: { id: string; csrf: string; label: string; button: string }) {
  const field = `reason-${props.id}`;
  const hint = `reason-hint-${props.id}`;
  return (
    <PostForm action={`/ui/quarantine/${props.id}/release`} csrf={props.csrf} class="release-form" label={props.label}>
      <label for={field}>Reason</label>
      <span class="hint" id={hint}>
        {`Required, ${REASON_MIN} to ${REASON_MAX} characters; kept in the audit log.`}
      </span>
      <textarea id={field} name="reason" rows={2} required minlength={REASON_MIN} maxlength={REASON_MAX} aria-describedby={hint}></textarea>
      <div class="buttons">
        <button type="submit">{props.button}</button>
      </div>
    </PostForm>
  );
}
