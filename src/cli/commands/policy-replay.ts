import { openStore, storeConfigFrom, type Store } from '../../db/database.js';
import { loadPipelines } from '../../pipelines/pipeline-loader.js';
import { loadPolicyRef } from '../../policy/policy-loader.js';
import { replayPolicy, type ReplayedItem } from '../../policy/replay-policy.js';
import { UsageError, type CliContext } from '../cli-context.js';

/**
 * `airlock policy replay <policy> [--since DATE] [--json]`: re-decides the stored items of past tickets
 * with a policy (a file path, or a policy name in the policies folder) and prints the item decisions that
 * would change, old verdict/rule -> new verdict/rule, then a summary. Reads the store, writes nothing, and
 * prints no content (reasons hold detector names and counts only). Exit 0.
 *
 * `deps.store` lets a caller (a test) hand in an open store, which is then left open.
 */
export async function policyReplayCommand(
  ctx: CliContext,
  options: { policy: string; since?: string | undefined; json: boolean },
  deps: { store?: Store } = {},
): Promise<number> {
  const since = options.since === undefined ? undefined : parseSince(options.since);
  const policy = await loadPolicyRef(ctx.config.policiesDir, options.policy);
  const destinations = await destinationKinds(ctx.config.pipelinesDir);
  const store = deps.store ?? (await openStore(storeConfigFrom(ctx.config)));
  const tickets = new Set<string>();
  let items = 0;
  let changed = 0;
  let verdictsChanged = 0;
  try {
    for await (const item of replayPolicy(store.db, policy, { since, destinationOf: (name) => destinations.get(name) })) {
      tickets.add(item.ticketId);
      items += 1;
      if (!item.changed) continue;
      changed += 1;
      if (item.before.verdict !== item.after.verdict) verdictsChanged += 1;
      ctx.stdout.write(options.json ? JSON.stringify(presentChange(item)) + '\n' : renderChange(item) + '\n');
    }
  } finally {
    if (!deps.store) await store.close();
  }
  const summary = {
    policy: policy.name,
    version: policy.version,
    since: since?.toISOString() ?? null,
    tickets: tickets.size,
    items,
    changed,
    verdictsChanged,
  };
  if (options.json) {
    ctx.stdout.write(JSON.stringify({ summary }) + '\n');
  } else {
    const range = since ? `tickets since ${summary.since}` : 'all tickets';
    const scope = `${items} item decision(s) in ${tickets.size} ticket(s) (${range}), replayed with policy ${policy.name} ${policy.version.slice(0, 12)}`;
    ctx.stdout.write(
      changed === 0
        ? `No decision would change: ${scope}.\n`
        : `${changed} of ${scope} would change: ${verdictsChanged} verdict(s), ${changed - verdictsChanged} deciding rule(s) only.\n`,
    );
  }
  return 0;
}

/**
 * `2024-05-01` (midnight UTC) or an ISO date-time (`2024-05-01T12:00:00Z`; without an offset it is UTC,
 * so a replay does not depend on the machine's time zone). Anything else, including `2024-02-30`, is a
 * usage error.
 */
export function parseSince(value: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(value.trim());
  const wrong = new UsageError(`--since must be an ISO date such as 2024-05-01 or 2024-05-01T12:00:00Z; got "${value}".`);
  if (!m) throw wrong;
  const [, y, mo, d, offset] = m;
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (day.getUTCFullYear() !== Number(y) || day.getUTCMonth() !== Number(mo) - 1 || day.getUTCDate() !== Number(d)) throw wrong;
  const text = value.trim();
  const at = new Date(text.length === 10 || offset ? text : `${text}Z`);
  if (Number.isNaN(at.getTime())) throw wrong;
  return at;
}

/** Each pipeline's destination connector kind, as configured now; empty when the pipelines cannot be read. */
async function destinationKinds(dir: string): Promise<Map<string, string>> {
  try {
    const { pipelines } = await loadPipelines(dir);
    return new Map([...pipelines].map(([name, p]) => [name, p.destination.kind]));
  } catch {
    // A replay about findings needs no pipelines; rules on `destinations` then simply do not match.
    return new Map();
  }
}

/** `T-000123  reports/q3.csv  review/review-sensitive -> block/pci-bulk  (pci-bulk: …)` */
function renderChange(item: ReplayedItem): string {
  const before = `${item.before.verdict}/${item.before.rule ?? '-'}`;
  const after = `${item.after.verdict}/${item.after.rule}`;
  return `${item.ticket}  ${item.path}  ${before} -> ${after}  (${item.after.reasons.join('; ')})`;
}

function presentChange(item: ReplayedItem) {
  return {
    ticket: item.ticket,
    ticketId: item.ticketId,
    pipeline: item.pipeline,
    ticketPolicy: item.ticketPolicy,
    item: item.path,
    before: item.before,
    after: {
      verdict: item.after.verdict,
      rule: item.after.rule,
      reasons: item.after.reasons,
      requiredApprovals: item.after.requiredApprovals,
    },
  };
}
