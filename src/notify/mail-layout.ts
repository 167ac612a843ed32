import { AirlockError } from '../errors.js';
import { markup, type SafeHtml } from './html.js';
import { cleanText, singleLine } from './mail-text.js';
import { MAX_SUBJECT_LENGTH } from './outbox.js';

/** A rendered mail: what `enqueueMail` takes besides the recipient. */
export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

export interface MailLink {
  label: string;
  /** An absolute http(s) URL. */
  url: string;
}

/**
 * What a mail is made of. Templates describe a mail with these blocks and `renderMail` writes both the
 * plain-text and the HTML version, escaping every piece of text, so a template cannot forget to.
 */
export type MailBlock =
  | { kind: 'paragraph'; text: string }
  /** Label and value pairs: ticket, pipeline, purpose… */
  | { kind: 'facts'; rows: readonly (readonly [label: string, value: string])[] }
  | { kind: 'list'; title: string; items: readonly string[] }
  /** Buttons in HTML, labelled URLs on their own lines in text. */
  | { kind: 'actions'; links: readonly MailLink[] };

const FOOTER = 'Sent by Airlock. Airlock mails never contain the files being transferred or any part of them.';

/** Renders a mail. Subjects are single lines; link URLs must be http(s). No images, no remote resources. */
export function renderMail(subject: string, blocks: readonly MailBlock[]): MailContent {
  const line = singleLine(subject, MAX_SUBJECT_LENGTH);
  const text = [...blocks.map(textBlock), `-- \n${FOOTER}`].join('\n\n') + '\n';
  const body = blocks.map(htmlBlock);
  const doc = markup`<!doctype html>
<html>
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${line}</title></head>
<body style="font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#1f2328;max-width:640px">
${body}<p style="color:#6e7781;font-size:12px;border-top:1px solid #d0d7de;padding-top:8px">${FOOTER}</p>
</body>
</html>
`;
  return { subject: line, text: cleanText(text), html: doc.value };
}

function textBlock(block: MailBlock): string {
  switch (block.kind) {
    case 'paragraph':
      return block.text;
    case 'facts': {
      const width = Math.max(...block.rows.map(([label]) => label.length)) + 2;
      return block.rows.map(([label, value]) => `${`${label}:`.padEnd(width)}${indentFollowing(value, width)}`).join('\n');
    }
    case 'list':
      return [`${block.title}`, ...block.items.map((item) => `  - ${indentFollowing(item, 4)}`)].join('\n');
    case 'actions':
      return block.links.map((link) => `${link.label}:\n  ${checkedUrl(link.url)}`).join('\n\n');
  }
}

function htmlBlock(block: MailBlock): SafeHtml {
  switch (block.kind) {
    case 'paragraph':
      return markup`<p style="white-space:pre-line">${block.text}</p>\n`;
    case 'facts':
      return markup`<table style="border-collapse:collapse;margin:8px 0">\n${block.rows.map(
        ([label, value]) =>
          markup`<tr><th style="${CELL};font-weight:600;padding-right:12px">${label}</th><td style="${CELL};white-space:pre-line">${value}</td></tr>\n`,
      )}</table>\n`;
    case 'list':
      return markup`<p style="margin-bottom:4px">${block.title}</p>\n<ul style="margin-top:0">${block.items.map(
        (item) => markup`<li style="white-space:pre-line">${item}</li>`,
      )}</ul>\n`;
    case 'actions':
      // Buttons, then the bare URLs for clients that show no buttons or people who copy links.
      return markup`<p>${block.links.map((link) => markup`<a href="${checkedUrl(link.url)}" style="${BUTTON}">${link.label}</a> `)}</p>
<p style="color:#6e7781;font-size:12px">${block.links.map((link) => markup`${link.label}: ${checkedUrl(link.url)}<br>`)}</p>\n`;
  }
}

const CELL = 'text-align:left;vertical-align:top;padding:2px 0';
const BUTTON =
  'display:inline-block;margin:4px 8px 4px 0;padding:8px 16px;background:#0b57d0;color:#ffffff;text-decoration:none;border-radius:4px';

/** Lines after the first of a multi-line value, indented to stay under it in plain text. */
function indentFollowing(value: string, width: number): string {
  return value.replace(/\r?\n/g, `\n${' '.repeat(width)}`);
}

/** Link targets are built by Airlock; anything but an absolute http(s) URL is a bug, never sent. */
function checkedUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
    throw new AirlockError('internal_error', 'A mail link is not an absolute http(s) URL; the mail was not written.');
  return url.href;
}
