import { AirlockError } from '../../errors.js';
import type { ConsolePages } from './console-app.js';
import { requireRole } from './console-auth.js';
import { OverviewContent } from './overview/overview-content.js';
import { loadOverviewStats } from './overview/overview-stats.js';
import { page } from './respond.js';

/** The periods the overview offers; anything else is refused rather than guessed. */
const PERIODS = [7, 14, 30, 90] as const;

/** `GET /ui/overview`: charts for operators and auditors, drawn on the server as SVG. */
export const registerOverviewPages: ConsolePages = (ui, deps) => {
  ui.get('/overview', requireRole('operator', 'auditor'), async (c) => {
    const asked = c.req.query('days') ?? '14';
    const days = PERIODS.find((p) => String(p) === asked);
    if (days === undefined) throw new AirlockError('invalid_input', `days must be one of ${PERIODS.join(', ')}.`);
    const stats = await loadOverviewStats(deps.db, { now: deps.now(), days });
    return page(
      c,
      'Overview',
      <OverviewContent
        stats={stats}
        controls={
          <form class="filters" method="get" action="/ui/overview" aria-label="Period">
            <label for="days">Period</label>
            <select id="days" name="days">
              {PERIODS.map((p) => (
                <option value={String(p)} selected={p === days}>{`last ${p} days`}</option>
              ))}
            </select>
            <button type="submit" class="secondary">
              Show
            </button>
          </form>
        }
      />,
    );
  });
};
