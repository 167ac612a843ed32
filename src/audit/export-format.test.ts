import { describe, expect, it } from 'vitest';
import type { AuditRecord } from './audit-log.js';
import { cefSeverity, toCef, toJsonLine } from './export-format.js';

const H = 'a'.repeat(64);
const record: AuditRecord = {
  seq: 42,
  at: new Date('2026-03-01T12:34:56.789Z'),
  kind: 'ticket|odd\\kind',
  actor: 'alice=admin\\ops',
  ticketId: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
  details: { reason: 'line one\nline two = a|b \\ c', count: 2 },
  prevHash: '0'.repeat(64),
  hash: H,
  mac: 'b'.repeat(64),
};

describe('audit export formats', () => {
  it('writes one JSON object per record', () => {
    expect(toJsonLine(record)).toBe(
      '{"seq":42,"at":"2026-03-01T12:34:56.789Z","kind":"ticket|odd\\\\kind","actor":"alice=admin\\\\ops",' +
        '"ticketId":"7c9e6679-7425-40de-944b-e07fc1f90ae7","details":{"reason":"line one\\nline two = a|b \\\\ c","count":2},' +
        `"prevHash":"${'0'.repeat(64)}","hash":"${H}","mac":"${'b'.repeat(64)}"}`,
    );
  });

  it('writes CEF with the header escaped for | and \\, and extension values for =, \\ and newlines', () => {
    expect(toCef(record, '1.2.3')).toBe(
      'CEF:0|Airlock|Airlock|1.2.3|ticket\\|odd\\\\kind|ticket\\|odd\\\\kind|3|' +
        'rt=1772368496789 suser=alice\\=admin\\\\ops cs1Label=ticket cs1=7c9e6679-7425-40de-944b-e07fc1f90ae7 ' +
        `cs2Label=hash cs2=${H} cn1Label=seq cn1=42 ` +
        'msg={"count":2,"reason":"line one\\\\nline two \\= a|b \\\\\\\\ c"}',
    );
  });

  it('turns a real newline in an extension value into \\n and leaves out the ticket of a record about none', () => {
    const line = toCef({ ...record, kind: 'auth.failed', actor: 'bob\nroot', ticketId: null, details: {} }, '0.1.0');
    expect(line).toBe(
      `CEF:0|Airlock|Airlock|0.1.0|auth.failed|auth.failed|7|rt=1772368496789 suser=bob\\nroot cs2Label=hash cs2=${H} cn1Label=seq cn1=42 msg={}`,
    );
    expect(line).not.toContain('\n');
  });

  it('rates severity by kind', () => {
    expect(cefSeverity('auth.failed')).toBe(7);
    expect(cefSeverity('ticket.blocked')).toBe(6);
    expect(cefSeverity('item.quarantined')).toBe(6);
    expect(cefSeverity('quarantine.released')).toBe(6);
    expect(cefSeverity('ticket.transition')).toBe(3);
    expect(cefSeverity('audit.checkpoint')).toBe(3);
  });
});
