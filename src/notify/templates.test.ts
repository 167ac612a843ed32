// The mail templates: what each says, that user text is escaped in HTML and kept out of headers, that
// review mails show only masked excerpts, and that no mail loads anything remote.
import { describe, expect, it } from 'vitest';
import { maskCardNumber } from '../../checks/patterns/masking.js';
import { TEST_CARDS } from '../../test/sample-values.js';
import { escapeHtml, markup } from './html.js';
import {
  acknowledgement,
  decided,
  escalationNotice,
  expired,
  reminder,
  reviewRequest,
  type BlindReview,
  type TicketFacts,
} from './templates.js';

const ticket: TicketFacts = {
  ref: 'T-000042',
  pipeline: 'hr-export',
  purpose: 'Quarterly payroll for the auditors',
  requester: 'alice',
  state: 'awaiting_approval',
};
const links = {
  approveUrl: 'https://airlock.example.org/links/approve-token',
  rejectUrl: 'https://airlock.example.org/links/reject-token',
};
const deadline = new Date('2030-05-04T14:30:00Z');
const card = TEST_CARDS[0];
const maskedCard = maskCardNumber(new TextEncoder().encode(card), 0, card.length, card.length);

const review: BlindReview = {
  detectors: [
    { label: 'payment card numbers', count: 1, excerpts: [maskedCard] },
    { label: 'e-mail addresses', count: 7, excerpts: ['j***@example.com', 'k***@example.com', 'l***@example.com', 'm***@example.com'] },
  ],
  files: [
    { name: 'payroll.csv', type: 'text/csv', size: 12_600_000, sha256: 'a'.repeat(64) },
    { name: 'notes.txt', type: null, size: null, sha256: null },
  ],
  destination: 'sftp',
  policy: 'default@3f2a9c',
  rule: 'pci-review',
  reasons: ['payment card numbers found (1)'],
};

describe('mail templates', () => {
  it('acknowledgement tells the requester what was asked, what happens next, and links to a human', () => {
    const mail = acknowledgement({ ticket, talkToHumanUrl: 'https://airlock.example.org/links/escalate-token' });
    expect(mail.subject).toBe('[Airlock T-000042] Request received: hr-export');
    for (const fact of ['T-000042', 'hr-export', 'Quarterly payroll for the auditors', 'awaiting_approval', 'What happens next'])
      expect(mail.text).toContain(fact);
    expect(mail.text).toContain('Talk to a human:\n  https://airlock.example.org/links/escalate-token\n');
    expect(mail.html).toContain('<a href="https://airlock.example.org/links/escalate-token"');
  });

  it('escapes a <script> in the purpose in HTML, and keeps it readable as text', () => {
    const purpose = '<script>alert("x")</script> & <img src=https://evil.example/p.png>';
    const mail = acknowledgement({ ticket: { ...ticket, purpose }, talkToHumanUrl: 'https://airlock.example.org/h' });
    expect(mail.html).not.toMatch(/<script|<img/i);
    expect(mail.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=https://evil.example/p.png&gt;');
    expect(mail.text).toContain(purpose);
  });

  it('keeps subjects on one line whatever the pipeline name holds', () => {
    const mail = reviewRequest({ ticket: { ...ticket, pipeline: 'x\r\nBcc: eve@example.com' }, to: 'approver', review, links, deadline });
    expect(mail.subject).toBe('[Airlock T-000042] Review needed: x Bcc: eve@example.com');
  });

  it('removes bidirectional overrides and control characters from user text', () => {
    const mail = acknowledgement({
      ticket: { ...ticket, purpose: 'invoice\u202Egpj.exe\u0007\u001b[2J' },
      talkToHumanUrl: 'https://a.example/h',
    });
    expect(mail.text).toContain('invoicegpj.exe[2J');
    for (const char of ['\u202e', '\u0007', '\u001b']) expect(mail.text).not.toContain(char);
  });

  it('review request to an approver: the blind summary, Approve and Reject, and the deadline', () => {
    const mail = reviewRequest({ ticket, to: 'approver', review, links, deadline });
    expect(mail.subject).toBe('[Airlock T-000042] Review needed: hr-export');
    for (const fact of [
      'payment card numbers: 1 found',
      'e-mail addresses: 7 found',
      'payroll.csv (text/csv, 12.6 MB)',
      `sha256 ${'a'.repeat(64)}`,
    ])
      expect(mail.text).toContain(fact);
    for (const fact of [
      'notes.txt (type unknown, size unknown)',
      'sftp',
      'default@3f2a9c',
      'pci-review',
      'payment card numbers found (1)',
      '2030-05-04 14:30 UTC',
    ])
      expect(mail.text).toContain(fact);
    expect(mail.text).toContain(`Approve:\n  ${links.approveUrl}`);
    expect(mail.text).toContain(`Reject:\n  ${links.rejectUrl}`);
    expect(mail.text).toContain('opening it alone changes nothing');
    // At most three excerpts per detector.
    expect(mail.text).toContain('j***@example.com, k***@example.com, l***@example.com');
    expect(mail.text).not.toContain('m***@example.com');
  });

  it('review request to the requester asks to Confirm or Stop', () => {
    const mail = reviewRequest({ ticket, to: 'requester', review, links, deadline });
    expect(mail.subject).toBe('[Airlock T-000042] Please confirm your transfer: hr-export');
    expect(mail.text).toContain(`Confirm:\n  ${links.approveUrl}`);
    expect(mail.text).toContain(`Stop:\n  ${links.rejectUrl}`);
    expect(mail.html).toMatch(/>Confirm<\/a>/);
    expect(mail.text).not.toContain('Approve');
  });

  it('shows a card number only in the masked form it was given', () => {
    expect(maskedCard).toMatch(/^\d{4}\*+\d{4}$/);
    const mail = reviewRequest({ ticket, to: 'approver', review, links, deadline });
    for (const body of [mail.subject, mail.text, mail.html]) {
      expect(body.replace(/\D/g, '')).not.toContain(card);
      expect(body).not.toContain(card.slice(4, 12));
    }
    expect(mail.text).toContain(maskedCard);
    expect(mail.html).toContain(escapeHtml(maskedCard));
  });

  it('reminder, escalation notice, expiry and decision say what happened', () => {
    const nudge = reminder({ ticket, to: 'approver', links, deadline, reminder: 2 });
    expect(nudge.subject).toBe('[Airlock T-000042] Reminder 2: review needed');
    expect(nudge.text).toContain(`Approve:\n  ${links.approveUrl}`);

    const escalation = escalationNotice({
      ticket,
      severity: 'high',
      reason: 'the requester asked to talk to a human',
      slaDueAt: deadline,
      assignee: 'olivia',
    });
    expect(escalation.subject).toBe('[Airlock T-000042] Escalated (high): hr-export');
    expect(escalation.text).toMatch(/Respond by: +2030-05-04 14:30 UTC/);
    expect(escalation.text).toMatch(/Assigned to: +olivia/);

    const expiry = expired({ ticket, deadline });
    expect(expiry.subject).toBe('[Airlock T-000042] Expired, nothing delivered: hr-export');
    expect(expiry.text).toContain('nothing was delivered');

    const approved = decided({ ticket, outcome: 'approved', by: ['alice', 'bob'], comment: 'ok <b>go</b>' });
    expect(approved.subject).toBe('[Airlock T-000042] Approved: hr-export');
    expect(approved.text).toMatch(/Decided by: +alice, bob/);
    expect(approved.html).toContain('ok &lt;b&gt;go&lt;/b&gt;');
    expect(decided({ ticket, outcome: 'rejected', by: ['bob'] }).text).toContain('was rejected; nothing was delivered');
  });

  it('loads nothing remote: no images, no sources, no stylesheets, only the given links', () => {
    const mails = [
      acknowledgement({ ticket, talkToHumanUrl: 'https://airlock.example.org/h' }),
      reviewRequest({ ticket, to: 'approver', review, links, deadline }),
      reminder({ ticket, to: 'requester', links, deadline, reminder: 1 }),
      escalationNotice({ ticket, severity: 'high', reason: 'r', slaDueAt: deadline }),
      expired({ ticket, deadline }),
      decided({ ticket, outcome: 'rejected', by: ['bob'] }),
    ];
    for (const mail of mails) {
      expect(mail.html).not.toMatch(/<img|<link|<script|src=|url\(/i);
      for (const [, href] of mail.html.matchAll(/href="([^"]*)"/g)) expect(href).toMatch(/^https:\/\/airlock\.example\.org\//);
      expect(mail.subject).not.toMatch(/[\r\n]/);
    }
  });

  it('escapes a link URL in its attribute and refuses anything but http(s)', () => {
    const mail = acknowledgement({ ticket, talkToHumanUrl: 'https://airlock.example.org/h?x="><script>' });
    expect(mail.html).not.toContain('"><script>');
    expect(() => acknowledgement({ ticket, talkToHumanUrl: 'javascript:alert(1)' })).toThrow(/http\(s\)/);
  });

  it('markup`` escapes interpolated text but not nested fragments', () => {
    expect(markup`<p>${'<b>'}${markup`<i>${'&'}</i>`}${[markup`<br>`, '"']}${undefined}</p>`.value).toBe(
      '<p>&lt;b&gt;<i>&amp;</i><br>&quot;</p>',
    );
  });
});
