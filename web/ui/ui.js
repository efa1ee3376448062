// The hub's debug page: subscribe with an EventSource, log what arrives, and
// publish with fetch. Everything received or answered is shown with
// textContent, never parsed as HTML: updates and refusals are untrusted text.

/**
 * The hub is this page's parent directory: the page is served at
 * /.well-known/mercure/ui/, the hub at /.well-known/mercure. Resolving it
 * relatively keeps the page working behind a proxy that adds a path prefix.
 */
const HUB_URL = new URL('..', window.location.href).href.replace(/\/$/, '');
/**
 * Most events kept on screen. The count keeps counting; older entries are
 * dropped so that a busy topic cannot grow the page without bound.
 */
const MAX_LOGGED_EVENTS = 500;

const $ = (id) => document.getElementById(id);
const topicsEl = $('topics');
const lastEventIdEl = $('last-event-id');
const typesEl = $('event-types');
const subTokenEl = $('sub-token');
const connectEl = $('connect');
const disconnectEl = $('disconnect');
const stateEl = $('state');
const subUrlEl = $('sub-url');
const refusalEl = $('sub-refusal');
const eventsEl = $('events');
const countEl = $('event-count');
const pubForm = $('pub-form');
const publishEl = $('publish');
const resultEl = $('pub-result');

const clock = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  fractionalSecondDigits: 3,
  hour12: false,
});

/** Creates an element with a class and text; the only way this page makes elements. */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// --- Subscribe -------------------------------------------------------------

/** The open (or retrying) EventSource, or null when disconnected. */
let source = null;
/** The event types `source` has a listener for. */
let listening = new Set();
/** Events received since the last Clear, including those dropped from the log. */
let received = 0;

function addTopicRow(value) {
  const row = el('div', 'row');
  const input = el('input');
  input.type = 'text';
  input.name = 'topic';
  input.value = value;
  input.spellcheck = false;
  input.autocomplete = 'off';
  input.setAttribute('aria-label', 'Topic selector');
  const remove = el('button', 'icon', '✕');
  remove.type = 'button';
  remove.title = 'Remove this selector';
  remove.setAttribute('aria-label', 'Remove this selector');
  remove.addEventListener('click', () => {
    row.remove();
    updateRemoveButtons();
    showSubscriptionUrl();
  });
  row.append(input, remove);
  topicsEl.append(row);
  updateRemoveButtons();
  return input;
}

/** The hub refuses a subscription without a topic, so the last row stays. */
function updateRemoveButtons() {
  const buttons = topicsEl.querySelectorAll('button');
  for (const button of buttons) button.disabled = buttons.length === 1;
}

function selectors() {
  return [...topicsEl.querySelectorAll('input[name=topic]')]
    .map((input) => input.value.trim())
    .filter((value) => value !== '');
}

function eventTypes() {
  const extra = typesEl.value.split(/[\s,]+/).filter((type) => type !== '');
  return new Set(['message', ...extra]);
}

function subscriptionUrl() {
  const url = new URL(HUB_URL);
  for (const topic of selectors()) url.searchParams.append('topic', topic);
  const lastEventId = lastEventIdEl.value.trim();
  if (lastEventId !== '') url.searchParams.set('lastEventID', lastEventId);
  const token = bareToken(subTokenEl.value);
  if (token !== '') url.searchParams.set('authorization', token);
  return url.href;
}

function showSubscriptionUrl() {
  // While connected the URL shown is the one in use, not the form's draft.
  if (source === null || source.readyState === EventSource.CLOSED) {
    subUrlEl.textContent = subscriptionUrl();
  }
}

/** Accepts a pasted `Bearer <token>` as well as the bare token. */
function bareToken(text) {
  return text.trim().replace(/^Bearer\s+/i, '');
}

/** Shows `state` (connecting, open, error, closed) with the EventSource's readyState. */
function showState(state) {
  const readyState = source?.readyState ?? EventSource.CLOSED;
  const retrying = state === 'error' && readyState === EventSource.CONNECTING;
  stateEl.dataset.state = state;
  stateEl.dataset.readyState = String(readyState);
  stateEl.textContent = `${retrying ? 'error, retrying' : state} (readyState ${readyState})`;
}

function onEvent(event) {
  received++;
  countEl.textContent = String(received);
  const item = el('article');
  item.dataset.event = '';
  const meta = el('div', 'meta');
  meta.append(el('span', 'received', clock.format(new Date())), el('span', 'type', event.type));
  const idLabel = el('span', undefined, 'id ');
  idLabel.append(el('code', 'id', event.lastEventId));
  meta.append(idLabel);
  item.append(meta, el('pre', 'data', event.data));
  eventsEl.prepend(item);
  while (eventsEl.childElementCount > MAX_LOGGED_EVENTS) eventsEl.lastElementChild.remove();
}

/** Makes `source` listen for exactly the types in the form; works while connected. */
function syncListeners() {
  if (source === null) return;
  const wanted = eventTypes();
  for (const type of listening) if (!wanted.has(type)) source.removeEventListener(type, onEvent);
  for (const type of wanted) if (!listening.has(type)) source.addEventListener(type, onEvent);
  listening = wanted;
}

function connect() {
  disconnect();
  if (selectors().length === 0) {
    refusalEl.textContent = 'Give at least one topic selector; * matches every topic.';
    return;
  }
  const url = subscriptionUrl();
  subUrlEl.textContent = url;
  refusalEl.textContent = '';
  // withCredentials: false is the default and sends same-origin cookies, which
  // is what lets a mercureAuthorization cookie authorize this page.
  const es = new EventSource(url);
  source = es;
  listening = new Set();
  syncListeners();
  es.addEventListener('open', () => {
    if (source === es) showState('open');
  });
  es.addEventListener('error', () => {
    if (source !== es) return;
    showState('error');
    // A refusal (4xx/5xx, or not text/event-stream) closes the EventSource
    // for good, and it cannot read the body; ask again to show why.
    if (es.readyState === EventSource.CLOSED) {
      connectEl.disabled = false;
      disconnectEl.disabled = true;
      explainRefusal(url, es);
    }
  });
  showState('connecting');
  connectEl.disabled = true;
  disconnectEl.disabled = false;
}

/**
 * Repeats a refused subscription with fetch to read the hub's one-sentence
 * reason. If the hub accepts this time (the refusal was transient), the
 * stream is cancelled at once.
 */
async function explainRefusal(url, es) {
  const abort = new AbortController();
  try {
    const response = await fetch(url, { signal: abort.signal, cache: 'no-store' });
    const type = response.headers.get('content-type') ?? '';
    if (response.ok && type.startsWith('text/event-stream')) {
      abort.abort();
      if (source === es) refusalEl.textContent = 'The connection failed; the hub accepts it now.';
      return;
    }
    const body = (await response.text()).trim();
    if (source === es) {
      refusalEl.textContent = `The hub answered ${response.status}${body === '' ? '.' : `: ${body}`}`;
    }
  } catch (error) {
    if (source === es) refusalEl.textContent = `The hub cannot be reached: ${error.message}`;
  }
}

function disconnect() {
  if (source !== null) {
    source.close();
    source = null;
    showState('closed');
  }
  connectEl.disabled = false;
  disconnectEl.disabled = true;
  showSubscriptionUrl();
}

// --- Publish ---------------------------------------------------------------

function publishForm() {
  const form = new URLSearchParams();
  for (const line of $('pub-topics').value.split('\n')) {
    const topic = line.trim();
    if (topic !== '') form.append('topic', topic);
  }
  let data = $('pub-data').value;
  if ($('pub-crlf').checked) data = data.replaceAll('\n', '\r\n');
  form.append('data', data);
  for (const field of ['id', 'type', 'retry']) {
    const value = $(`pub-${field}`).value;
    if (value !== '') form.append(field, value);
  }
  if ($('pub-private').checked) form.append('private', 'on');
  return form;
}

function showResult(ok, status, statusLine, body) {
  resultEl.hidden = false;
  resultEl.dataset.status = String(status);
  resultEl.dataset.ok = String(ok);
  resultEl.querySelector('.status-line').textContent = statusLine;
  resultEl.querySelector('.body').textContent = body;
}

async function publish(event) {
  event.preventDefault();
  const headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
  const token = bareToken($('pub-token').value);
  if (token !== '') headers.Authorization = `Bearer ${token}`;
  publishEl.disabled = true;
  // The previous answer must not pass for this one's while it is in flight.
  resultEl.hidden = true;
  delete resultEl.dataset.status;
  delete resultEl.dataset.ok;
  const started = performance.now();
  try {
    const response = await fetch(HUB_URL, { method: 'POST', headers, body: publishForm() });
    const body = await response.text();
    const ms = Math.round(performance.now() - started);
    const reason = response.statusText === '' ? '' : ` ${response.statusText}`;
    showResult(response.ok, response.status, `${response.status}${reason} in ${ms} ms`, body);
  } catch (error) {
    showResult(false, 0, 'No answer', `The request failed: ${error.message}`);
  } finally {
    publishEl.disabled = false;
  }
}

// --- Wiring ----------------------------------------------------------------

addTopicRow('*');
$('add-topic').addEventListener('click', () => {
  addTopicRow('').focus();
  showSubscriptionUrl();
});
for (const input of [topicsEl, lastEventIdEl, subTokenEl]) {
  input.addEventListener('input', showSubscriptionUrl);
}
typesEl.addEventListener('input', syncListeners);
connectEl.addEventListener('click', connect);
disconnectEl.addEventListener('click', disconnect);
$('clear').addEventListener('click', () => {
  eventsEl.replaceChildren();
  received = 0;
  countEl.textContent = '0';
});
pubForm.addEventListener('submit', publish);
showSubscriptionUrl();
