import { Transform, type TransformCallback } from 'node:stream';

/** Closing these ends a line: paragraphs (w:p, a:p, text:p, text:h), table and sheet rows, shared strings. */
const NEWLINE_AFTER = new Set(['p', 'h', 'tr', 'row', 'si', 'table-row', 'list-item']);
/** Closing these ends a cell: a tab keeps neighbouring cells apart without joining their values. */
const TAB_AFTER = new Set(['c', 'tc', 'table-cell']);
/** Empty elements that stand for characters: line breaks, tabs, OpenDocument's spaces. */
const CHARACTER_OF: Record<string, string> = { br: '\n', cr: '\n', 'line-break': '\n', tab: '\t', s: ' ' };
const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Bounds on what is carried between chunks, so memory stays flat whatever the input. */
const MAX_NAME = 64;
const MAX_ENTITY = 12;
const MAX_PENDING_SPACE = 4096;

/** Where the parser is: in text, an entity (`&…;`), a tag (`<…>`), a comment, or a CDATA section. */
type State = 'text' | 'entity' | 'tag' | 'comment' | 'cdata';

const LT = 0x3c;
const GT = 0x3e;
const AMP = 0x26;
const SLASH = 0x2f;

/**
 * Office XML reduced to its text, streaming: tags dropped, entities decoded, the runs of a paragraph
 * joined with nothing between them (so `<w:t>4111 1111</w:t></w:r><w:r><w:t> 1111 1111</w:t>` reads as
 * one number), a newline after each paragraph or row and a tab after each cell. Whitespace-only text
 * that holds a line break is indentation between tags and is dropped. Attribute values are not text and
 * are not passed on. A tag, entity or CDATA end split across chunks is handled by a small carried state.
 */
export class OfficeTextTransform extends Transform {
  #state: State = 'text';
  /** Text-node whitespace held back until we know whether it is indentation. */
  #pendingSpace: number[] = [];
  #nodeHasText = false;
  #entity = '';
  #tagHead = '';
  #tagName = '';
  #isClosing = false;
  #nameDone = false;
  #quote = 0;
  /** Trailing `-` (comment) or `]` (CDATA) bytes seen, to recognise `-->` and `]]>` across chunks. */
  #run = 0;
  #out: number[] = [];

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    for (const byte of chunk) this.#step(byte);
    this.#flushOut();
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.#state === 'entity') this.#emitText(`&${this.#entity}`);
    if (this.#state === 'text') this.#endTextNode(true);
    this.#flushOut();
    callback();
  }

  #step(byte: number): void {
    switch (this.#state) {
      case 'text':
        return this.#text(byte);
      case 'entity':
        return this.#entityByte(byte);
      case 'tag':
        return this.#tag(byte);
      case 'comment':
        if (byte === GT && this.#run >= 2) this.#startTextNode();
        this.#run = byte === 0x2d ? this.#run + 1 : 0;
        return;
      case 'cdata':
        return this.#cdata(byte);
    }
  }

  #text(byte: number): void {
    if (byte === LT) {
      this.#endTextNode(false);
      this.#state = 'tag';
      this.#tagHead = this.#tagName = '';
      this.#isClosing = this.#nameDone = false;
      this.#quote = 0;
    } else if (byte === AMP) {
      this.#state = 'entity';
      this.#entity = '';
    } else if (!this.#nodeHasText && isSpace(byte)) {
      this.#pendingSpace.push(byte);
      if (this.#pendingSpace.length > MAX_PENDING_SPACE) this.#markText();
    } else {
      this.#markText();
      this.#out.push(byte);
    }
  }

  #entityByte(byte: number): void {
    if (byte === 0x3b) {
      this.#state = 'text';
      this.#emitText(decodeEntity(this.#entity) ?? `&${this.#entity};`);
      return;
    }
    const isEntityChar =
      (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x23;
    if (isEntityChar && this.#entity.length < MAX_ENTITY) {
      this.#entity += String.fromCharCode(byte);
      return;
    }
    // Not an entity after all: pass the ampersand and what followed it on as text.
    this.#state = 'text';
    this.#emitText(`&${this.#entity}`);
    this.#text(byte);
  }

  #tag(byte: number): void {
    if (this.#quote !== 0) {
      if (byte === this.#quote) this.#quote = 0;
      return;
    }
    if (byte === GT) return this.#endTag();
    if (this.#tagHead.length < 8) {
      this.#tagHead += String.fromCharCode(byte);
      if (this.#tagHead === '!--') {
        this.#state = 'comment';
        this.#run = 0;
        return;
      }
      if (this.#tagHead === '![CDATA[') {
        this.#state = 'cdata';
        this.#run = 0;
        return;
      }
    }
    if (byte === 0x22 || byte === 0x27) this.#quote = byte;
    else if (byte === SLASH && this.#tagName === '' && !this.#nameDone) this.#isClosing = true;
    else if (isSpace(byte) || byte === SLASH) this.#nameDone ||= this.#tagName !== '';
    else if (!this.#nameDone && this.#tagName.length < MAX_NAME) this.#tagName += String.fromCharCode(byte);
  }

  #endTag(): void {
    const name = this.#tagName.slice(this.#tagName.lastIndexOf(':') + 1);
    if (this.#isClosing) {
      if (NEWLINE_AFTER.has(name)) this.#out.push(0x0a);
      else if (TAB_AFTER.has(name)) this.#out.push(0x09);
    } else if (Object.hasOwn(CHARACTER_OF, name)) {
      this.#emitText(CHARACTER_OF[name] ?? '');
    }
    this.#startTextNode();
  }

  #cdata(byte: number): void {
    if (byte === 0x5d) {
      this.#run += 1;
      return;
    }
    if (byte === GT && this.#run >= 2) {
      this.#emitText(']'.repeat(this.#run - 2));
      this.#startTextNode();
      return;
    }
    this.#emitText(']'.repeat(this.#run));
    this.#run = 0;
    this.#out.push(byte);
  }

  #startTextNode(): void {
    this.#state = 'text';
    this.#nodeHasText = false;
    this.#pendingSpace = [];
    this.#run = 0;
  }

  /** At a tag or the end: held-back whitespace is dropped when it holds a line break (indentation). */
  #endTextNode(isEnd: boolean): void {
    const space = this.#pendingSpace;
    if (!isEnd && space.length > 0 && !space.includes(0x0a) && !space.includes(0x0d)) this.#out.push(...space);
    this.#pendingSpace = [];
  }

  #markText(): void {
    if (this.#pendingSpace.length > 0) this.#out.push(...this.#pendingSpace);
    this.#pendingSpace = [];
    this.#nodeHasText = true;
  }

  #emitText(text: string): void {
    if (text === '') return;
    this.#markText();
    for (const byte of Buffer.from(text)) this.#out.push(byte);
  }

  #flushOut(): void {
    if (this.#out.length === 0) return;
    this.push(Buffer.from(this.#out));
    this.#out = [];
  }
}

/** Streams the text of an Office XML part; see `OfficeTextTransform`. */
export function createOfficeTextStream(): OfficeTextTransform {
  return new OfficeTextTransform();
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/** `amp`, `#65`, `#x41` → the character; undefined for anything else (passed on as written). */
function decodeEntity(entity: string): string | undefined {
  if (Object.hasOwn(NAMED_ENTITIES, entity)) return NAMED_ENTITIES[entity];
  const match = /^#(?:x([0-9a-f]{1,6})|([0-9]{1,7}))$/i.exec(entity);
  if (!match) return undefined;
  const code = match[1] !== undefined ? parseInt(match[1], 16) : Number(match[2]);
  const isValid = code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
  return isValid ? String.fromCodePoint(code) : undefined;
}
