/** Office Open XML (docx, xlsx, pptx) or OpenDocument (odt, ods, odp). */
export type OfficeFlavour = 'ooxml' | 'odf';

/**
 * The parts that carry a document's text. Part names are case-insensitive in OOXML, hence `i`. Other
 * parts (`docProps/custom.xml`, relationships, styles, media) are visited raw.
 */
const TEXT_PARTS: Record<OfficeFlavour, readonly RegExp[]> = {
  ooxml: [
    /^word\/(document|footnotes|endnotes|comments)\.xml$/i,
    /^word\/(header|footer)\d*\.xml$/i,
    /^xl\/sharedStrings\.xml$/i,
    /^xl\/worksheets\/sheet\d*\.xml$/i,
    /^ppt\/slides\/slide\d*\.xml$/i,
    /^ppt\/notesSlides\/[^/]+\.xml$/i,
  ],
  // OpenDocument keeps the body in content.xml and page headers and footers in styles.xml.
  odf: [/^(content|styles)\.xml$/],
};

/**
 * Recognises an Office package from its member names, fed one at a time in any order: OOXML has
 * `[Content_Types].xml` and a `word/`, `xl/` or `ppt/` part; OpenDocument has `mimetype` and `content.xml`.
 */
export class OfficeSignature {
  #contentTypes = false;
  #ooxmlPart = false;
  #mimetype = false;
  #odfContent = false;

  see(name: string): void {
    if (name === '[Content_Types].xml') this.#contentTypes = true;
    else if (/^(word|xl|ppt)\//i.test(name)) this.#ooxmlPart = true;
    else if (name === 'mimetype') this.#mimetype = true;
    else if (name === 'content.xml') this.#odfContent = true;
  }

  get flavour(): OfficeFlavour | undefined {
    if (this.#contentTypes && this.#ooxmlPart) return 'ooxml';
    if (this.#mimetype && this.#odfContent) return 'odf';
    return undefined;
  }
}

/** Whether member `name` of an Office package of `flavour` is one whose text is extracted. */
export function isOfficeTextPart(flavour: OfficeFlavour | undefined, name: string): boolean {
  return flavour !== undefined && TEXT_PARTS[flavour].some((pattern) => pattern.test(name));
}
