// A worker thread of `airlock scan`: builds the checks from the policy once, then scans the files the
// main thread sends, one message per file. Content never crosses the thread boundary, only scan lines.
import { parentPort, workerData } from 'node:worker_threads';
import { coerceError } from '../errors.js';
import { createScanSettings, type ScanSettingsSource } from './scan-settings.js';
import { scanFile } from './scan-file.js';
import type { ScanTarget } from './scan-targets.js';

const port = parentPort;
if (!port) throw new Error('scan-worker.ts runs as a worker thread only.');
let settings: Awaited<ReturnType<typeof createScanSettings>>;
try {
  settings = await createScanSettings(workerData as ScanSettingsSource);
} catch (error) {
  // An invalid policy or detector: reported to the main thread as our error, with its code intact.
  const failure = coerceError(error);
  port.postMessage({ ready: false, code: failure.code, message: failure.message });
  process.exit(0);
}

port.on('message', (message: { seq: number; target: ScanTarget }) => {
  scanFile(message.target, settings).then(
    (line) => port.postMessage({ seq: message.seq, line }),
    (error: unknown) => port.postMessage({ seq: message.seq, error: coerceError(error).message }),
  );
});
port.postMessage({ ready: true });
