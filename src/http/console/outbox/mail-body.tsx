import { ACTION_LINK_TOKEN_MARK } from '../../../approvals/action-links.js';

/**
 * URLs (to the next space) and bare action-link tokens in a mail's text. A URL holding a token is an action
 * link (`<publicUrl>/a/alink_…`, see src/approvals/review-task.ts); a token outside a URL is treated the same.
 */
const URL_OR_TOKEN = new RegExp(`https?://[^\\s"'<>]+|${ACTION_LINK_TOKEN_MARK}[A-Za-z0-9_-]+`, 'g');

/** The pieces of a mail body: plain text, or an action link (a URL or a bare token). */
export type BodyPart = { text: string } | { link: string };

export function splitActionLinks(text: string): BodyPart[] {
  const parts: BodyPart[] = [];
  let at = 0;
  for (const match of text.matchAll(URL_OR_TOKEN)) {
    if (!match[0].includes(ACTION_LINK_TOKEN_MARK)) continue;
    if (match.index > at) parts.push({ text: text.slice(at, match.index) });
    parts.push({ link: match[0] });
    at = match.index + match[0].length;
  }
  if (at < text.length) parts.push({ text: text.slice(at) });
  return parts;
}

/**
 * A mail's plain-text body. Action links are single-use keys: whoever holds one can answer as the mail's
 * recipient, so only the recipient sees them (as links they can follow on a deployment without SMTP);
 * anyone else reading the outbox sees `[action link for <recipient>]` in their place.
 */
export function MailBody(props: { text: string; recipient: string; isRecipient: boolean }) {
  return (
    <pre class="mail-body">
      {splitActionLinks(props.text).map((part) => {
        if ('text' in part) return part.text;
        if (!props.isRecipient) return <span class="action-link-hidden">{`[action link for ${props.recipient}]`}</span>;
        return part.link.startsWith('http') ? <a href={part.link}>{part.link}</a> : part.link;
      })}
    </pre>
  );
}
