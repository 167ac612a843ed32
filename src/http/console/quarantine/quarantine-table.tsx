import type { QuarantineState } from '../../../db/schema.js';
import type { QuarantineView } from '../../../quarantine/quarantine-store.js';
import { formatBytes } from '../tickets/ticket-format.js';
import { ticketHref } from '../operations/ticket-bits.js';
import { UtcTime } from '../utc-time.js';
import { QUARANTINE_LIMIT, QUARANTINE_STATES, type QuarantineEntry, type QuarantineFilter } from './quarantine-data.js';
import { ReleaseActions, type ActionContext } from './release-forms.js';

/** An item's quarantine state as a badge: the words first, the colour (quarantine CSS) only repeats them. */
export function QuarantineBadge(props: { state: QuarantineState }) {
  return <span class={`badge quarantine-${props.state}`}>{props.state.replace(/_/g, ' ')}</span>;
}

/** The state filter (GET, so a view can be bookmarked); the default lists what is still quarantined. */
export function QuarantineFilterForm(props: { filter: QuarantineFilter }) {
  return (
    <form method="get" action="/ui/quarantine" class="filters" aria-label="Filter the quarantine">
      <div>
        <label for="quarantine-state">State</label>
        <select id="quarantine-state" name="state">
          <option value="" selected={!props.filter}>
            still quarantined (held or release requested)
          </option>
          {QUARANTINE_STATES.map((s) => (
            <option value={s} selected={s === props.filter}>
              {s.replace(/_/g, ' ')}
            </option>
          ))}
        </select>
      </div>
      <div class="buttons">
        <button type="submit" class="secondary">
          Filter
        </button>
      </div>
    </form>
  );
}

/**
 * The quarantined items, soonest purge first. `actions` is given to operators only: auditors (and anyone else
 * who may read the list) get the same table without its last column.
 */
export function QuarantineTable(props: { entries: QuarantineEntry[]; more: boolean; filter: QuarantineFilter; actions?: ActionContext }) {
  const { entries, actions } = props;
  const which = props.filter ? `in the state ${props.filter.replace(/_/g, ' ')}` : 'still quarantined';
  if (entries.length === 0) return <p>{`No items ${which}.`}</p>;
  return (
    <>
      <p>
        {`${entries.length} ${entries.length === 1 ? 'item' : 'items'} ${which}.`}
        {props.more && ` Only the first ${QUARANTINE_LIMIT} are listed.`}
      </p>
      <div class="table-wrap">
        <table class="quarantine">
          <caption>{`Quarantined items ${which}, soonest purge first`}</caption>
          <thead>
            <tr>
              <th scope="col">Ticket</th>
              <th scope="col">Item</th>
              <th scope="col">Blocked by</th>
              <th scope="col">Held until</th>
              <th scope="col">State</th>
              <th scope="col">Release requested</th>
              <th scope="col">Released</th>
              {actions && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <QuarantineRow entry={entry} actions={actions} />
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function QuarantineRow(props: { entry: QuarantineEntry; actions: ActionContext | undefined }) {
  const { item, visible } = props.entry;
  return (
    <tr>
      <th scope="row">
        {visible ? <a href={ticketHref(item.ticket)}>{item.ticket}</a> : item.ticket}
        <span class="muted block">{item.pipeline}</span>
      </th>
      <td class="item-name">
        <span class="name">{item.name}</span>
        <span class="muted block">{`item ${item.seq}${item.size === null ? '' : `, ${formatBytes(item.size)}`}`}</span>
      </td>
      <td>
        <BlockedBy item={item} />
      </td>
      <td>
        {item.state === 'purged' ? (
          <>
            purged <UtcTime at={item.purgedAt} />
          </>
        ) : (
          <UtcTime at={item.until} />
        )}
      </td>
      <td>
        <QuarantineBadge state={item.state} />
      </td>
      <td class="reason">
        {item.requestedBy === null ? (
          <span class="muted">—</span>
        ) : (
          <>
            {`by ${item.requestedBy}, `}
            <UtcTime at={item.requestedAt} />
            {item.reason !== null && <span class="block quoted">{item.reason}</span>}
          </>
        )}
      </td>
      <td>
        {item.releasedBy === null ? (
          <span class="muted">—</span>
        ) : (
          <>
            {`by ${item.releasedBy}, `}
            <UtcTime at={item.releasedAt} />
            {item.destination !== null && <span class="muted block name">{`to ${item.destination}`}</span>}
          </>
        )}
      </td>
      {props.actions && (
        <td class="actions">
          <ReleaseActions entry={props.entry} context={props.actions} />
        </td>
      )}
    </tr>
  );
}

/** The policy rule that blocked the item and the detectors that fired: names and counts, no excerpts. */
function BlockedBy(props: { item: QuarantineView }) {
  const { rule, detectors } = props.item;
  return (
    <>
      {rule === null ? <span class="muted">no rule recorded</span> : <span class="rule">{rule}</span>}
      {detectors.length > 0 && (
        <ul class="plain detectors">
          {detectors.map((d) => (
            <li>{`${d.check}: ${d.detector}${d.count > 1 ? ` (${d.count})` : ''}`}</li>
          ))}
        </ul>
      )}
    </>
  );
}
