/**
 * The UI's one stylesheet, embedded as a string: tsc copies no .css into dist/, and the agent has
 * no build step (README "Using it"). System fonts, CSS custom properties for the palette, dark
 * mode through prefers-color-scheme. Everything wraps (no fixed widths) so a 390 px phone never
 * scrolls sideways.
 */
export const STYLE_CSS = String.raw`
/* The hidden attribute wins over any display rule below (a stacked table at phone width was drawn while hidden). */
[hidden] { display: none !important; }
:root {
  --bg: #f7f7f8; --fg: #1b1c1f; --muted: #5b5f68; --card: #fff; --line: #d8dae0; --accent: #1f5fbf;
  --ok: #1d7a3a; --warn: #9a5b00; --bad: #b3261e; --idle: #6b7280; --focus: #1f5fbf;
  --seg-ollama: #2f6fd6; --seg-immich: #8a3fc7; --seg-offer: #2e9d57; --seg-out: #c0392b; --track: #e7e8ec;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #121316; --fg: #e8e9ec; --muted: #a3a7b0; --card: #1c1e22; --line: #33363d; --accent: #8ab4ff;
    --ok: #5ccf83; --warn: #f0b35a; --bad: #ff8a80; --idle: #9ca3af; --focus: #8ab4ff;
    --seg-ollama: #6f9cf0; --seg-immich: #b98ae6; --seg-offer: #4fc07a; --seg-out: #ef7a6c; --track: #2a2d33;
  }
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--fg); line-height: 1.45;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  overflow-wrap: anywhere;
}
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: var(--card); padding: .5rem 1rem; z-index: 10; }
.skip:focus { left: .5rem; }
.visually-hidden {
  position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
header.top {
  display: flex; flex-wrap: wrap; align-items: center; gap: .25rem 1.5rem;
  padding: .75rem 1rem; border-bottom: 1px solid var(--line); background: var(--card);
}
.brand { margin: 0; font-weight: 600; }
.brand .self { color: var(--accent); }
nav ul { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; margin: 0; padding: 0; }
nav a { display: inline-block; padding: .35rem 0; text-decoration: none; }
nav a[aria-current="page"] { font-weight: 700; text-decoration: underline; text-underline-offset: .3em; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
main:focus { outline: none; }
h1 { font-size: 1.5rem; margin: .25rem 0 1rem; }
h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; }
h3 { font-size: 1.05rem; margin: 0 0 .25rem; }
footer { max-width: 72rem; margin: 0 auto; padding: 1rem; color: var(--muted); font-size: .9rem; }
.muted, .hint { color: var(--muted); font-size: .92rem; }
.summary { list-style: none; padding: 0; margin: 0; display: grid; gap: .5rem; }
.summary li { background: var(--card); border: 1px solid var(--line); border-radius: .5rem; padding: .6rem .8rem; font-weight: 500; }
.cards { list-style: none; padding: 0; margin: 0; display: grid; gap: 1rem; grid-template-columns: repeat(auto-fill, minmax(min(100%, 19rem), 1fr)); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: .6rem; padding: .9rem 1rem; }
.tag { font-size: .8rem; font-weight: 500; color: var(--muted); }
.state { margin: 0 0 .35rem; }
.dot { display: inline-block; width: .7rem; height: .7rem; border-radius: 50%; margin-right: .4rem; background: var(--idle); vertical-align: baseline; }
[data-state="online"] .dot { background: var(--ok); }
[data-state="in-game"] .dot, [data-state="outside-window"] .dot, [data-state="service-down"] .dot, [data-state="not-answering"] .dot, [data-state="clock-off"] .dot { background: var(--warn); }
[data-state="down"] .dot { background: var(--bad); }
.serves { margin: 0 0 .35rem; color: var(--ok); font-weight: 600; }
dl { margin: .5rem 0 0; display: grid; grid-template-columns: minmax(5.5rem, auto) 1fr; gap: .15rem .75rem; }
dl > div { display: contents; }
dt { color: var(--muted); }
dd { margin: 0; }
ul.models { margin: 0; padding-left: 1.1rem; }
figure.timeline { margin: 0 0 1.5rem; background: var(--card); border: 1px solid var(--line); border-radius: .6rem; padding: .75rem; }
figure.timeline figcaption { font-weight: 600; margin-bottom: .25rem; }
svg.timeline { display: block; width: 100%; height: auto; }
svg.timeline.narrow { max-width: 36rem; }
svg.timeline.wide { display: none; }
@media (min-width: 48rem) { svg.timeline.narrow { display: none; } svg.timeline.wide { display: block; } }
svg.timeline text { fill: var(--fg); font-family: inherit; font-size: 12px; }
svg.timeline text.axis { fill: var(--muted); font-size: 11px; }
svg.timeline .track { fill: var(--track); }
svg.timeline .seg-ollama { fill: var(--seg-ollama); }
svg.timeline .seg-immich-ml { fill: var(--seg-immich); }
svg.timeline .seg-offer { fill: var(--seg-offer); }
svg.timeline .seg-override-offer { fill: var(--seg-offer); }
svg.timeline .seg-game { fill: var(--warn); }
svg.timeline .seg-override-out { fill: var(--seg-out); }
svg.timeline .now { stroke: var(--bad); stroke-width: 2; }
svg.timeline text.now-label { fill: var(--bad); font-weight: 700; }
svg.timeline .tick { stroke: var(--line); stroke-width: 1; }
table { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line); }
caption { text-align: left; padding: .4rem 0; color: var(--muted); caption-side: top; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.status-failed, .status-gave-up, .status-error { color: var(--bad); font-weight: 600; }
.status-neutral { color: var(--muted); }
fieldset.bare { border: 0; padding: 0; margin: 0; min-width: 0; }
fieldset.bare:disabled { opacity: .75; }
.status-retrying { color: var(--warn); font-weight: 600; }
/* Narrow screens: each row becomes a small block with its column names, instead of a table that
   would scroll sideways. The markup carries explicit table roles, because some browsers drop table
   semantics once display changes (Adrian Roselli, "Tables, CSS Display Properties, and ARIA", 2018). */
@media (max-width: 40rem) {
  table.stack, table.stack tbody, table.stack tr, table.stack td { display: block; }
  table.stack thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.stack tr { border-bottom: 1px solid var(--line); padding: .4rem .5rem; }
  table.stack td { border: 0; padding: .1rem 0; text-align: left; }
  table.stack td::before { content: attr(data-label) ": "; color: var(--muted); }
}
form section, .panel { background: var(--card); border: 1px solid var(--line); border-radius: .6rem; padding: .9rem 1rem; margin-bottom: 1rem; }
fieldset { border: 1px solid var(--line); border-radius: .5rem; margin: .5rem 0; padding: .5rem .75rem .75rem; min-width: 0; }
legend { font-weight: 600; padding: 0 .25rem; }
legend h2 { margin: 0; }
.field { margin: .6rem 0; }
.field > label, .label { display: block; font-weight: 600; margin-bottom: .2rem; }
input[type="text"], input[type="url"], input[type="number"], input[type="password"], input[type="time"], select, textarea {
  font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line); border-radius: .35rem;
  padding: .45rem .55rem; width: 100%; max-width: 32rem;
}
input[type="time"] { width: auto; }
textarea { min-height: 5rem; }
.choices label, .days label { display: inline-flex; align-items: center; gap: .3rem; margin: .2rem .9rem .2rem 0; font-weight: normal; }
.times { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: end; margin-top: .4rem; }
.times label { font-weight: 600; display: flex; flex-direction: column; gap: .2rem; }
button { font: inherit; padding: .45rem .9rem; border-radius: .35rem; border: 1px solid var(--accent); background: var(--card); color: var(--accent); cursor: pointer; }
button.primary { background: var(--accent); color: var(--card); font-weight: 600; }
button[disabled] { opacity: .6; cursor: default; }
.inline { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin-top: .35rem; }
.result { margin: .35rem 0 0; }
.result.ok { color: var(--ok); }
.result.bad { color: var(--bad); }
.problems { border: 2px solid var(--bad); border-radius: .5rem; padding: .5rem .9rem; margin: .75rem 0; }
.problems h2 { margin-top: .25rem; color: var(--bad); }
.saved { border: 2px solid var(--ok); border-radius: .5rem; padding: .5rem .9rem; margin: .75rem 0; color: var(--ok); font-weight: 600; }
[aria-invalid="true"] { border-color: var(--bad) !important; }
.speed h2 { margin-top: 0; }
ul.bars { list-style: none; margin: 0; padding: 0; display: grid; gap: .75rem; }
.bar-row { display: grid; grid-template-columns: 1fr; gap: .1rem 1rem; }
.bar-row p { margin: 0; }
.bar-line { display: flex; align-items: center; gap: .6rem; }
svg.bar { flex: 1 1 auto; min-width: 0; height: 1rem; display: block; }
svg.bar .bar-track { fill: var(--track); }
svg.bar .bar-fill { fill: var(--seg-ollama); }
.bar-value { flex: 0 0 auto; min-width: 5.5rem; text-align: right; font-weight: 600; font-variant-numeric: tabular-nums; }
.bar-detail { font-size: .85rem; }
@media (min-width: 48rem) {
  .bar-row { grid-template-columns: 15rem 1fr; align-items: center; }
  .bar-label .muted { display: block; font-size: .85rem; }
  .bar-detail { grid-column: 2; }
}
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .92em; }
`;
