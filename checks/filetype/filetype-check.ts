import { addAbortSignal, type Readable } from 'node:stream';
import type { Check, CheckResult, ContentScanner, Finding, InspectedItem, StreamInfo } from '../check.js';
import { detectExecutable, looksLikeText, sniffContent } from './content-sniffer.js';
import { contradictsName, declaredExtension, textTypeFromName } from './extension-rules.js';

/**
 * How much of an item is read. Every magic number file-type and this check look at sits well inside it,
 * and reading a bounded prefix keeps a multi-gigabyte item from costing more than one chunk. A zip whose
 * telling entry lies further in is reported as plain `zip`, which the naming rules accept.
 */
export const SAMPLE_BYTES = 64 * 1024;

/** Enough of an archive member to recognise native executable headers. */
const MEMBER_SAMPLE_BYTES = 4096;

/**
 * Names what an item is by its content, not its name: reports native executables (ELF, PE/MZ, Mach-O)
 * whatever they are called, and names whose extension the content contradicts. Scripts with a shebang
 * are text to this check; telling scripts apart is left to content checks.
 */
export class FiletypeCheck implements Check {
  readonly id = 'filetype';
  readonly version = '1';
  readonly description = 'Identifies file types by content; flags executables and extensions that do not match the content.';

  async inspect(item: InspectedItem, options: { signal: AbortSignal }): Promise<CheckResult> {
    const { signal } = options;
    signal.throwIfAborted();

    const sample = await readSample(item.open(), SAMPLE_BYTES, signal);
    const content = await sniffContent(sample, { isTruncated: sample.length >= SAMPLE_BYTES, signal });
    const declaredExt = declaredExtension(item.path);
    const mismatch = contradictsName(content, declaredExt, sample.length === 0);

    const findings: Finding[] = [];
    if (content.kind === 'executable') {
      findings.push(this.finding('executable', 'critical', 0.99, `${content.label} content`));
    }
    if (mismatch) {
      findings.push(this.finding('extension_mismatch', 'medium', 0.9, `${content.label} content, named .${declaredExt}`));
    }
    const named = content.kind === 'text' && content.mime === 'text/plain' ? textTypeFromName(declaredExt) : undefined;
    return { findings, type: { mime: named?.mime ?? content.mime, ext: named?.ext ?? content.ext, declaredExt, mismatch } };
  }

  /**
   * Members of archives and documents: the inspector opens them up and streams each one here, so an
   * executable packed inside a zip is reported with its entry. The item itself is covered by `inspect`.
   */
  createScanner(stream: StreamInfo): ContentScanner {
    if (stream.entry === undefined || stream.kind !== 'raw') return { write() {}, end: () => [] };
    const entry = stream.entry;
    const head: Buffer[] = [];
    let length = 0;
    return {
      write(chunk) {
        if (length >= MEMBER_SAMPLE_BYTES) return;
        head.push(Buffer.from(chunk.subarray(0, MEMBER_SAMPLE_BYTES - length)));
        length += Math.min(chunk.length, MEMBER_SAMPLE_BYTES - length);
      },
      end: () => {
        const sample = Buffer.concat(head, length);
        const executable = detectExecutable(sample, looksLikeText(sample, true));
        if (!executable) return [];
        return [{ ...this.finding('executable', 'critical', 0.99, `${executable.label} content`), location: { entry, offset: 0 } }];
      },
    };
  }

  /** These findings are about the whole file, hence offset 0. */
  private finding(detector: string, severity: Finding['severity'], confidence: number, excerpt: string): Finding {
    return { check: this.id, detector, severity, confidence, location: { offset: 0 }, excerpt };
  }
}

/**
 * Reads up to `limit` bytes from the start of `stream` and destroys it in every case (done, failed or
 * aborted), so a file descriptor never outlives the inspection.
 */
async function readSample(stream: Readable, limit: number, signal: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    addAbortSignal(signal, stream);
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      chunks.push(bytes);
      length += bytes.length;
      if (length >= limit) break;
    }
  } catch (error) {
    // Report the caller's reason (a timeout, a cancel) rather than the stream's generic AbortError.
    signal.throwIfAborted();
    throw error;
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks, Math.min(length, limit));
}
