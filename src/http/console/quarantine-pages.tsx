import type { Context } from 'hono';
import { AirlockError } from '../../errors.js';
import { isUuid } from '../../quarantine/quarantine-store.js';
import { cancelReleaseRequest, RELEASE_ROLES, releaseQuarantinedItem } from '../../quarantine/release.js';
import type { ConsolePages } from './console-app.js';
import { requireRole } from './console-auth.js';
import type { ConsoleDeps } from './console-deps.js';
import type { ConsoleEnv } from './console-env.js';
import { loadQuarantine, quarantineFilterOf } from './quarantine/quarantine-data.js';
import { QuarantineFilterForm, QuarantineTable } from './quarantine/quarantine-table.js';
import { REASON_MAX, REASON_MIN } from './quarantine/release-forms.js';
import { page, readForm, seeOther } from './respond.js';
import { ReleaseBody } from '../api-schemas.js';

/**
 * The quarantine (/ui/quarantine): blocked items kept until their purge date, for operators and auditors, as
 * the API lists them. Operators ask for and approve releases and withdraw requests through the same core
 * functions as the API (`releaseQuarantinedItem`, `cancelReleaseRequest`), which enforce the two-person rule
 * and the requester exclusion; their refusals are error pages with the core's status and sentence.
 */
export const registerQuarantinePages: ConsolePages = (ui, deps) => {
  const releaser = requireRole(...RELEASE_ROLES);

  ui.get('/quarantine', requireRole('operator', 'auditor'), (c) => quarantinePage(c, deps));

  ui.post('/quarantine/:id/release', releaser, async (c) => {
    const id = quarantineIdOf(c.req.param('id'));
    if (!deps.quarantine) {
      throw new AirlockError('conflict', 'Releases are not possible in this process: it has no access to the staged items.');
    }
    // The API's own rule for a release reason (ReleaseBody).
    const input = ReleaseBody.safeParse({ reason: (await readForm(c)).reason ?? '' });
    if (!input.success) {
      return quarantinePage(c, deps, {
        error: `A reason must be ${REASON_MIN} to ${REASON_MAX} characters long: say why this item may leave quarantine.`,
        status: 400,
      });
    }
    const context = deps.quarantine;
    const result = await withPlainNotFound(() => releaseQuarantinedItem(deps.db, context, id, c.get('caller'), input.data, deps.now()));
    return seeOther(c, `/ui/quarantine?done=${result.outcome === 'released' ? 'released' : 'requested'}`);
  });

  ui.post('/quarantine/:id/cancel', releaser, async (c) => {
    const id = quarantineIdOf(c.req.param('id'));
    await withPlainNotFound(() => cancelReleaseRequest(deps.db, id, c.get('caller'), {}, deps.now()));
    return seeOther(c, '/ui/quarantine?done=withdrawn');
  });
};

async function quarantinePage(c: Context<ConsoleEnv>, deps: ConsoleDeps, options: { error?: string; status?: 400 } = {}) {
  const caller = c.get('caller');
  const filter = quarantineFilterOf(c.req.query('state'));
  const { entries, more } = await loadQuarantine(deps.db, caller, filter);
  const operates = RELEASE_ROLES.some((role) => caller.roles.includes(role));
  const actions = operates ? { caller: caller.name, csrf: c.get('session').csrf, canRelease: deps.quarantine !== undefined } : undefined;
  return page(
    c,
    'Quarantine',
    <>
      <h1>Quarantine</h1>
      <p>
        Blocked items of pipelines with a quarantine are kept, encrypted, until the date shown and then purged. Releasing one takes two
        different operators: the first asks, the second approves, and the ticket’s requester can do neither. The approval writes the item to
        the pipeline’s release destination.
      </p>
      {!deps.quarantine && (
        <p class="hint" role="note">
          Releases are not possible in this process (it has no access to the staged items): the list is complete, but requests and approvals
          are refused here.
        </p>
      )}
      {!operates && <p class="muted">You can read this list; asking for and approving releases is for operators.</p>}
      <QuarantineFilterForm filter={filter} />
      <section aria-labelledby="quarantine-items">
        <h2 id="quarantine-items">Items</h2>
        <QuarantineTable entries={entries} more={more} filter={filter} actions={actions} />
      </section>
    </>,
    { notice: noticeFor(c.req.query('done')), ...options },
  );
}

/** The sentence for a `done` code after a form; an unknown code shows nothing (query text is never printed). */
function noticeFor(done: string | undefined): string | undefined {
  switch (done) {
    case 'requested':
      return 'Release requested. A second operator (not you, and not the ticket’s requester) must approve it before the item leaves quarantine.';
    case 'released':
      return 'Released: the item was written to its pipeline’s release destination and checked against the staged copy. Filter by "released" to see it.';
    case 'withdrawn':
      return 'Release request withdrawn: the item is held again.';
    default:
      return undefined;
  }
}

/** The id from the path, or the same 404 the core gives, without repeating what was typed. */
function quarantineIdOf(id: string): string {
  if (!isUuid(id)) throw new AirlockError('not_found', 'There is no such quarantined item.');
  return id;
}

/** The core's "does not exist" names the id it was given; the page says it without. Other refusals pass as they are. */
async function withPlainNotFound<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof AirlockError && error.code === 'not_found') {
      throw new AirlockError('not_found', 'There is no such quarantined item.', { cause: error });
    }
    throw error;
  }
}
