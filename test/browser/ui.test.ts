/**
 * The hub's debug page (/.well-known/mercure/ui/) in Chromium, against a real
 * `andon serve --jwt-key K --anonymous`: subscribe with a URI template,
 * publish from the page's own form, and read the update back, exactly, in the
 * page's log; refusals are shown with the hub's reason; a private update does
 * not reach an anonymous subscriber but does reach one whose token covers it.
 * Screenshots go to test-artifacts/ui-*.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, onTestFinished, test } from 'vitest';
import { signToken } from '../../src/mercure/auth.js';
import { type AndonProcess, REPO_ROOT, startAndon } from '../helpers/andon-process.js';
import { launchBrowser } from '../helpers/browser.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const VIEWPORT = { width: 1280, height: 800 };
const KEY = 'ui-test-secret-that-is-long-enough-for-hs256!';
const UI_PATH = '/.well-known/mercure/ui/';
const TEMPLATE = 'https://example.com/books/{id}';
const BOOK = 'https://example.com/books/1';
/** How long a step in the page (connect, publish, receive) may take before the test fails. */
const STEP_TIMEOUT_MS = 5000;

/** One entry of the page's event log, as shown. */
interface LoggedEvent {
  readonly id: string;
  readonly type: string;
  readonly data: string;
}

/** What `#pub-result` shows. */
interface PublishResult {
  readonly status: string | null;
  readonly ok: string | null;
  readonly statusLine: string;
  readonly body: string;
}

let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

async function startHub(): Promise<AndonProcess> {
  const server = await startAndon({ args: ['--jwt-key', KEY, '--anonymous'] });
  onTestFinished(() => server.kill().then(() => undefined));
  return server;
}

/** Opens the debug page in a fresh context; uncaught page errors fail the test. */
async function openUi(server: AndonProcess): Promise<Page> {
  const context = await browser.newContext({ viewport: VIEWPORT, locale: 'en-US' });
  onTestFinished(() => context.close());
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  onTestFinished(() => {
    expect(errors, 'uncaught errors in the page').toEqual([]);
  });
  await page.goto(new URL(UI_PATH, server.url).href);
  return page;
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** Fills the subscribe panel, clicks Connect and waits for the stream to open. */
async function subscribe(
  page: Page,
  options: { selector: string; token?: string; lastEventId?: string; types?: string },
): Promise<void> {
  await page.fill('#topics input[name=topic]', options.selector);
  await page.fill('#sub-token', options.token ?? '');
  await page.fill('#last-event-id', options.lastEventId ?? '');
  await page.fill('#event-types', options.types ?? '');
  await page.click('#connect');
  await page.waitForSelector('#state[data-state=open]', { timeout: STEP_TIMEOUT_MS });
}

/** Fills the publish panel, clicks Publish and returns what the page shows of the answer. */
async function publish(
  page: Page,
  fields: {
    data: string;
    token?: string;
    topics?: string;
    id?: string;
    type?: string;
    crlf?: boolean;
    private?: boolean;
  },
): Promise<PublishResult> {
  await page.fill('#pub-topics', fields.topics ?? BOOK);
  await page.fill('#pub-data', fields.data);
  await page.fill('#pub-token', fields.token ?? '');
  await page.fill('#pub-id', fields.id ?? '');
  await page.fill('#pub-type', fields.type ?? '');
  await page.setChecked('#pub-crlf', fields.crlf ?? false);
  await page.setChecked('#pub-private', fields.private ?? false);
  await page.click('#publish');
  // The page clears #pub-result when the request leaves, so this is the new answer.
  const result = page.locator('#pub-result');
  await page.waitForSelector('#pub-result[data-status]:not([hidden])', {
    timeout: STEP_TIMEOUT_MS,
  });
  return {
    status: await result.getAttribute('data-status'),
    ok: await result.getAttribute('data-ok'),
    statusLine: (await result.locator('.status-line').textContent()) ?? '',
    body: (await result.locator('.body').textContent()) ?? '',
  };
}

/** Waits until the log holds `count` events, then returns them, newest first. */
async function waitForEvents(page: Page, count: number): Promise<LoggedEvent[]> {
  const items = page.locator('#events [data-event]');
  await items.nth(count - 1).waitFor({ timeout: STEP_TIMEOUT_MS });
  const events: LoggedEvent[] = [];
  for (const item of await items.all()) {
    events.push({
      id: (await item.locator('.id').textContent()) ?? '',
      type: (await item.locator('.type').textContent()) ?? '',
      data: (await item.locator('.data').textContent()) ?? '',
    });
  }
  return events;
}

test('publishes from the page and shows the update, exactly, in the event log', async () => {
  const server = await startHub();
  const token = await signToken({ key: KEY, publish: ['*'] });
  const page = await openUi(server);
  expect(await page.title()).toMatch(/Mercure/);
  expect(await page.locator('#topics input[name=topic]').inputValue()).toBe('*');

  await subscribe(page, { selector: TEMPLATE, types: 'book.updated' });
  const hub = new URL('/.well-known/mercure', server.url);
  hub.searchParams.append('topic', TEMPLATE);
  expect(await page.textContent('#sub-url')).toBe(hub.href);
  expect(await page.textContent('#state')).toBe('open (readyState 1)');

  // A text area normalises every line break to LF (HTML's value setter), so
  // the CR LF pair is sent by ticking "line breaks as CRLF": the body then
  // carries line 1 CR LF line 2 CR LF line 3.
  const typed = 'line 1\nline 2\r\nline 3';
  await page.fill('#pub-data', typed);
  expect(await page.inputValue('#pub-data')).toBe('line 1\nline 2\nline 3');
  const sent = page.waitForRequest((request) => request.method() === 'POST');
  const first = await publish(page, { data: typed, token, crlf: true });
  expect(new URLSearchParams((await sent).postData() ?? '').get('data')).toBe(
    'line 1\r\nline 2\r\nline 3',
  );
  expect(first).toMatchObject({ status: '200', ok: 'true' });
  expect(first.statusLine).toMatch(/^200 OK in \d+ ms$/);
  expect(first.body).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);

  // SSE splits data on CR LF, CR and LF alike and joins the lines with LF.
  const [received] = await waitForEvents(page, 1);
  expect(received).toEqual({ id: first.body, type: 'message', data: 'line 1\nline 2\nline 3' });
  expect(await page.textContent('#event-count')).toBe('1');

  // A named type the user asked to listen for, with the publisher's own id;
  // blank lines and indentation inside the data survive.
  const data = '{\n  "title": "Dune",\n\n  "price": 9\n}';
  const second = await publish(page, { data, token, id: 'book-1-v2', type: 'book.updated' });
  expect(second).toMatchObject({ status: '200', ok: 'true', body: 'book-1-v2' });
  const events = await waitForEvents(page, 2);
  expect(events[0]).toEqual({ id: 'book-1-v2', type: 'book.updated', data });
  expect(events[1]).toEqual(received);
  expect(await page.textContent('#event-count')).toBe('2');
  await screenshot(page, 'ui-published');

  await page.click('#clear');
  expect(await page.locator('#events [data-event]').count()).toBe(0);
  expect(await page.textContent('#event-count')).toBe('0');
  await page.click('#disconnect');
  expect(await page.getAttribute('#state', 'data-state')).toBe('closed');
});

test('shows the 401 and its reason when publishing without a token', async () => {
  const server = await startHub();
  const page = await openUi(server);

  const refused = await publish(page, { data: 'no token' });
  expect(refused).toMatchObject({ status: '401', ok: 'false' });
  expect(refused.statusLine).toMatch(/^401 Unauthorized in \d+ ms$/);
  // The body is shown as sent: the hub's one sentence, ending with a newline.
  expect(refused.body).toMatch(/^Publishing needs a token: .+\.\n$/);
  expect(await page.isVisible('#pub-result')).toBe(true);
  await screenshot(page, 'ui-refused');
});

test('keeps a private update from an anonymous subscriber, and shows it to an entitled one', async () => {
  const server = await startHub();
  const publisher = await signToken({ key: KEY, publish: ['*'] });
  const page = await openUi(server);

  await subscribe(page, { selector: TEMPLATE });
  const secret = await publish(page, {
    data: 'private: for subscribers with a claim',
    token: publisher,
    private: true,
  });
  expect(secret).toMatchObject({ status: '200', ok: 'true' });
  const open = await publish(page, { data: 'public: for everyone', token: publisher });
  expect(open).toMatchObject({ status: '200', ok: 'true' });

  // Updates reach a subscriber in the order they were published, so once the
  // public one is shown the private one would already be there.
  const anonymous = await waitForEvents(page, 1);
  expect(anonymous).toEqual([{ id: open.body, type: 'message', data: 'public: for everyone' }]);
  await screenshot(page, 'ui-private-anonymous');

  // With a subscribe claim covering the topic, and replaying from the start,
  // both arrive, newest first in the log.
  const subscriber = await signToken({ key: KEY, subscribe: [TEMPLATE] });
  await page.click('#disconnect');
  await page.click('#clear');
  await subscribe(page, { selector: TEMPLATE, token: subscriber, lastEventId: 'earliest' });
  const url = new URL((await page.textContent('#sub-url')) ?? '');
  expect(url.searchParams.get('authorization')).toBe(subscriber);
  expect(url.searchParams.get('lastEventID')).toBe('earliest');
  expect(await waitForEvents(page, 2)).toEqual([
    { id: open.body, type: 'message', data: 'public: for everyone' },
    { id: secret.body, type: 'message', data: 'private: for subscribers with a claim' },
  ]);
  await screenshot(page, 'ui-private-entitled');
});

test('explains a refused subscription with the hub’s reason', async () => {
  const server = await startHub();
  const page = await openUi(server);

  await page.fill('#sub-token', 'not-a-token');
  await page.click('#connect');
  // A refusal closes the EventSource for good: readyState 2.
  await page.waitForSelector('#state[data-state=error][data-ready-state="2"]', {
    timeout: STEP_TIMEOUT_MS,
  });
  await page.waitForSelector('#sub-refusal:not(:empty)', { timeout: STEP_TIMEOUT_MS });
  expect(await page.textContent('#sub-refusal')).toMatch(/^The hub answered 401: .+\.$/);
  expect(await page.textContent('#state')).toBe('error (readyState 2)');
  // Closed for good, so Connect is offered again.
  expect(await page.isEnabled('#connect')).toBe(true);
  expect(await page.isDisabled('#disconnect')).toBe(true);
  await screenshot(page, 'ui-subscribe-refused');
});
