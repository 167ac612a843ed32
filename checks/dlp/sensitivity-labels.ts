import type { ContentScanner, Finding, FindingSeverity, StreamInfo } from '../check.js';

/** custom.xml holds a handful of properties; anything past this is not read (and was never a label). */
export const MAX_CUSTOM_PROPERTIES_BYTES = 1024 * 1024;
/** A label name is shown in the excerpt up to this length. */
const MAX_NAME_LENGTH = 80;

/** Whether a stream is an Office package's custom properties part, where Microsoft Purview labels live. */
export function isCustomPropertiesPart(stream: StreamInfo): boolean {
  return stream.kind === 'raw' && stream.entry !== undefined && /(^|\/)docProps\/custom\.xml$/i.test(stream.entry);
}

/**
 * Reports the Microsoft Purview (MIP) sensitivity label of an Office document, from the
 * `MSIP_Label_<guid>_Name` custom property, unless its `MSIP_Label_<guid>_Enabled` says `false` (a label
 * that was removed). Buffers at most `MAX_CUSTOM_PROPERTIES_BYTES` and parses at the end.
 */
export class SensitivityLabelScanner implements ContentScanner {
  readonly #chunks: Buffer[] = [];
  #length = 0;

  constructor(
    private readonly checkId: string,
    private readonly stream: StreamInfo,
  ) {}

  write(chunk: Buffer): void {
    const room = MAX_CUSTOM_PROPERTIES_BYTES - this.#length;
    if (room <= 0) return;
    // Copied: a chunk is only lent for the duration of `write` (see ContentScanner).
    const kept = Buffer.from(chunk.subarray(0, room));
    this.#chunks.push(kept);
    this.#length += kept.length;
  }

  end(): Finding[] {
    const xml = Buffer.concat(this.#chunks).toString('utf8');
    this.#chunks.length = 0;
    return sensitivityLabelsOf(xml).map((name) => this.#finding(name));
  }

  #finding(name: string): Finding {
    const shown = name.length > MAX_NAME_LENGTH ? `${name.slice(0, MAX_NAME_LENGTH)}…` : name;
    return {
      check: this.checkId,
      detector: 'classification_marking',
      severity: labelSeverity(name),
      confidence: 0.95,
      location: this.stream.entry !== undefined ? { entry: this.stream.entry } : {},
      excerpt: `sensitivity label "${shown}"`,
      valueKey: this.stream.values.key('classification_marking', `label:${name.toLowerCase()}`),
      trace: { pattern: 'msip-label' },
    };
  }
}

/** "Highly Confidential" or anything secret is high, other "Confidential" labels medium, the rest low. */
export function labelSeverity(name: string): FindingSeverity {
  const lower = name.toLowerCase();
  if (lower.includes('highly confidential') || lower.includes('secret')) return 'high';
  if (lower.includes('confidential')) return 'medium';
  return 'low';
}

/**
 * The enabled label names in a custom properties part. A single forward pass over the tags (each `<`
 * is looked at once), so hostile input cannot make it backtrack; property values are the text inside
 * each `<property>` element, with entities decoded and control characters removed.
 */
export function sensitivityLabelsOf(xml: string): string[] {
  const names = new Map<string, string>();
  const disabled = new Set<string>();
  let current: { guid: string; field: string } | undefined;
  let value = '';
  for (let at = 0; ;) {
    const open = xml.indexOf('<', at);
    if (current && open !== -1) value += xml.slice(at, open);
    if (open === -1) break;
    const close = xml.indexOf('>', open);
    if (close === -1) break;
    const tag = xml.slice(open + 1, close);
    at = close + 1;
    const localName = /^\/?(?:[\w.-]+:)?([\w.-]+)/.exec(tag)?.[1];
    if (localName !== 'property') continue;
    if (tag.startsWith('/')) {
      if (current) record(current, decodeText(value));
      current = undefined;
      continue;
    }
    const name = /\bname\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(tag);
    const label = /^MSIP_Label_([^_]+)_(Name|Enabled)$/i.exec(name?.[1] ?? name?.[2] ?? '');
    current = label?.[1] && label[2] ? { guid: label[1].toLowerCase(), field: label[2].toLowerCase() } : undefined;
    value = '';
  }
  return [...names].filter(([guid]) => !disabled.has(guid)).map(([, name]) => name);

  function record(property: { guid: string; field: string }, text: string): void {
    if (property.field === 'name' && text !== '') names.set(property.guid, text);
    if (property.field === 'enabled' && text.toLowerCase() === 'false') disabled.add(property.guid);
  }
}

function decodeText(text: string): string {
  const decoded = text.replace(
    /&(?:#x([0-9a-f]{1,6})|#([0-9]{1,7})|(amp|lt|gt|quot|apos));/gi,
    (whole, hex?: string, dec?: string, named?: string) => {
      if (named) return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[named.toLowerCase()] ?? whole;
      const code = hex !== undefined ? parseInt(hex, 16) : Number(dec);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : whole;
    },
  );
  // Control characters (C0, DEL, C1) have no place in a label name shown to people.
  return [...decoded]
    .filter((c) => {
      const code = c.codePointAt(0) ?? 0;
      return code >= 0x20 && !(code >= 0x7f && code <= 0x9f);
    })
    .join('')
    .trim();
}
