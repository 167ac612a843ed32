/**
 * SLA countdowns (`<time datetime data-countdown data-now>` on the operations page): every 30 s each text is
 * rewritten from its due time, as `due in 1 h 12 min` or `breached 25 min ago` — the same words as
 * `slaText`/`durationWords` on the server. `data-now` is the server's clock when the page was rendered; the
 * difference to the browser's clock then is kept, so a browser whose clock is off still counts right.
 * A countdown that passes its due time gets the breached style and says so in words.
 */
export const COUNTDOWN_JS = String.raw`
var nodes = document.querySelectorAll('time[data-countdown]');
if (nodes.length === 0) return;
var MINUTE = 60000, HOUR = 60 * MINUTE, DAY = 24 * HOUR;
function words(ms) {
  var span = Math.abs(ms);
  if (span < MINUTE) return 'less than 1 min';
  if (span < HOUR) return Math.floor(span / MINUTE) + ' min';
  if (span < DAY) {
    var h = Math.floor(span / HOUR), m = Math.floor((span % HOUR) / MINUTE);
    return m === 0 ? h + ' h' : h + ' h ' + m + ' min';
  }
  var d = Math.floor(span / DAY), dh = Math.floor((span % DAY) / HOUR);
  return dh === 0 ? d + ' d' : d + ' d ' + dh + ' h';
}
var loadedAt = Date.now();
var items = [];
nodes.forEach(function (node) {
  var due = Date.parse(node.getAttribute('datetime') || '');
  var serverNow = Date.parse(node.getAttribute('data-now') || '');
  if (isNaN(due)) return;
  items.push({ node: node, due: due, skew: isNaN(serverNow) ? 0 : serverNow - loadedAt, breached: node.hasAttribute('data-breached') });
});
function update() {
  var clientNow = Date.now();
  items.forEach(function (item) {
    var left = item.due - (clientNow + item.skew);
    var text;
    if (left <= 0) text = 'breached ' + words(left) + ' ago';
    else if (item.breached) text = 'breached';
    else text = 'due in ' + words(left);
    if (left <= 0 && !item.breached) {
      item.breached = true;
      item.node.setAttribute('data-breached', 'true');
      item.node.classList.remove('sla-due');
      item.node.classList.add('sla-breached');
    }
    if (item.node.textContent !== text) item.node.textContent = text;
  });
}
window.setInterval(update, 30000);
`;
