import type { Caller } from '../../../tickets/ticket-access.js';
import { PostForm } from '../layout.js';
import { isTerminal } from './ticket-format.js';
import type { TicketViewModel } from './ticket-sections.js';

/**
 * Which actions the page offers the caller. Only a convenience: each POST calls the same core function as
 * the API, which decides again (and refuses with its own message) whatever the page showed.
 */
export interface TicketActions {
  /** A decision form: as a named approver, or as the requester whose confirmation is needed. */
  decide: 'approver' | 'requester' | null;
  escalate: boolean;
  cancel: boolean;
}

export function actionsFor(view: TicketViewModel, caller: Caller): TicketActions {
  const isRequester = view.requester === caller.name;
  const awaiting = view.state === 'awaiting_approval';
  const decided = view.approvals.some((a) => a.user === caller.name);
  let decide: TicketActions['decide'] = null;
  if (awaiting && !decided) {
    if (!isRequester && caller.roles.includes('approver') && view.approvers.includes(caller.name)) decide = 'approver';
    else if (isRequester && view.requesterConfirmation.required && !view.requesterConfirmation.given) decide = 'requester';
  }
  // As `escalateTicket`: the requester asks, once, while the ticket is still going.
  const escalate = isRequester && !isTerminal(view.state) && !(view.escalatedAt && view.operators.length > 0);
  // As the API's cancel route: the requester or the operator handling it, before data moves or while it waits.
  const handling = caller.roles.includes('operator') && view.operators.includes(caller.name);
  const cancel = (isRequester || handling) && (view.state === 'requested' || awaiting);
  return { decide, escalate, cancel };
}

export function ActionsSection(props: { view: TicketViewModel; actions: TicketActions; csrf: string }) {
  const { view, actions, csrf } = props;
  const base = `/ui/tickets/${view.id}`;
  if (!actions.decide && !actions.escalate && !actions.cancel) return null;
  return (
    <section aria-labelledby="actions-heading" class="actions">
      <h2 id="actions-heading">What you can do</h2>
      {actions.decide && (
        <PostForm action={`${base}/decision`} csrf={csrf} class="card narrow" label="Your decision">
          <p>
            {actions.decide === 'approver'
              ? 'You are one of the approvers of this transfer. Look at the findings and the decision below, then approve or reject it.'
              : 'This transfer needs your confirmation as its requester before it can be delivered.'}
          </p>
          <label for="comment">Comment</label>
          <p class="hint" id="comment-hint">
            Optional, up to 1000 characters; kept with your decision and shown to the requester.
          </p>
          <textarea id="comment" name="comment" maxlength={1000} aria-describedby="comment-hint"></textarea>
          <div class="buttons">
            <button type="submit" name="decision" value="approve">
              {actions.decide === 'approver' ? 'Approve' : 'Confirm'}
            </button>
            <button type="submit" name="decision" value="reject" class="stop">
              Reject
            </button>
          </div>
        </PostForm>
      )}
      {actions.escalate && (
        <PostForm action={`${base}/escalate`} csrf={csrf} class="card narrow" label="Talk to a human">
          <p>
            Stuck, or unsure what happens next? An operator takes this ticket over and answers you within the agreed time. Automation goes
            on meanwhile.
          </p>
          <div class="buttons">
            <button type="submit" class="secondary">
              Talk to a human
            </button>
          </div>
        </PostForm>
      )}
      {actions.cancel && (
        <PostForm action={`${base}/cancel`} csrf={csrf} class="card narrow" label="Cancel transfer">
          <p>Cancelling stops this transfer for good: nothing is delivered and the fetched copies are deleted.</p>
          <div class="buttons">
            <button type="submit" class="stop">
              Cancel transfer
            </button>
          </div>
        </PostForm>
      )}
    </section>
  );
}
