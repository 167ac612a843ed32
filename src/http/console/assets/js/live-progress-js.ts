/**
 * Live ticket page: on a page with `[data-live]` whose ticket is still going, polls the live URL every 2 s
 * and updates the state badge, the progress bar and each item's state (text only). A state change is
 * announced politely; when the ticket settles or starts waiting for approval the page is drawn again once,
 * so that the findings, the decision and the actions appear (likewise when files are listed that have no row
 * yet). Polling pauses while the tab is hidden, backs off on errors, ends when the ticket is gone or the
 * session is (a redirect to sign-in), and stops after 25 minutes without a key press or click, so that an
 * open tab alone does not keep a session alive. The page's Refresh link works either way.
 */
export const LIVE_PROGRESS_JS = String.raw`
var root = document.querySelector('[data-live]');
if (!root || root.getAttribute('data-terminal') === 'true') return;
var url = root.getAttribute('data-live');
if (!url || url.charAt(0) !== '/' || url.charAt(1) === '/') return;
var INTERVAL = 2000;
var MAX_DELAY = 60000;
var IDLE_LIMIT = 25 * 60 * 1000;
var RELOAD_ON = { awaiting_approval: true };
var shownState = root.getAttribute('data-state') || '';
var announcer = root.querySelector('[data-live-announce]');
var delay = INTERVAL;
var timer = null;
var inFlight = false;
var stopped = false;
var lastActivity = Date.now();

function announce(text) {
  if (announcer) announcer.textContent = text;
}

function setState(state) {
  var badges = root.querySelectorAll('[data-live-state]');
  for (var i = 0; i < badges.length; i++) {
    badges[i].textContent = String(state).replace(/_/g, ' ');
    badges[i].className = 'badge state-' + state;
    badges[i].setAttribute('data-ticket-state', state);
  }
  root.setAttribute('data-state', state);
}

function setProgress(progress) {
  var bar = root.querySelector('[data-live-progress]');
  var text = root.querySelector('[data-live-progress-text]');
  if (!progress) return;
  if (bar) {
    bar.max = progress.max;
    bar.value = progress.value;
    bar.textContent = progress.text;
  }
  if (text) text.textContent = progress.text;
}

function setItems(items) {
  var unknown = false;
  for (var i = 0; i < items.length; i++) {
    var row = root.querySelector('tr[data-item-seq="' + Number(items[i].seq) + '"]');
    if (!row) { unknown = true; continue; }
    var cell = row.querySelector('[data-item-state]');
    if (cell && cell.textContent !== items[i].state) {
      cell.textContent = items[i].state;
      cell.className = 'badge item-' + items[i].state;
    }
    var bar = row.querySelector('[data-item-progress]');
    if (bar && items[i].step) {
      bar.value = Number(items[i].step.value);
      bar.textContent = String(items[i].step.label);
      bar.setAttribute('aria-label', 'File ' + Number(items[i].seq) + ': ' + String(items[i].step.label));
    }
  }
  return unknown;
}

function schedule(ms) {
  if (stopped) return;
  clearTimeout(timer);
  timer = setTimeout(poll, ms);
}

// Drawn again without the query: a "done" notice belongs to the form that was just sent, not to later states.
function redraw() {
  stop();
  window.location.replace(window.location.pathname);
}

function stop(message) {
  stopped = true;
  clearTimeout(timer);
  if (message) announce(message);
}

function poll() {
  if (stopped || inFlight) return;
  if (document.hidden) return;
  if (Date.now() - lastActivity > IDLE_LIMIT) {
    stop('Live updates paused; use Refresh to see the latest state.');
    return;
  }
  inFlight = true;
  fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' }, cache: 'no-store' })
    .then(function (response) {
      if (response.redirected || response.status === 401 || response.status === 403 || response.status === 404) return null;
      if (!response.ok) throw new Error('HTTP ' + response.status);
      return response.json();
    })
    .then(function (live) {
      inFlight = false;
      if (!live) {
        stop('Live updates stopped; use Refresh to see the latest state.');
        return;
      }
      delay = INTERVAL;
      var changed = live.state !== shownState;
      if (changed) {
        setState(live.state);
        announce('The ticket is now ' + String(live.state).replace(/_/g, ' ') + '.');
      }
      setProgress(live.progress);
      var newItems = setItems(live.items || []);
      if (changed && (live.terminal || RELOAD_ON[live.state])) {
        redraw();
        return;
      }
      shownState = live.state;
      if (live.terminal) { stop(); return; }
      // Files listed after the page was drawn have no row yet: draw the page again once to show them.
      if (newItems) { redraw(); return; }
      schedule(INTERVAL);
    })
    .catch(function () {
      inFlight = false;
      delay = Math.min(delay * 2, MAX_DELAY);
      schedule(delay);
    });
}

document.addEventListener('visibilitychange', function () {
  if (!document.hidden && !stopped) schedule(0);
});
['keydown', 'pointerdown'].forEach(function (type) {
  document.addEventListener(type, function () { lastActivity = Date.now(); }, { passive: true });
});
schedule(INTERVAL);
`;
