/**
 * Cleaning of the text that goes into a mail. Header values (subject, display names) are made single
 * lines, so no user-supplied text can end a header and start another (RFC 5322 header injection); body
 * text keeps its line breaks but loses control characters and bidirectional overrides, which could make
 * a purpose or a file name display as something other than what it is.
 */

/** Control characters (C0, DEL, C1) but tab and line feed, and the Unicode line and paragraph separators. */
const BODY_CONTROLS = /(?![\t\n])[\p{Cc}\u2028\u2029]/gu;
/** Every control character, line breaks included, for text that must stay on one line. */
const LINE_CONTROLS = /[\p{Cc}\u2028\u2029]/gu;
/** Bidirectional embeddings, overrides and isolates (the "Trojan Source" characters). */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;

/** One line of at most `maxLength` characters: controls (CR and LF among them) become spaces, runs of space one. */
export function singleLine(value: string, maxLength: number): string {
  const line = value.replace(LINE_CONTROLS, ' ').replace(BIDI_CONTROLS, '').replace(/\s+/g, ' ').trim();
  const chars = Array.from(line);
  return chars.length <= maxLength ? line : `${chars.slice(0, Math.max(0, maxLength - 1)).join('')}…`;
}

/** Body text: CRLF and CR become LF, other controls and bidi overrides are removed. */
export function cleanText(value: string): string {
  return value.replace(/\r\n?/g, '\n').replace(BODY_CONTROLS, '').replace(BIDI_CONTROLS, '');
}
