import type { Db } from '../db/database.js';
import type { ProgressEvent, ProgressListener } from './progress.js';

/** How often progress is written to the ticket row at most: often enough for a UI, rare enough not to load the database. */
const PERSIST_EVERY_MS = 1000;

/**
 * Adds up the bytes and files of one phase across items moving in parallel, reports every change to the
 * listener (the CLI's progress bar) and writes the latest state to the ticket, throttled.
 */
export class ProgressTracker {
  #bytes = new Map<string, number>();
  #filesDone = 0;
  #lastPersist = 0;
  #persisting: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly ticketId: string,
    private readonly phase: ProgressEvent['phase'],
    private readonly filesTotal: number,
    private readonly bytesTotal: number,
    private readonly listener?: ProgressListener,
  ) {}

  bytes(itemId: string, done: number): void {
    this.#bytes.set(itemId, done);
    this.#emit(false);
  }

  fileDone(itemId: string, size: number): void {
    this.#bytes.set(itemId, size);
    this.#filesDone++;
    this.#emit(false);
  }

  /** Reports and persists the final state of the phase. */
  async finish(): Promise<void> {
    this.#emit(true);
    await this.#persisting;
  }

  #emit(force: boolean): void {
    let bytesDone = 0;
    for (const n of this.#bytes.values()) bytesDone += n;
    const event: ProgressEvent = {
      ticketId: this.ticketId,
      phase: this.phase,
      filesDone: this.#filesDone,
      filesTotal: this.filesTotal,
      bytesDone,
      bytesTotal: this.bytesTotal,
    };
    this.listener?.(event);
    const now = Date.now();
    if (!force && now - this.#lastPersist < PERSIST_EVERY_MS) return;
    this.#lastPersist = now;
    const progress = {
      phase: event.phase,
      filesDone: event.filesDone,
      filesTotal: event.filesTotal,
      bytesDone: event.bytesDone,
      bytesTotal: event.bytesTotal,
    };
    // Chained, so writes land in order and a slow one never overtakes a newer one.
    this.#persisting = this.#persisting
      .then(() =>
        this.db
          .updateTable('tickets')
          .set({ progress: JSON.stringify(progress) })
          .where('id', '=', this.ticketId)
          .execute(),
      )
      .then(
        () => undefined,
        () => undefined,
      );
  }
}
