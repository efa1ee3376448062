// The home page: the server's time, live from /time, and what this page is
// receiving. Events may arrive every millisecond, so handlers only record;
// the screen is redrawn once per animation frame, and rates once per second.

const timeEl = document.getElementById('time');
const dateEl = document.getElementById('date');
const statusEl = document.getElementById('status');
const epsEl = document.getElementById('eps');
const bpsEl = document.getElementById('bps');
const countEl = document.getElementById('count');
const reconnectsEl = document.getElementById('reconnects');
const lastIdEl = document.getElementById('last-id');

const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  fractionalSecondDigits: 3,
  hour12: false,
});
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full' });
const numberFormat = new Intl.NumberFormat();

/** UTF-8 length of a string, without allocating. */
function utf8Length(text) {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Wire bytes of one received event, as the server's encoder writes it. */
function wireBytes(event) {
  let n = utf8Length(event.lastEventId) + 5; // "id: " + LF
  if (event.type !== 'message') n += utf8Length(event.type) + 8; // "event: " + LF
  for (const line of event.data.split('\n')) n += utf8Length(line) + 7; // "data: " + LF
  return n + 1; // the blank line
}

let latest = null;
let drawn = null;
let total = 0;
let reconnects = 0;
let lastId = '';
let windowEvents = 0;
let windowBytes = 0;
let windowStart = performance.now();
let hasOpened = false;

function setStatus(state, text) {
  statusEl.dataset.state = state;
  statusEl.textContent = text;
  document.body.dataset.connection = state;
}

const source = new EventSource('/time');
source.addEventListener('open', () => {
  if (hasOpened) reconnects++;
  hasOpened = true;
  setStatus('live', 'live');
});
source.addEventListener('error', () => {
  if (source.readyState === EventSource.CLOSED) {
    setStatus('closed', 'stream closed; reload to try again');
  } else if (statusEl.dataset.state !== 'reconnecting') {
    // Each failed attempt fires another error; keep the moment it was lost.
    const since = timeFormat.format(new Date()).slice(0, 8);
    setStatus('reconnecting', `connection lost at ${since}, reconnecting…`);
  }
});
source.addEventListener('time', (event) => {
  latest = event.data;
  lastId = event.lastEventId;
  total++;
  windowEvents++;
  windowBytes += wireBytes(event);
});
source.addEventListener('reset', (event) => {
  // The server no longer knew our last event id (it restarted): nothing to
  // replay for a clock, the next event brings us up to date.
  lastId = event.lastEventId;
});

function formatBytes(perSecond) {
  if (perSecond < 1024) return `${Math.round(perSecond)} B`;
  if (perSecond < 1024 * 1024) return `${(perSecond / 1024).toFixed(1)} KiB`;
  return `${(perSecond / 1024 / 1024).toFixed(2)} MiB`;
}

function draw() {
  if (latest !== drawn) {
    drawn = latest;
    const at = new Date(latest);
    timeEl.textContent = timeFormat.format(at);
    dateEl.textContent = dateFormat.format(at);
    timeEl.dataset.iso = latest;
    countEl.textContent = numberFormat.format(total);
    lastIdEl.textContent = lastId || '–';
  }
  requestAnimationFrame(draw);
}
requestAnimationFrame(draw);

setInterval(() => {
  const now = performance.now();
  const seconds = (now - windowStart) / 1000;
  epsEl.textContent = numberFormat.format(Math.round(windowEvents / seconds));
  bpsEl.textContent = formatBytes(windowBytes / seconds);
  reconnectsEl.textContent = numberFormat.format(reconnects);
  windowEvents = 0;
  windowBytes = 0;
  windowStart = now;
}, 1000);
