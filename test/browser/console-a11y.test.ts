// Every console page a person reaches, as Chromium renders it: one h1 and headings in order, every field
// labelled, every button and link named, table headers scoped, tables named, ids unique, nothing styled
// inline, no sideways scrolling at 375 px or 1280 px, and nothing reported on the browser console.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName } from '../test-store.js';
import { REVIEW_PIPELINE, startConsoleWorld, submitTransfer, waitForState, withScreenshots, type ConsoleWorld } from './browser-harness.js';

const TEST_LIMIT_MS = 90_000;
const PHONE = { width: 375, height: 740 };
const DESKTOP = { width: 1280, height: 800 };

/**
 * Runs in the page (as a string: the tests are compiled without the DOM library) and lists what is wrong.
 * Names are approximated from text, aria-label, aria-labelledby and title, which is how console pages name things.
 */
const AUDIT = String.raw`(() => {
  const problems = [];
  const text = (el) => (el.textContent || '').replace(/\s+/g, ' ').trim();
  const named = (el) => text(el) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.getAttribute('title');
  if (!document.documentElement.getAttribute('lang')) problems.push('<html> has no lang');
  if (!document.title.trim()) problems.push('the page has no title');
  if (document.querySelectorAll('main').length !== 1) problems.push(document.querySelectorAll('main').length + ' <main> elements');
  const h1 = document.querySelectorAll('h1').length;
  if (h1 !== 1) problems.push(h1 + ' <h1> elements');
  let last = 0;
  for (const h of document.querySelectorAll('main h1, main h2, main h3, main h4, main h5, main h6')) {
    const level = Number(h.tagName[1]);
    if (last && level > last + 1) problems.push('<' + h.tagName.toLowerCase() + '> "' + text(h) + '" follows an <h' + last + '>');
    last = level;
  }
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    if (!(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
      problems.push('unlabelled <' + el.tagName.toLowerCase() + ' name="' + (el.name || '') + '">');
  }
  for (const el of document.querySelectorAll('button, a[href], summary')) {
    if (!named(el)) problems.push('nameless <' + el.tagName.toLowerCase() + '> ' + (el.getAttribute('href') || el.getAttribute('name') || ''));
  }
  for (const th of document.querySelectorAll('th')) {
    if (!th.getAttribute('scope')) problems.push('<th> without scope: "' + text(th) + '"');
  }
  for (const table of document.querySelectorAll('table')) {
    const box = table.closest('section, article, figure, details, form') || document.querySelector('main');
    const headed = box && box.querySelector('h1, h2, h3, h4, h5, h6, summary, figcaption');
    if (!table.querySelector('caption') && !table.getAttribute('aria-label') && !table.getAttribute('aria-labelledby') && !headed)
      problems.push('a table with neither caption nor heading: "' + text(table).slice(0, 60) + '"');
  }
  const ids = new Map();
  for (const el of document.querySelectorAll('[id]')) ids.set(el.id, (ids.get(el.id) || 0) + 1);
  for (const [id, count] of ids) if (count > 1) problems.push('id "' + id + '" used ' + count + ' times');
  for (const el of document.querySelectorAll('[style]')) problems.push('inline style on <' + el.tagName.toLowerCase() + '>');
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.getAttributeNames()) if (attr.startsWith('on')) problems.push(attr + ' handler on <' + el.tagName.toLowerCase() + '>');
  }
  const first = document.querySelector('a[href], button, input:not([type=hidden]), select, textarea');
  if (!first || text(first) !== 'Skip to content') problems.push('the first focusable element is not the skip link');
  return problems;
})()`;

describe(`console pages are accessible in Chromium (${backendName} store)`, () => {
  let world: ConsoleWorld;
  let ref: string;

  beforeAll(async () => {
    world = await startConsoleWorld({ staff: true });
    // A ticket waiting for mona: ticket pages then show findings, approvals and the decision form. Waiting
    // for approval is a resting state, so the ticket page does not redraw itself while it is audited.
    await withScreenshots(world, 'a11y setup', async () => {
      const requester = await world.newPerson('requester');
      await requester.signIn(world.tokens.requester);
      ref = await submitTransfer(requester.page, REVIEW_PIPELINE, 'Accessibility check of the ticket pages');
      await waitForState(requester.page, 'awaiting_approval');
    });
  }, TEST_LIMIT_MS);

  afterAll(async () => {
    await world?.close();
  }, 40_000);

  const cases: { who: string; token: () => string | undefined; pages: () => string[] }[] = [
    { who: 'nobody', token: () => undefined, pages: () => ['/ui/login'] },
    {
      who: 'requester',
      token: () => world.tokens.requester,
      pages: () => ['/ui/tickets', '/ui/tickets/new', `/ui/tickets/${ref}`, '/ui/outbox', '/ui/account'],
    },
    {
      who: 'approver',
      token: () => world.tokens.approver,
      pages: () => ['/ui/approvals', '/ui/tickets', `/ui/tickets/${ref}`, '/ui/outbox'],
    },
    {
      who: 'operator, auditor and admin',
      token: () => world.tokens.staff,
      pages: () => ['/ui/operations', '/ui/overview', '/ui/audit', '/ui/tickets', `/ui/tickets/${ref}`, '/ui/outbox'],
    },
  ];

  for (const { who, token, pages } of cases) {
    const name = `pages for ${who} pass the audit at 1280 px and 375 px`;
    it(
      name,
      () =>
        withScreenshots(world, name, async () => {
          const person = await world.newPerson(who);
          const secret = token();
          if (secret) await person.signIn(secret);
          const found: string[] = [];
          for (const url of pages()) {
            for (const viewport of [DESKTOP, PHONE]) {
              await person.page.setViewportSize(viewport);
              const response = await person.page.goto(url);
              const where = `${url} at ${viewport.width} px`;
              if (response?.status() !== 200) found.push(`${where}: status ${response?.status()}`);
              found.push(...(await audit(person.page)).map((problem) => `${where}: ${problem}`));
            }
          }
          found.push(...person.problems);
          expect(found).toEqual([]);
        }),
      TEST_LIMIT_MS,
    );
  }
});

/** The audit's findings plus sideways scrolling (the layout must fit the window). */
async function audit(page: Page): Promise<string[]> {
  const problems = (await page.evaluate(AUDIT)) as string[];
  const [scrollWidth, innerWidth] = (await page.evaluate('[document.documentElement.scrollWidth, window.innerWidth]')) as [number, number];
  if (scrollWidth > innerWidth + 1) problems.push(`scrolls sideways: ${scrollWidth} px wide in a ${innerWidth} px window`);
  return problems;
}
