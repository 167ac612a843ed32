import type { Check, ContentScanner, StreamInfo } from '../check.js';
import { compileAllowList, compileCustomDetectors, type PatternsCheckConfig } from './patterns-check-config.js';
import { PatternsScanner, type ScannerSetup } from './patterns-scanner.js';

/**
 * Finds sensitive values in content by their shape and checksum: payment cards (Luhn, issuer prefix),
 * IBANs (country length, mod 97), US SSNs (SSA rules), e-mail addresses, AWS access keys, private keys,
 * JWTs (decoded header), GitHub and Slack tokens, and the custom detectors a policy declares. Streaming
 * only: the inspector feeds it each stream's bytes once, alongside every other scanner.
 */
export class PatternsCheck implements Check {
  readonly id = 'patterns';
  readonly version = '1';
  readonly description = 'Finds card numbers, IBANs, SSNs, e-mail addresses, keys and tokens, and custom patterns, in content.';
  readonly #setup: ScannerSetup;

  /** Compiles `config` now, so a bad custom detector fails when the policy loads (`policy_invalid`). */
  constructor(config: PatternsCheckConfig = {}) {
    this.#setup = Object.freeze({
      custom: Object.freeze(compileCustomDetectors(config.custom ?? [])),
      allow: compileAllowList(config.allow),
    });
  }

  createScanner(stream: StreamInfo): ContentScanner {
    return new PatternsScanner(stream, this.#setup);
  }
}
