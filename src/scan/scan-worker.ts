// A worker thread of `airlock scan`: builds the checks from the policy once, then scans the files the
// main thread sends, one message per file. Content never crosses the thread boundary, only scan lines.
import { parentPort, workerData } from 'node:worker_threads';
import { coerceError } from '../errors.js';
import { createScanSettings, type ScanSettingsSource } from './scan-settings.js';
import { scanFile } from './scan-file.js';
import type { ScanTarget } from './scan-targets.js';

const port = parentPort;
if (!port) throw new Error('scan-worker.ts runs as a worker thread only.');
const settings = await createScanSettings(workerData as ScanSettingsSource);

port.on('message', (message: { seq: number; target: ScanTarget }) => {
  scanFile(message.target, settings).then(
    (line) => port.postMessage({ seq: message.seq, line }),
    (error: unknown) => port.postMessage({ seq: message.seq, error: coerceError(error).message }),
  );
});
port.postMessage({ ready: true });
