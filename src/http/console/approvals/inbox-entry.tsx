import type { ApprovalStatus } from '../../../approvals/approval-store.js';
import { PostForm } from '../layout.js';
import { durationWords } from '../operations/time-text.js';
import { UtcTime } from '../utc-time.js';
import { ticketHref } from '../operations/ticket-bits.js';
import { BlindReviewView } from './blind-review-view.js';
import type { InboxEntry } from './inbox-data.js';

/** The longest comment a decision takes (the API's DecisionBody). */
const MAX_COMMENT = 1000;

/**
 * One ticket waiting for the caller: its facts, the blind review, and a decision form that posts to the
 * ticket page's own decision handler (one handler for both pages). Ids carry the ticket number, so several
 * forms on one page never share a label.
 */
export function InboxTicket(props: { entry: InboxEntry; csrf: string; now: Date }) {
  const { entry, now } = props;
  const { ticket, ref } = entry;
  const href = ticketHref(ref);
  return (
    <article class="card inbox-ticket" aria-labelledby={`ticket-${ref}`}>
      <h3 id={`ticket-${ref}`}>
        <a href={href}>{ref}</a> {`· ${ticket.pipeline}`}
      </h3>
      <dl class="facts">
        <dt>Purpose</dt>
        <dd>{ticket.purpose}</dd>
        <dt>Requested by</dt>
        <dd>{ticket.requester}</dd>
        <dt>Requested</dt>
        <dd>
          <UtcTime at={ticket.created_at} />
        </dd>
        <dt>Review deadline</dt>
        <dd>
          {entry.deadline ? (
            <>
              <UtcTime at={entry.deadline} /> {deadlineWords(entry.deadline, now)}
            </>
          ) : (
            'none'
          )}
        </dd>
        <dt>Approvals</dt>
        <dd>
          <ApprovalProgress status={entry.status} />
        </dd>
      </dl>
      <BlindReviewView review={entry.review} ticketHref={href} />
      <DecisionForm ticketRef={ref} csrf={props.csrf} />
    </article>
  );
}

function deadlineWords(deadline: Date, now: Date): string {
  const left = deadline.getTime() - now.getTime();
  return left > 0 ? `(in ${durationWords(left)})` : '(passed; the review is about to expire)';
}

/** Approvals so far and what each requirement still needs, in words. */
function ApprovalProgress(props: { status: ApprovalStatus }) {
  const { approvals, required, requesterConfirmation } = props.status;
  const counting = approvals.filter((a) => a.valid && a.decision === 'approve' && !a.asRequester).map((a) => a.user);
  return (
    <ul class="plain">
      <li>{counting.length === 0 ? 'none so far' : `${counting.length} so far (${counting.join(', ')})`}</li>
      {required.map((r) => {
        const who =
          r.groups.length === 0 ? 'any approver' : `${r.distinctGroups ? 'one from each of' : 'members of'} ${r.groups.join(', ')}`;
        return <li>{`needed: ${r.count} from ${who}; ${r.missing === 0 ? 'met' : `${r.missing} still missing`}`}</li>;
      })}
      {requesterConfirmation.required && (
        <li>{requesterConfirmation.given ? 'the requester has confirmed' : 'the requester must also confirm (not yet)'}</li>
      )}
    </ul>
  );
}

/** Approve or reject, with an optional comment: posts to `/ui/tickets/:ref/decision`. */
function DecisionForm(props: { ticketRef: string; csrf: string }) {
  const { ticketRef } = props;
  const commentId = `comment-${ticketRef}`;
  const hintId = `comment-hint-${ticketRef}`;
  return (
    <PostForm action={`${ticketHref(ticketRef)}/decision`} csrf={props.csrf} class="decision-form" label={`Decide on ${ticketRef}`}>
      <label for={commentId}>Comment</label>
      <span class="hint" id={hintId}>
        Optional. Everyone on the ticket can read it.
      </span>
      <textarea id={commentId} name="comment" rows={3} maxlength={MAX_COMMENT} aria-describedby={hintId}></textarea>
      <div class="buttons">
        <button type="submit" name="decision" value="approve">
          Approve
        </button>
        <button type="submit" name="decision" value="reject" class="stop">
          Reject
        </button>
      </div>
    </PostForm>
  );
}
