import type { ChainStatus } from './chain-check.js';
import { AUTO_VERIFY_MAX_RECORDS } from './chain-check.js';
import { UtcTime } from '../utc-time.js';

/**
 * The chain's state, first on the audit page: intact (with how far), broken (an alert naming the first
 * broken record and why), or why it was not checked. Says in words what the colour says.
 */
export function ChainStatusView(props: { status: ChainStatus; verifyHref: string; unsealed: number }) {
  const { status } = props;
  return (
    <section class="card chain" aria-labelledby="chain-heading">
      <h2 id="chain-heading">Chain verification</h2>
      <ChainResult status={status} />
      {props.unsealed > 0 && (
        <p class="muted">
          {`${props.unsealed} newer record${props.unsealed === 1 ? ' is' : 's are'} not sealed into the chain yet (the server seals every second); the log below shows ${props.unsealed === 1 ? 'it' : 'them'} as “unsealed”.`}
        </p>
      )}
      {status.kind !== 'no-key' && (
        <p>
          <a href={props.verifyHref}>Verify the chain now</a>
        </p>
      )}
    </section>
  );
}

function ChainResult({ status }: { status: ChainStatus }) {
  if (status.kind === 'no-key') return <p class="chain-unchecked">Not checked: this process has no audit key.</p>;
  if (status.kind === 'unchecked') {
    return (
      <p class="chain-unchecked">
        {`Not checked yet by this process. The log holds ${status.headSeq} sealed records, more than the ${AUTO_VERIFY_MAX_RECORDS} verified on every visit; verifying all of them takes a while, so it runs only when asked.`}
      </p>
    );
  }
  const { result, at } = status.check;
  const when = (
    <>
      {status.fresh ? 'Checked ' : 'Last checked '}
      <UtcTime at={at} />
      {status.fresh ? '.' : ` by this process; records sealed since (the log now ends at seq ${status.headSeq}) are not covered.`}
    </>
  );
  if (result.ok) {
    return (
      <>
        <p class="chain-ok">
          <strong>
            {result.records === 0
              ? 'Intact: 0 records (the log is empty)'
              : `Intact: ${result.records} records, last sealed seq ${result.head.seq}`}
          </strong>
        </p>
        <p class="muted">
          Every record follows the one before it, its hash matches its content and its signature matches the audit key. {when}
        </p>
      </>
    );
  }
  return (
    <div class="chain-broken" role="alert">
      <p>
        <strong>{`Broken at record #${result.firstBroken.seq}: ${result.firstBroken.problem}`}</strong>
      </p>
      <p>
        {`The ${result.records} record${result.records === 1 ? '' : 's'} before it are intact. Someone changed the log outside Airlock; keep this page's result and tell whoever runs the database. `}
        {when}
      </p>
    </div>
  );
}
