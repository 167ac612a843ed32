import { formatByteSize } from '../policy/byte-size.js';
import type { MailBlock } from './mail-layout.js';
import { singleLine } from './mail-text.js';

/**
 * What a reviewer is shown instead of the data: what was found and how much, masked excerpts, what the
 * files are, where they would go and why the policy asked. Built by the caller from stored findings,
 * items and the decision; the excerpts are the masked ones the checks stored (`4111 **** **** 1111`).
 */
export interface BlindReview {
  /** Per detector: its label, how many distinct values were found, and a few masked excerpts. */
  detectors: readonly { label: string; count: number; excerpts: readonly string[] }[];
  /** Per file: its name as reviewers may see it (its hash when the pipeline redacts names), type, size, sha256. */
  files: readonly { name: string; type: string | null; size: number | null; sha256: string | null }[];
  /** The kind of destination (`local`, `s3`, `sftp`), never where exactly or with which credentials. */
  destination: string;
  /** The policy and its version, `default@3f2a…`. */
  policy: string;
  /** The rule that asked for a review, and its reasons. */
  rule: string;
  reasons: readonly string[];
}

/** Bounds that keep a review mail readable however large the ticket. */
const MAX_EXCERPTS = 3;
const MAX_EXCERPT_LENGTH = 80;
const MAX_FILES = 20;

/** The review as mail blocks: findings, then files, then the decision that asked for people. */
export function blindReviewBlocks(review: BlindReview): MailBlock[] {
  const findings =
    review.detectors.length === 0
      ? ['nothing detected (the rule asked for a review for another reason)']
      : review.detectors.map((d) => {
          const excerpts = d.excerpts.slice(0, MAX_EXCERPTS).map((e) => singleLine(e, MAX_EXCERPT_LENGTH));
          return `${d.label}: ${d.count} found${excerpts.length > 0 ? `, e.g. ${excerpts.join(', ')}` : ''}`;
        });
  const files = review.files.slice(0, MAX_FILES).map((f) => {
    const facts = [f.type ?? 'type unknown', f.size === null ? 'size unknown' : formatByteSize(f.size)];
    return `${singleLine(f.name, 200)} (${facts.join(', ')})${f.sha256 ? `\nsha256 ${f.sha256}` : ''}`;
  });
  if (review.files.length > MAX_FILES) files.push(`and ${review.files.length - MAX_FILES} more`);
  return [
    { kind: 'list', title: 'What the checks found (excerpts are masked):', items: findings },
    { kind: 'list', title: `Files (${review.files.length}):`, items: files },
    {
      kind: 'facts',
      rows: [
        ['Destination', review.destination],
        ['Policy', review.policy],
        ['Rule', review.rule],
        ['Why', review.reasons.length > 0 ? review.reasons.join('\n') : '(no reason given)'],
      ],
    },
  ];
}
