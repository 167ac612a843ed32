// What a reviewer is shown instead of the data: for a ticket that hides its file names, no reason quotes one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ticketAwaitingApproval } from '../../test/api-harness.js';
import { createTestStore, type TestStore } from '../../test/test-store.js';
import { nameHash } from '../tickets/name-hash.js';
import { findTicket } from '../tickets/ticket-store.js';
import { blindSummary } from './review-summary.js';

let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(() => store?.close());

describe('blindSummary', () => {
  it('hashes item names in the decision’s reasons when the pipeline redacts names, and only then', async () => {
    const paths = ['payroll/ceo-salary.csv', 'payroll/ceo-salary.csv.bak'];
    for (const redact of [true, false]) {
      const { ticket } = await ticketAwaitingApproval(store.db, { requester: 'rita', approvers: ['abby'] }, { paths });
      await store.db.updateTable('tickets').set({ redact_names: redact }).where('id', '=', ticket.id).execute();
      await store.db
        .updateTable('decisions')
        .set({ reasons: JSON.stringify(['review-sensitive: payroll/ceo-salary.csv.bak holds 1 iban']) })
        .where('ticket_id', '=', ticket.id)
        .execute();
      const row = (await findTicket(store.db, { id: ticket.id }))!;
      const summary = await blindSummary(store.db, row, { destination: 'local', nameOf: nameHash });
      if (redact) {
        // The longer name wins: no half-replaced `sha256:….bak`.
        expect(summary.reasons).toEqual([`review-sensitive: ${nameHash('payroll/ceo-salary.csv.bak')} holds 1 iban`]);
        expect(JSON.stringify(summary)).not.toContain('ceo-salary');
      } else {
        expect(summary.reasons).toEqual(['review-sensitive: payroll/ceo-salary.csv.bak holds 1 iban']);
      }
    }
  });
});
