/**
 * The console's shared look: readable type, colours with at least 4.5:1 contrast on white, a visible focus
 * ring for keyboard users, tables that scroll sideways on a phone instead of breaking the page.
 */
export const BASE_CSS = `
:root { --ink: #1b1b1b; --muted: #4a4a4a; --line: #c9c9c9; --accent: #0b57a4; --accent-ink: #fff; --bad: #a00000; --good: #1d6b2c; --warn: #7a4d00; --panel: #f4f6f8; }
* { box-sizing: border-box; }
html { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #fff; }
body { margin: 0; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid #f2a900; outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: var(--accent); color: var(--accent-ink); padding: .5rem 1rem; z-index: 10; }
.skip:focus { left: 0; }
.top { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.5rem; padding: .5rem 1.5rem; border-bottom: 1px solid var(--line); background: var(--panel); }
.brand { font-weight: 700; font-size: 1.15rem; text-decoration: none; color: var(--ink); }
.top nav ul { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; margin: 0; padding: 0; }
.top nav a { text-decoration: none; padding: .25rem 0; display: inline-block; }
.top nav a[aria-current="page"] { font-weight: 700; border-bottom: 3px solid var(--accent); }
.signout { margin-left: auto; display: flex; align-items: center; gap: .75rem; }
.who { color: var(--muted); font-size: .9rem; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
main:focus { outline: none; }
h1 { font-size: 1.6rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .75rem; }
.notice, .error { padding: .6rem 1rem; border-radius: 4px; border-left: 5px solid; }
.notice { background: #eaf5ec; border-color: var(--good); }
.error { background: #fbeaea; border-color: var(--bad); }
.muted, .note { color: var(--muted); font-size: .9rem; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
label { display: block; font-weight: 600; margin: 1rem 0 .25rem; }
.hint { display: block; font-weight: 400; color: var(--muted); font-size: .9rem; }
input[type="text"], input[type="password"], input[type="search"], input[type="datetime-local"], input[type="date"], select, textarea {
  font: inherit; width: 100%; max-width: 40rem; padding: .45rem .6rem; border: 1px solid #767676; border-radius: 4px; background: #fff; color: var(--ink);
}
textarea { min-height: 6rem; }
button, .button { font: inherit; padding: .45rem 1.1rem; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: var(--accent-ink); cursor: pointer; text-decoration: none; display: inline-block; }
button.secondary, .button.secondary { background: #fff; color: var(--accent); }
button.stop { background: #fff; border-color: var(--bad); color: var(--bad); }
.buttons { display: flex; flex-wrap: wrap; gap: .75rem; margin-top: 1rem; }
.inline-form { display: inline; }
.badge { display: inline-block; padding: 0 .5rem; border-radius: 999px; font-size: .85rem; border: 1px solid currentColor; white-space: nowrap; }
.state-delivered, .state-partially_delivered { color: var(--good); }
.state-blocked, .state-rejected, .state-failed, .state-expired { color: var(--bad); }
.state-awaiting_approval, .state-cancelled { color: var(--warn); }
.filters { display: flex; flex-wrap: wrap; gap: 0 1rem; align-items: flex-end; }
.filters label { margin-top: .5rem; }
.filters input, .filters select { width: auto; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 1rem 1.25rem; margin: 1rem 0; }
.card.narrow, .narrow { max-width: 36rem; }
@media (max-width: 640px) {
  html { font-size: 15px; }
  .top { padding: .5rem 1rem; }
  .signout { margin-left: 0; width: 100%; justify-content: space-between; }
  main { padding: 1rem; }
  dl.facts { grid-template-columns: 1fr; }
  dl.facts dd { margin-bottom: .5rem; }
}
`;
