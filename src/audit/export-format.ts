import { canonicalJson, type AuditRecord } from './audit-log.js';

/** One audit record as JSON, as `audit export --format jsonl` prints it and the SIEM receives it. */
export interface AuditJson {
  seq: number;
  /** ISO 8601, UTC. */
  at: string;
  kind: string;
  actor: string;
  ticketId: string | null;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
  mac: string;
}

export function toJsonRecord(record: AuditRecord): AuditJson {
  return {
    seq: record.seq,
    at: record.at.toISOString(),
    kind: record.kind,
    actor: record.actor,
    ticketId: record.ticketId,
    details: record.details,
    prevHash: record.prevHash,
    hash: record.hash,
    mac: record.mac,
  };
}

/** The record as one line of JSON (no newline at the end). */
export function toJsonLine(record: AuditRecord): string {
  return JSON.stringify(toJsonRecord(record));
}

/** CEF severity (0-10) of a kind: failed sign-ins 7, blocks and quarantines 6, everything else 3. */
export function cefSeverity(kind: string): number {
  if (kind === 'auth.failed') return 7;
  if (/\.blocked$/.test(kind) || /(^|\.)quarantin/.test(kind)) return 6;
  return 3;
}

/**
 * The record as one ArcSight CEF line (no newline at the end):
 * `CEF:0|Airlock|Airlock|<version>|<kind>|<kind>|<severity>|rt=<epoch ms> suser=<actor> cs1Label=ticket
 * cs1=<ticket id> cs2Label=hash cs2=<hash> cn1Label=seq cn1=<seq> msg=<details as canonical JSON>`.
 * The ticket pair is left out for records about no ticket.
 */
export function toCef(record: AuditRecord, version: string): string {
  const header = ['CEF:0', 'Airlock', 'Airlock', version, record.kind, record.kind, String(cefSeverity(record.kind))];
  const extension: [string, string][] = [
    ['rt', String(record.at.getTime())],
    ['suser', record.actor],
    ...(record.ticketId === null
      ? []
      : ([
          ['cs1Label', 'ticket'],
          ['cs1', record.ticketId],
        ] as [string, string][])),
    ['cs2Label', 'hash'],
    ['cs2', record.hash],
    ['cn1Label', 'seq'],
    ['cn1', String(record.seq)],
    ['msg', canonicalJson(record.details)],
  ];
  return `${header.map((field, i) => (i === 0 ? field : cefHeader(field))).join('|')}|${extension
    .map(([k, v]) => `${k}=${cefValue(v)}`)
    .join(' ')}`;
}

/** A CEF header field: `\` and `|` escaped; a line break (never legal there) becomes a space. */
export function cefHeader(value: string): string {
  return value.replace(/[\\|]/g, (c) => `\\${c}`).replace(/\r\n|[\r\n]/g, ' ');
}

/** A CEF extension value: `\` and `=` escaped, line breaks written as `\n` (and a lone CR as `\r`). */
export function cefValue(value: string): string {
  return value.replace(/[\\=]/g, (c) => `\\${c}`).replace(/\r\n|\n|\r/g, (c) => (c === '\r' ? '\\r' : '\\n'));
}
