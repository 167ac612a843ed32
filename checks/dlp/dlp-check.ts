import type { Check, ContentScanner, Finding, StreamInfo } from '../check.js';
import { MarkingScanner } from './marking-scanner.js';
import { SensitivityLabelScanner, isCustomPropertiesPart } from './sensitivity-labels.js';

/**
 * Data-loss prevention: finds classification markings (TOP SECRET, SECRET, CONFIDENTIAL, RESTRICTED as
 * upper-case whole words) in any stream, and Microsoft Purview sensitivity labels in an Office document's
 * custom properties. Streaming only: it sees every stream the inspector opens, archive members and
 * document text included. Findings quote the marking or label, never the surrounding content.
 */
export class DlpCheck implements Check {
  readonly id = 'dlp';
  readonly version = '1';
  readonly description = 'Finds classification markings (TOP SECRET, SECRET, CONFIDENTIAL, RESTRICTED) and Office sensitivity labels.';

  createScanner(stream: StreamInfo): ContentScanner {
    const scanners: ContentScanner[] = [new MarkingScanner(this.id, stream)];
    if (isCustomPropertiesPart(stream)) scanners.push(new SensitivityLabelScanner(this.id, stream));
    return {
      write: (chunk) => {
        for (const scanner of scanners) scanner.write(chunk);
      },
      end: (): Finding[] => scanners.flatMap((scanner) => scanner.end()),
    };
  }
}
