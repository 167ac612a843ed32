import type { ProgressEvent } from '../engine/progress.js';

const WIDTH = 28;

/**
 * A one-line progress bar of bytes and files on a terminal; on a pipe it prints one line per phase
 * change instead, so logs stay readable.
 */
export function createProgressBar(out: NodeJS.WritableStream, interactive: boolean) {
  let lastPhase = '';
  let lastDraw = 0;
  return {
    update(event: ProgressEvent) {
      if (!interactive) {
        if (event.phase !== lastPhase) out.write(`${event.phase}: ${event.filesTotal} file(s)\n`);
        lastPhase = event.phase;
        return;
      }
      const now = Date.now();
      const done = event.filesDone === event.filesTotal;
      if (!done && now - lastDraw < 80 && event.phase === lastPhase) return;
      lastDraw = now;
      if (lastPhase && event.phase !== lastPhase) out.write('\n');
      lastPhase = event.phase;
      const ratio =
        event.bytesTotal > 0 ? event.bytesDone / event.bytesTotal : event.filesTotal > 0 ? event.filesDone / event.filesTotal : 1;
      const filled = Math.round(Math.min(1, ratio) * WIDTH);
      const bytes = event.bytesTotal > 0 ? ` ${formatBytes(event.bytesDone)}/${formatBytes(event.bytesTotal)}` : '';
      out.write(
        `\r${event.phase.padEnd(8)} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${event.filesDone}/${event.filesTotal} files${bytes}\x1b[K`,
      );
    },
    finish() {
      if (interactive && lastPhase) out.write('\n');
    },
  };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
