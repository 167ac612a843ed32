/**
 * The detectors Airlock's own checks report, and how each is named to people who are not operators.
 * A policy may refer to these ids, and to the custom detectors it declares itself; any other id in a
 * rule is a typo that would silently never match, so the policy schema refuses it.
 */
export const BUILTIN_DETECTORS = {
  credit_card: 'payment card numbers',
  iban: 'bank account numbers (IBAN)',
  us_ssn: 'US social security numbers',
  email_address: 'e-mail addresses',
  aws_access_key: 'AWS access keys',
  private_key: 'private keys',
  jwt: 'access tokens (JWT)',
  github_token: 'GitHub tokens',
  slack_token: 'Slack tokens',
  classification_marking: 'classification markings',
  executable: 'executable programs',
  extension_mismatch: 'files whose content does not match their name',
  encrypted_archive: 'encrypted archives',
  archive_bomb: 'archive bombs',
  corrupt_file: 'damaged files',
} as const satisfies Record<string, string>;

export type BuiltinDetectorId = keyof typeof BUILTIN_DETECTORS;

export const BUILTIN_DETECTOR_IDS = Object.keys(BUILTIN_DETECTORS) as readonly BuiltinDetectorId[];

/** Whether `id` is one of the built-in detectors (and not, say, `toString`). */
export function isBuiltinDetector(id: string): id is BuiltinDetectorId {
  return Object.hasOwn(BUILTIN_DETECTORS, id);
}

/** What requesters read for a detector: a plain name for built-in ones, the id itself for custom ones. */
export function detectorLabel(id: string): string {
  return isBuiltinDetector(id) ? BUILTIN_DETECTORS[id] : id;
}
