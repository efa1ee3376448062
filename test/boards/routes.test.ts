/**
 * The board routes over real sockets: the list, a board rendered complete
 * from retained state (escaped, with the hub's Link header and the id to
 * resume after), the 404 and 403 pages, and the board feed: the topic
 * envelope, retained state, and resumption after the rendered id with no
 * gap and no duplicate.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PAGE_DATA_ID } from '../../src/boards/page-data.js';
import { EventSourceClient } from '../helpers/event-source.js';
import { startHub, type TestHub } from '../helpers/hub.js';

const TEMPLATE = 'https://andon.example/workplaces/{id}';
const topic = (id: string) => `https://andon.example/workplaces/${id}`;

const BOARDS = {
  hall: {
    title: 'Hall <1> & "friends"',
    topics: TEMPLATE,
    tile: { lines: [{ field: 'operator', label: 'Operator' }], since: 'since' },
    states: { Production: '#89AB0F', Downtime: '#E6AD3C', Poweroff: '#DE6B59' },
    clock: { timeZone: 'UTC', locale: 'en-GB' },
  },
};

let hub: TestHub | undefined;
const clients: EventSourceClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.source.close();
  await hub?.close();
  hub = undefined;
});

async function start(args: string[] = ['--anonymous']): Promise<TestHub> {
  hub = await startHub(args, { config: { boards: BOARDS } });
  return hub;
}

async function publish(t: TestHub, id: string, data: unknown): Promise<string> {
  const answer = await t.publish({
    topic: topic(id),
    data: typeof data === 'string' ? data : JSON.stringify(data),
  });
  expect(answer.status).toBe(200);
  return answer.body;
}

/** The page's embedded data. */
function pageData(html: string): { lastEventId: string; tiles: { key: string; title: string }[] } {
  const match = new RegExp(
    `<script type="application/json" id="${PAGE_DATA_ID}">(.*?)</script>`,
  ).exec(html);
  if (match === null) throw new Error('no page data');
  return JSON.parse(match[1]!);
}

describe('GET /boards', () => {
  it('lists the boards with links, escaped', async () => {
    const t = await start();
    const response = await fetch(`${t.base}/boards`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await response.text();
    expect(html).toContain('<a href="/boards/hall">Hall &lt;1&gt; &amp; &quot;friends&quot;</a>');
  });
});

describe('GET /boards/{name}', () => {
  it('renders every tile from retained state, sorted naturally, with the hub Link header', async () => {
    const t = await start();
    await publish(t, '10', { name: 'CNC 10', state: 'Production', operator: 'Eva' });
    await publish(t, '2', { name: 'CNC 2', state: 'Downtime', operator: 'Jan; <b>Novák</b>' });
    await publish(t, '3', { name: 'CNC 3', state: 'Poweroff' });
    await publish(t, '3', '');
    await publish(t, '4', { name: 'CNC 4', state: 'Poweroff' });
    await publish(t, '4', { deleted: true });
    await t.publish({ topic: 'https://elsewhere.example/1', data: '{"name":"not mine"}' });
    const last = await publish(t, '1', { name: 'CNC 1', state: 'Production' });

    const response = await fetch(`${t.base}/boards/hall`);
    expect(response.status).toBe(200);
    expect(response.headers.get('link')).toBe('</.well-known/mercure>; rel="mercure"');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    const keys = [
      ...html.matchAll(/<article class="tile" data-tile="([^"]+)" data-state="([^"]*)"/g),
    ].map((m) => [m[1], m[2]]);
    expect(keys).toEqual([
      [topic('1'), 'Production'],
      [topic('2'), 'Downtime'],
      [topic('10'), 'Production'],
    ]);
    expect(html).toContain('<dd>Jan; &lt;b&gt;Novák&lt;/b&gt;</dd>');
    expect(html).not.toContain('not mine');
    expect(html).toContain('data-board="hall"');
    expect(html).toContain('Production 67%');
    expect(html).toContain('Downtime 33%');
    expect(html).toContain('Poweroff 0%');
    expect(pageData(html).lastEventId).toBe(last);
    expect(html).toContain(`data-last-event-id="${last}"`);
  });

  it('renders an empty board with 0 tiles, resuming from the earliest event', async () => {
    const t = await start();
    const html = await (await fetch(`${t.base}/boards/hall`)).text();
    expect(html).toContain('0 tiles');
    expect(html).toContain('No tiles yet');
    expect(pageData(html).lastEventId).toBe('earliest');
  });

  it('keeps a </script> in the data from ending the page data', async () => {
    const t = await start();
    await publish(t, 'x', { name: '</script><script>alert(1)</script>', state: 'Production' });
    const html = await (await fetch(`${t.base}/boards/hall`)).text();
    expect(html).not.toContain('<script>alert(1)');
    expect(pageData(html).tiles[0]?.title).toBe('</script><script>alert(1)</script>');
  });

  it('answers 404 with a sentence for an unknown board', async () => {
    const t = await start();
    const response = await fetch(`${t.base}/boards/nope%3Cb%3E`);
    expect(response.status).toBe(404);
    const html = await response.text();
    expect(html).toContain('There is no board named &quot;nope%3Cb%3E&quot;; the boards are hall.');
  });

  it('answers 403 with a sentence on a hub that refuses anonymous subscribers', async () => {
    const t = await start([]);
    const page = await fetch(`${t.base}/boards/hall`);
    expect(page.status).toBe(403);
    expect(await page.text()).toContain('Start it with --anonymous');
    expect((await fetch(`${t.base}/boards/hall/events`)).status).toBe(403);
  });

  it('stops the start with the board and field of a mistake', async () => {
    await expect(
      startHub(['--anonymous'], {
        config: { boards: { hall: { ...BOARDS.hall, states: { Run: { color: '#zzz' } } } } },
      }),
    ).rejects.toThrow(/boards\.hall\.states\.Run\.color: "#zzz" is not a CSS colour/);
  });

  it('adds the demo board with --demo', async () => {
    const t = await start(['--anonymous', '--demo']);
    const html = await (await fetch(`${t.base}/boards`)).text();
    expect(html).toContain('href="/boards/demo"');
    expect((await fetch(`${t.base}/boards/demo`)).status).toBe(200);
  });
});

describe('GET /boards/{name}/events', () => {
  it('sends each update with its topic, deletions included', async () => {
    const t = await start();
    const client = new EventSourceClient(`${t.base}/boards/hall/events`);
    clients.push(client);
    await client.waitForOpen();
    await t.publish({ topic: 'https://elsewhere.example/1', data: 'not mine' });
    await publish(t, '7', { name: 'CNC 7', state: 'Downtime' });
    await publish(t, '7', '');
    const events = await client.waitForEvents(2);
    expect(events.map((e) => JSON.parse(e.data))).toEqual([
      { topic: topic('7'), data: '{"name":"CNC 7","state":"Downtime"}' },
      { topic: topic('7'), data: '' },
    ]);
  });

  it('resumes right after the rendered id: nothing missed, nothing twice', async () => {
    const t = await start();
    await publish(t, '1', { name: 'CNC 1', state: 'Production' });
    const { lastEventId } = pageData(await (await fetch(`${t.base}/boards/hall`)).text());
    const after = await publish(t, '2', { name: 'CNC 2', state: 'Downtime' });
    const client = new EventSourceClient(
      `${t.base}/boards/hall/events?retained=1&lastEventID=${encodeURIComponent(lastEventId)}`,
    );
    clients.push(client);
    const [event] = await client.waitForEvents(1);
    expect(event?.lastEventId).toBe(after);
    await publish(t, '3', { name: 'CNC 3', state: 'Poweroff' });
    const events = await client.waitForEvents(2);
    expect(events.map((e) => JSON.parse(e.data).topic)).toEqual([topic('2'), topic('3')]);
  });

  it('falls back to retained state, after a reset, for an id the hub does not know', async () => {
    const t = await start();
    await publish(t, '1', { name: 'CNC 1', state: 'Production' });
    await publish(t, '1', { name: 'CNC 1', state: 'Downtime' });
    await publish(t, '2', { name: 'CNC 2', state: 'Production' });
    const client = new EventSourceClient(
      `${t.base}/boards/hall/events?retained=1&lastEventID=gone`,
    );
    clients.push(client);
    const events = await client.waitForEvents(3);
    expect(events[0]?.type).toBe('reset');
    expect(events.slice(1).map((e) => JSON.parse(e.data))).toEqual([
      { topic: topic('1'), data: '{"name":"CNC 1","state":"Downtime"}' },
      { topic: topic('2'), data: '{"name":"CNC 2","state":"Production"}' },
    ]);
  });

  it('refuses a heartbeat the hub cannot serve', async () => {
    const t = await start();
    const response = await fetch(`${t.base}/boards/hall/events?heartbeat=10`);
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(
      /"heartbeat" must be a whole number of milliseconds of at least 1000/,
    );
  });
});
