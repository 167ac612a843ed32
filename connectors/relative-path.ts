/**
 * The one rule set for paths handed to a connector: relative to its root, `/`-separated. NUL bytes,
 * backslashes, absolute paths and `..` segments are refused (they could name a place outside the root);
 * empty and `.` segments are dropped. Every connector splits paths here, so the rules cannot drift.
 * Returns the segments, or the reason the path is refused (each connector words the error with its own
 * location).
 */
export function splitRelativePath(path: string): { segments: string[] } | { refused: string } {
  if (path.includes('\0')) return { refused: 'contains a NUL byte' };
  if (path.includes('\\')) return { refused: 'contains a backslash' };
  if (path.startsWith('/')) return { refused: 'is absolute' };
  const segments = path.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) return { refused: 'contains a ".." segment' };
  return { segments };
}
