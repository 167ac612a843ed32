// The web console in a real browser (headless Chromium) against the real `airlock serve`: a requester asks
// for a transfer, an approver approves it from the inbox, the file arrives; markup in data stays text; the
// sign-in page works from the keyboard; pages fit a phone; signing out ends the session.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName } from '../test-store.js';
import {
  MARKUP_FILE,
  NAMES_PIPELINE,
  REVIEW_PIPELINE,
  startConsoleWorld,
  submitTransfer,
  waitForState,
  withScreenshots,
  type ConsoleWorld,
  type Person,
} from './browser-harness.js';

const TEST_LIMIT_MS = 90_000;
const XSS_PURPOSE = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
const RAW_CARD = /4111[\s-]*1111[\s-]*1111[\s-]*1111/;

describe(`the web console in Chromium (${backendName} store)`, () => {
  let world: ConsoleWorld;

  beforeAll(async () => {
    world = await startConsoleWorld();
  }, TEST_LIMIT_MS);

  afterAll(async () => {
    await world?.close();
  }, 40_000);

  /** A test whose failure comes with a screenshot of every open page. */
  function browserIt(name: string, body: () => Promise<void>): void {
    it(name, () => withScreenshots(world, name, body), TEST_LIMIT_MS);
  }

  browserIt('a requester submits, the approver approves from the inbox with masked excerpts, the file arrives', async () => {
    const requester = await world.newPerson('requester');
    await requester.signIn(world.tokens.requester);
    const ref = await submitTransfer(requester.page, REVIEW_PIPELINE, 'Quarterly card reconciliation for the auditors');
    await waitForState(requester.page, 'awaiting_approval');

    const approver = await world.newPerson('approver');
    await approver.signIn(world.tokens.approver);
    await approver.page.goto('/ui/approvals');
    const entry = approver.page
      .locator('section, article, li, tr, div, form')
      .filter({ hasText: ref })
      .filter({ has: approver.page.getByRole('button', { name: 'Approve' }) })
      .last();
    await entry.waitFor();
    const inbox = await approver.page.content();
    expect(inbox, 'the inbox shows a raw card number').not.toMatch(RAW_CARD);
    expect(await approver.page.locator('main').innerText(), 'the inbox shows no masked excerpt').toMatch(/\*{4}[\s-]?\*{4}/);

    await entry.getByLabel('Comment').fill('Checked with finance: expected card reference.');
    await entry.getByRole('button', { name: 'Approve' }).click();
    await approver.page.waitForURL((url) => url.pathname === `/ui/tickets/${ref}`);
    await approver.page.getByRole('status').first().waitFor();
    expect(await approver.page.content(), 'the ticket page shows a raw card number').not.toMatch(RAW_CARD);

    // No goto or reload here: the requester's page must notice the change by its own polling.
    await waitForState(requester.page, 'delivered');
    for (const file of ['payments.csv', 'summary.txt']) {
      const delivered = await readFile(path.join(world.workspace.dir, 'examples', 'review-outbox', file));
      expect(delivered.equals(await readFile(path.join(world.workspace.dir, 'examples', 'review-inbox', file))), file).toBe(true);
    }
    expectNoProblems(requester, approver);
  });

  browserIt('markup in a purpose and in a file name shows as text and never runs', async () => {
    const requester = await world.newPerson('requester');
    await requester.signIn(world.tokens.requester);
    await submitTransfer(requester.page, NAMES_PIPELINE, XSS_PURPOSE);
    await waitForState(requester.page, 'delivered');
    const page = requester.page;
    await page.getByText('<script>window.__xss=2</script>').first().waitFor();
    await page.locator('table').getByText(MARKUP_FILE).first().waitFor();
    expect(await page.locator('main b').filter({ hasText: 'bold' }).count(), 'the file name became a <b> element').toBe(0);
    await expectNothingRan(page);
    await page.goto('/ui/tickets');
    await expectNothingRan(page);
    expectNoProblems(requester);
  });

  browserIt('the sign-in page works from the keyboard: skip link first, then the token field, then Sign in', async () => {
    const visitor = await world.newPerson('keyboard');
    const page = visitor.page;
    await page.goto('/ui/login');
    const stops: string[] = [];
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      stops.push(await focused(page));
    }
    expect(stops[0], stops.join(' → ')).toBe('a:Skip to content');
    const field = stops.indexOf('input#token');
    expect(field, stops.join(' → ')).toBeGreaterThan(0);
    expect(stops.indexOf('button:Sign in'), stops.join(' → ')).toBeGreaterThan(field);

    // Following the skip link moves the focus past the header, to the form.
    await page.goto('/ui/login');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('input#token');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('button:Sign in');
    await page.keyboard.press('Shift+Tab');
    expect(await focused(page)).toBe('input#token');
    await page.keyboard.type(world.tokens.requester);
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => !url.pathname.startsWith('/ui/login'));
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    expectNoProblems(visitor);
  });

  browserIt('pages fit a 375 px phone and a 1280 px screen without scrolling sideways', async () => {
    const phone = { width: 375, height: 740 };
    const requester = await world.newPerson('requester-phone', { viewport: phone });
    await requester.signIn(world.tokens.requester);
    await requester.page.goto('/ui/tickets/new');
    await expectNoHorizontalScroll(requester.page);
    const ref = await submitTransfer(requester.page, REVIEW_PIPELINE, 'Phone-width check of the ticket page');
    // Awaiting approval is a resting state (nobody decides on this ticket), so the page stays put while measured.
    await waitForState(requester.page, 'awaiting_approval');
    await expectNoHorizontalScroll(requester.page);
    await requester.page.setViewportSize({ width: 1280, height: 800 });
    await expectNoHorizontalScroll(requester.page);

    const approver = await world.newPerson('approver-phone', { viewport: phone });
    await approver.signIn(world.tokens.approver);
    for (const url of ['/ui/approvals', `/ui/tickets/${ref}`]) {
      await approver.page.setViewportSize(phone);
      await approver.page.goto(url);
      await expectNoHorizontalScroll(approver.page);
      await approver.page.setViewportSize({ width: 1280, height: 800 });
      await expectNoHorizontalScroll(approver.page);
    }
    expectNoProblems(requester, approver);
  });

  browserIt('signing out ends the session: the tickets page goes back to the sign-in page', async () => {
    const requester = await world.newPerson('requester');
    await requester.signIn(world.tokens.requester);
    const page = requester.page;
    const cookies = await requester.context.cookies();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.pathname === '/ui/login');
    await page.goto('/ui/tickets');
    expect(new URL(page.url()).pathname).toBe('/ui/login');
    await page.getByLabel('API token').waitFor();
    // The old cookie is dead on the server too, not only gone from the browser.
    await requester.context.addCookies(cookies);
    await page.goto('/ui/tickets');
    expect(new URL(page.url()).pathname).toBe('/ui/login');
    expectNoProblems(requester);
  });
});

/** Neither injected handler nor script ran, and no element was made from the payload. */
async function expectNothingRan(page: Page): Promise<void> {
  expect(await page.evaluate('window.__xss'), `a payload ran on ${page.url()}`).toBeUndefined();
  expect(await page.locator('img[src="x"]').count(), `an <img> was made from data on ${page.url()}`).toBe(0);
  expect(await page.locator('script:not([src])').count(), `an inline <script> is on ${page.url()}`).toBe(0);
}

async function expectNoHorizontalScroll(page: Page): Promise<void> {
  const [scrollWidth, innerWidth] = (await page.evaluate('[document.documentElement.scrollWidth, window.innerWidth]')) as [number, number];
  expect(scrollWidth, `${page.url()} is ${scrollWidth} px wide in a ${innerWidth} px window`).toBeLessThanOrEqual(innerWidth + 1);
}

/** The focused element as `tag#id` or `tag:text`. */
function focused(page: Page): Promise<string> {
  return page.evaluate(
    '(() => { const e = document.activeElement; if (!e) return "none"; const tag = e.tagName.toLowerCase(); return e.id ? tag + "#" + e.id : tag + ":" + e.textContent.trim(); })()',
  );
}

function expectNoProblems(...people: Person[]): void {
  for (const person of people) expect(person.problems, `what ${person.label}'s pages reported`).toEqual([]);
}
