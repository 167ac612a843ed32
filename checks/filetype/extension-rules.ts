import type { SniffedContent } from './content-sniffer.js';

/**
 * When a file's name contradicts its content. The rules are written not to cry wolf: an extension we do
 * not know, or one that promises nothing (`.bin`, `.dat`), never contradicts anything; only a known
 * extension whose content is plainly something else does.
 */

/** Text formats: any of them may hold any text, so text content never contradicts them. */
const TEXT_EXTENSIONS = new Set([
  ...['txt', 'text', 'csv', 'tsv', 'json', 'jsonl', 'ndjson', 'log', 'md', 'markdown', 'rst', 'xml', 'yaml', 'toml'],
  ...['html', 'css', 'svg', 'ini', 'conf', 'cfg', 'properties', 'sql', 'rtf', 'vcf', 'ics', 'vtt', 'srt'],
  ...['ts', 'js', 'mjs', 'cjs', 'py', 'rb', 'pl', 'php', 'java', 'go', 'rs', 'c', 'h', 'cpp', 'sh', 'bash', 'ps1', 'bat'],
]);

/**
 * Zip containers. A bare `zip` detection is fine for any of them (file-type may not reach the entry that
 * tells). `.key` (Keynote) is left out: it names PEM private keys far more often.
 */
const ZIP_EXTENSIONS = new Set([
  ...['zip', 'docx', 'docm', 'dotx', 'dotm', 'xlsx', 'xlsm', 'xltx', 'xltm', 'pptx', 'pptm', 'potx', 'potm', 'ppsx', 'ppsm'],
  ...['odt', 'ods', 'odp', 'odg', 'ott', 'ots', 'otp', 'otg', 'vsdx', '3mf', 'numbers', 'pages'],
  ...['jar', 'war', 'ear', 'apk', 'epub', 'xpi'],
]);

/**
 * Compound File Binary containers: legacy Office, Outlook and Windows Installer files all detect as `cfb`.
 * Left out: `.dot`, `.pot` and `.pub`, which are as often Graphviz, gettext and SSH public keys (text).
 */
const CFB_EXTENSIONS = new Set(['cfb', 'doc', 'xls', 'xlt', 'ppt', 'pps', 'msg', 'msi', 'vsd']);

/**
 * Names that promise native executable content. Left out on purpose: `.so` (often a text linker
 * script), `.sys` (CONFIG.SYS), `.com` (DOS .com files have no magic), `.o`, `.out` and `.run` (objects
 * of other formats, logs, shell-script installers); being unknown, they contradict nothing.
 */
const EXECUTABLE_EXTENSIONS = new Set(['exe', 'dll', 'scr', 'ocx', 'cpl', 'efi', 'dylib', 'macho', 'elf']);

/** Binary formats with a reliable magic number: content without it contradicts the name. */
const BINARY_EXTENSIONS = new Set([
  ...['jpg', 'png', 'gif', 'webp', 'bmp', 'tif', 'ico', 'heic', 'avif', 'psd', 'pdf'],
  ...['gz', 'bz2', 'xz', '7z', 'rar', 'zst', 'cab', 'class', 'wasm', 'sqlite', 'parquet'],
  ...['mp4', 'mkv', 'avi', 'wav', 'flac', 'ogg', 'woff', 'woff2', 'ttf', 'otf'],
  ...ZIP_EXTENSIONS,
  ...CFB_EXTENSIONS,
  ...EXECUTABLE_EXTENSIONS,
]);

/** Spellings of one format, and container variants that share a detection; the first of each group is canonical. */
const ALIAS_GROUPS = [
  ['jpg', 'jpeg', 'jpe', 'jfif'],
  ['tif', 'tiff'],
  ['html', 'htm'],
  ['yaml', 'yml'],
  ['png', 'apng'],
  ['gz', 'tgz', 'tar.gz'],
  ['mpg', 'mpeg'],
  ['mkv', 'webm'],
  ['mp4', 'mov', 'm4a', 'm4v', 'm4b', 'm4p', 'f4v', 'f4a'],
  ['ogg', 'oga', 'ogv', 'opus', 'spx', 'ogm', 'ogx'],
];
const CANONICAL = new Map(ALIAS_GROUPS.flatMap(([first = '', ...others]) => others.map((other) => [other, first] as const)));

/** Anything longer or stranger than this after the last dot is part of a name, not an extension. */
const EXTENSION_PATTERN = /^[a-z0-9_+-]{1,16}$/;

/** The lower-case extension of a path's last segment, without the dot; '' when it has none (`.bashrc`, `Makefile`). */
export function declaredExtension(path: string): string {
  const name = path.split(/[\\/]/).pop() ?? '';
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return '';
  const ext = name.slice(dot + 1).toLowerCase();
  return EXTENSION_PATTERN.test(ext) ? ext : '';
}

/** Whether `content` contradicts a name ending in `.declaredExt`. Empty content contradicts nothing. */
export function contradictsName(content: SniffedContent, declaredExt: string, isEmpty: boolean): boolean {
  if (isEmpty || declaredExt === '') return false;
  const declared = canonical(declaredExt);
  if (!isKnown(declared)) return false;

  switch (content.kind) {
    case 'executable':
      return !EXECUTABLE_EXTENSIONS.has(declared);
    case 'text':
      return !TEXT_EXTENSIONS.has(declared);
    case 'binary':
      return !isSameFormat(canonical(content.ext), declared);
  }
}

function isSameFormat(detected: string, declared: string): boolean {
  if (detected === declared) return true;
  if (detected === 'zip' && ZIP_EXTENSIONS.has(declared)) return true;
  // MPEG transport streams share `.ts` with TypeScript, which is why `ts` is a text extension.
  if (detected === 'mts' && declared === 'ts') return true;
  if (declared === 'zip' && ZIP_EXTENSIONS.has(detected)) return true;
  return detected === 'cfb' && CFB_EXTENSIONS.has(declared);
}

function isKnown(ext: string): boolean {
  return TEXT_EXTENSIONS.has(ext) || BINARY_EXTENSIONS.has(ext);
}

function canonical(ext: string): string {
  return CANONICAL.get(ext) ?? ext;
}

/** Text formats worth naming more precisely than `text/plain` when the name says which one it is. */
const TEXT_MIME_BY_EXTENSION: Readonly<Record<string, string>> = {
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  json: 'application/json',
  jsonl: 'application/x-ndjson',
  ndjson: 'application/x-ndjson',
  md: 'text/markdown',
  markdown: 'text/markdown',
  html: 'text/html',
  htm: 'text/html',
  xml: 'application/xml',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  css: 'text/css',
  js: 'text/javascript',
  mjs: 'text/javascript',
  sql: 'application/sql',
  log: 'text/plain',
  txt: 'text/plain',
};

/**
 * For plain text, the type its name gives when that name is a text format: content cannot tell CSV from
 * prose, so a `.csv` holding text is reported as `text/csv` rather than a generic `text/plain`.
 */
export function textTypeFromName(declaredExt: string): { mime: string; ext: string } | undefined {
  const mime = TEXT_MIME_BY_EXTENSION[declaredExt];
  return mime ? { mime, ext: declaredExt } : undefined;
}
