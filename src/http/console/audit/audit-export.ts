import { readAudit, type AuditRecord } from '../../../audit/audit-log.js';
import { toCef, toJsonLine } from '../../../audit/export-format.js';
import { AIRLOCK_VERSION } from '../../../cli/version.js';
import type { Db } from '../../../db/database.js';
import { AirlockError } from '../../../errors.js';
import type { Logger } from '../../../log/logger.js';
import { parseDateField } from './date-field.js';

export const EXPORT_FORMATS = ['jsonl', 'cef'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Records read per query, as `airlock audit export` reads them: memory stays flat however long the log. */
const EXPORT_BATCH = 1000;

const CONTENT_TYPES: Record<ExportFormat, string> = {
  // JSON Lines has no registered media type; NDJSON is the same format under the name tools recognise.
  jsonl: 'application/x-ndjson; charset=utf-8',
  cef: 'text/plain; charset=utf-8',
};

export interface ExportRequest {
  format: ExportFormat;
  /** Inclusive. */
  since?: Date | undefined;
  /** Exclusive. */
  until?: Date | undefined;
}

/** `format`, `since` and `until` of `GET /ui/audit/export`, read as the CLI reads its options; a 400 names the bad field. */
export function readExportRequest(query: Record<string, string | undefined>): ExportRequest {
  const format = EXPORT_FORMATS.find((f) => f === query.format);
  if (!format) throw new AirlockError('invalid_input', 'The field "format" must be jsonl or cef.');
  const since = parseDateField('since', query.since);
  const until = parseDateField('until', query.until);
  if (since && until && since >= until) throw new AirlockError('invalid_input', 'The field "since" must be before "until".');
  return { format, since, until };
}

/** `airlock-audit-2026-05-04.jsonl`: the day of the download, UTC. */
export function exportFileName(format: ExportFormat, now: Date): string {
  return `airlock-audit-${now.toISOString().slice(0, 10)}.${format}`;
}

/** One record as a line of the export, newline included: the very line `airlock audit export` prints. */
export function exportLine(format: ExportFormat, record: AuditRecord): string {
  return (format === 'cef' ? toCef(record, AIRLOCK_VERSION) : toJsonLine(record)) + '\n';
}

/**
 * The sealed records of the range in seq order, as a stream that reads the next batch only when the client
 * has taken the previous one. A failure halfway errors the stream, so the download breaks off visibly rather
 * than ending as if complete.
 */
export function exportStream(db: Db, logger: Logger, request: ExportRequest): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const range = { ...(request.since ? { since: request.since } : {}), ...(request.until ? { until: request.until } : {}) };
  let afterSeq = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const batch = await readAudit(db, { afterSeq, limit: EXPORT_BATCH, ...range });
          if (batch.length === 0) {
            controller.close();
            return;
          }
          controller.enqueue(encoder.encode(batch.map((record) => exportLine(request.format, record)).join('')));
          afterSeq = batch.at(-1)!.seq;
        } catch (error) {
          logger.error({ err: error, afterSeq }, 'audit export failed');
          controller.error(error);
        }
      },
    },
    { highWaterMark: 0 },
  );
}

/** Headers of the download. */
export function exportHeaders(request: ExportRequest, now: Date): Record<string, string> {
  return {
    'content-type': CONTENT_TYPES[request.format],
    'content-disposition': `attachment; filename="${exportFileName(request.format, now)}"`,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  };
}
