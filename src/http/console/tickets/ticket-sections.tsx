import type { ticketView } from '../../ticket-view.js';
import { formatBytes, itemStep, Time } from './ticket-format.js';

/** A ticket as `ticketView` presents it: names already hashed when its pipeline redacts them, excerpts masked. */
export type TicketViewModel = Awaited<ReturnType<typeof ticketView>>;

/** How many masked examples a findings row shows; the count says how many there are. */
const EXCERPTS_PER_ROW = 3;

/** Findings summed up per check, detector and severity: what was seen, how often, in which items. Never content. */
export function FindingsSection(props: { findings: TicketViewModel['findings'] }) {
  if (props.findings.length === 0) return null;
  const groups = new Map<
    string,
    { check: string; detector: string; severity: string; count: number; items: Set<number>; excerpts: Set<string> }
  >();
  for (const f of props.findings) {
    const key = `${f.check}\0${f.detector}\0${f.severity}`;
    const group = groups.get(key) ?? {
      check: f.check,
      detector: f.detector,
      severity: f.severity,
      count: 0,
      items: new Set(),
      excerpts: new Set(),
    };
    group.count++;
    if (f.item !== undefined) group.items.add(f.item);
    if (f.excerpt && group.excerpts.size < EXCERPTS_PER_ROW) group.excerpts.add(f.excerpt);
    groups.set(key, group);
  }
  return (
    <section aria-labelledby="findings-heading">
      <h2 id="findings-heading">Findings</h2>
      <p class="muted">What the checks saw, with excerpts masked; the files themselves are never shown.</p>
      <div class="table-wrap">
        <table>
          <caption class="sr-only">Findings by detector and severity</caption>
          <thead>
            <tr>
              <th scope="col">Detector</th>
              <th scope="col">Severity</th>
              <th scope="col" class="num">
                Count
              </th>
              <th scope="col">Items</th>
              <th scope="col">Examples (masked)</th>
            </tr>
          </thead>
          <tbody>
            {[...groups.values()].map((g) => (
              <tr>
                <th scope="row">{`${g.check} / ${g.detector}`}</th>
                <td>
                  <span class={`badge severity-${g.severity}`}>{g.severity}</span>
                </td>
                <td class="num">{g.count}</td>
                <td>{[...g.items].sort((a, b) => a - b).join(', ') || '—'}</td>
                <td>
                  {g.excerpts.size === 0 ? (
                    <span class="muted">none</span>
                  ) : (
                    <ul class="plain">
                      {[...g.excerpts].map((e) => (
                        <li>
                          <code>{e}</code>
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** The policy's verdict on the ticket: which rule decided, why, and under which policy version. */
export function DecisionSection(props: { decision: TicketViewModel['decision'] }) {
  const { decision } = props;
  if (!decision) return null;
  return (
    <section aria-labelledby="decision-heading">
      <h2 id="decision-heading">Decision</h2>
      <dl class="facts">
        <dt>Verdict</dt>
        <dd>
          <span class={`badge verdict-${decision.verdict}`}>{decision.verdict}</span>
        </dd>
        <dt>Rule</dt>
        <dd>{decision.rule}</dd>
        <dt>Policy</dt>
        <dd>{`${decision.policy}, version ${decision.policyVersion.slice(0, 12)}`}</dd>
        <dt>Decided</dt>
        <dd>
          <Time at={decision.decidedAt} />
        </dd>
        <dt>Reasons</dt>
        <dd>
          {decision.reasons.length === 0 ? (
            'none given'
          ) : (
            <ul class="plain">
              {decision.reasons.map((r) => (
                <li>{r}</li>
              ))}
            </ul>
          )}
        </dd>
      </dl>
    </section>
  );
}

/** Who decided so far, what the quorum still needs, and whether the requester's confirmation is in. */
export function ApprovalsSection(props: { view: TicketViewModel }) {
  const { approvals, requiredApprovals, requesterConfirmation, approvers } = props.view;
  if (approvals.length === 0 && requiredApprovals.length === 0 && !requesterConfirmation.required) return null;
  return (
    <section aria-labelledby="approvals-heading">
      <h2 id="approvals-heading">Approvals</h2>
      <ul>
        {requiredApprovals.map((r) => (
          <li>
            {`${r.count} approval(s) needed${r.groups.length > 0 ? ` from ${r.distinctGroups ? 'each of ' : ''}the groups ${r.groups.join(', ')}` : ''}; ${r.missing === 0 ? 'met' : `${r.missing} still missing`}.`}
          </li>
        ))}
        <li>
          {requesterConfirmation.required
            ? `The requester’s confirmation is needed: ${requesterConfirmation.given ? 'given' : 'not given yet'}.`
            : 'The requester’s confirmation is not needed.'}
        </li>
        <li>{`Approvers named for this ticket: ${approvers.join(', ') || 'none'}.`}</li>
      </ul>
      {approvals.length === 0 ? (
        <p>Nobody has decided yet.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">Decisions given so far</caption>
            <thead>
              <tr>
                <th scope="col">Who</th>
                <th scope="col">Decision</th>
                <th scope="col">Comment</th>
                <th scope="col">When</th>
                <th scope="col">Counts</th>
              </tr>
            </thead>
            <tbody>
              {approvals.map((a) => (
                <tr>
                  <th scope="row">{a.asRequester ? `${a.user} (requester)` : a.user}</th>
                  <td>{a.decision === 'approve' ? (a.asRequester ? 'confirmed' : 'approved') : 'rejected'}</td>
                  <td>{a.comment ?? <span class="muted">none</span>}</td>
                  <td>
                    <Time at={a.at} /> <span class="muted">{`via ${a.channel}`}</span>
                  </td>
                  <td>{a.valid ? 'yes' : 'no: the files or the policy changed since'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** Every state change and notable event, oldest first. */
export function TimelineSection(props: { events: TicketViewModel['events'] }) {
  return (
    <section aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Timeline</h2>
      <div class="table-wrap">
        <table>
          <caption class="sr-only">The ticket’s history, oldest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Change</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {props.events.map((e) => (
              <tr>
                <td>
                  <Time at={e.at} />
                </td>
                <td>{e.actor}</td>
                <td>{e.from === e.to ? e.to : `${e.from ?? 'new'} → ${e.to}`}</td>
                <td>{e.reason ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** The items: name (or its hash), size, detected type, state and verdict. */
export function ItemsTable(props: { items: TicketViewModel['items'] }) {
  if (props.items.length === 0) return <p>No files are listed yet; they appear once Airlock has looked at the source.</p>;
  return (
    <div class="table-wrap">
      <table class="items">
        <caption class="sr-only">Files of this ticket</caption>
        <thead>
          <tr>
            <th scope="col" class="num">
              #
            </th>
            <th scope="col">File</th>
            <th scope="col" class="num">
              Size
            </th>
            <th scope="col">Type</th>
            <th scope="col">State</th>
            <th scope="col">Verdict</th>
            <th scope="col">Notes</th>
          </tr>
        </thead>
        <tbody>
          {props.items.map((i) => (
            <tr data-item-seq={String(i.seq)}>
              <td class="num">{i.seq}</td>
              <th scope="row" class="path">
                {i.path}
              </th>
              <td class="num">{i.size === null ? '—' : formatBytes(i.size)}</td>
              <td>{i.type?.mime ?? '—'}</td>
              <td>
                <span class={`badge item-${i.state}`} data-item-state="">
                  {i.state}
                </span>
                <progress
                  class="item-progress"
                  max="3"
                  value={String(itemStep(i.state).value)}
                  data-item-progress=""
                  aria-label={`File ${i.seq}: ${itemStep(i.state).label}`}
                >
                  {itemStep(i.state).label}
                </progress>
              </td>
              <td>{i.verdict ?? '—'}</td>
              <td>{[...i.reasons, ...(i.error ? [i.error] : [])].join('; ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
