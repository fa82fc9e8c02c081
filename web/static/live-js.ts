/**
 * The live part of the overview and activity pages: one EventSource on `GET /api/v1/events`
 * (api/routes/events.ts). On connect the server sends `nodes` and `placement`; then `node`,
 * `node-removed`, `placement` and `history` as things change. Cards and summary lines are
 * re-rendered with IMView (view-js.ts) and swapped in only when their markup changed, so the
 * aria-live summary speaks only on real changes. EventSource reconnects by itself; on reconnect the
 * server sends the full state again, which heals anything missed.
 *
 * Plain ES2017 in a String.raw template: no backticks and no dollar-brace sequences inside.
 */
export const LIVE_JS = String.raw`
(function () {
  'use strict';
  var body = document.body;
  var page = body.getAttribute('data-page');
  var zone = body.getAttribute('data-zone') || 'UTC';
  var liveStatus = document.getElementById('live-status');
  if ((page !== 'overview' && page !== 'activity') || typeof EventSource === 'undefined') return;

  var nodes = [];
  var placement = null;
  var rendered = {};      // nodeId -> the card markup last put in the page
  var words = {};         // nodeId -> state words last shown, to announce changes
  var ACTIONS_SHOWN = 50;

  function setStatus(text) { if (liveStatus && liveStatus.textContent !== text) liveStatus.textContent = text; }
  function parse(ev) { try { return JSON.parse(ev.data); } catch (e) { return null; } }
  function announce(text) {
    var el = document.getElementById('announce');
    if (el) el.textContent = text;
  }

  function renderSummary() {
    var list = document.getElementById('summary');
    if (!list) return;
    IMView.summaryLines(placement, nodes).forEach(function (line) {
      var li = list.querySelector('li[data-kind="' + line.kind + '"]');
      if (li && li.textContent !== line.text) li.textContent = line.text;
    });
    var next = document.getElementById('next-change');
    if (next && placement) {
      var text = IMView.nextChangeText(placement.nextChangeAtMs, Date.now(), zone);
      if (next.textContent !== text) next.textContent = text;
    }
  }

  function fromHtml(html) {
    var tpl = document.createElement('template');
    tpl.innerHTML = html;
    return tpl.content.firstElementChild;
  }

  /** The node's card, re-rendered in place when its markup changed; a new card comes back detached. */
  function renderCard(node) {
    var html = IMView.cardHtml(node, placement, Date.now(), zone);
    var status = IMView.nodeStatus(node, placement, zone).words;
    if (words[node.nodeId] !== undefined && words[node.nodeId] !== status) announce(node.name + ' is now ' + status + '.');
    words[node.nodeId] = status;
    var el = document.getElementById('node-' + node.nodeId);
    if (el && rendered[node.nodeId] === html) return el;
    var fresh = fromHtml(html);
    if (el) el.replaceWith(fresh);
    rendered[node.nodeId] = html;
    return fresh;
  }

  function renderCards() {
    var list = document.getElementById('nodes');
    if (!list) return;
    var keep = {};
    nodes.forEach(function (n) { keep['node-' + n.nodeId] = true; });
    Array.prototype.slice.call(list.children).forEach(function (li) { if (!keep[li.id]) li.remove(); });
    // Walk in the server's order (this node first), moving cards only where they are out of place.
    nodes.forEach(function (n, i) {
      var el = renderCard(n);
      var at = list.children[i] || null;
      if (el !== at) list.insertBefore(el, at);
    });
    var empty = document.getElementById('no-nodes');
    if (empty) empty.hidden = nodes.length > 0;
  }

  function renderOverview() { renderSummary(); renderCards(); }

  var es = new EventSource('/api/v1/events');
  es.addEventListener('open', function () { setStatus('Live: changes appear as they happen.'); });
  es.addEventListener('error', function () {
    setStatus(es.readyState === EventSource.CLOSED
      ? 'Live updates stopped; reload the page to try again.'
      : 'Connection to the agent lost; reconnecting…');
  });

  if (page === 'overview') {
    es.addEventListener('nodes', function (ev) { var d = parse(ev); if (Array.isArray(d)) { nodes = d; renderOverview(); } });
    es.addEventListener('node', function (ev) {
      var d = parse(ev);
      if (!d || !d.nodeId) return;
      var i = nodes.findIndex(function (n) { return n.nodeId === d.nodeId; });
      if (i === -1) nodes.push(d); else nodes[i] = d;
      renderOverview();
    });
    es.addEventListener('node-removed', function (ev) {
      var d = parse(ev);
      if (!d) return;
      nodes = nodes.filter(function (n) { return n.nodeId !== d.nodeId; });
      delete rendered[d.nodeId];
      delete words[d.nodeId];
      renderOverview();
    });
    es.addEventListener('placement', function (ev) { var d = parse(ev); if (d && d.kinds) { placement = d; renderOverview(); } });
  }

  if (page === 'activity') {
    var seen = {};
    es.addEventListener('history', function (ev) {
      var e = parse(ev);
      var tbody = document.getElementById('actions-body');
      if (!e || e.type !== 'action' || !tbody) return;
      // A reconnect may not replay history, but guard against the same entry twice anyway.
      var key = e.atMs + '|' + e.action + '|' + e.status + '|' + e.message;
      if (seen[key]) return;
      seen[key] = true;
      tbody.insertBefore(fromHtml(IMView.actionRowHtml(e, Date.now(), zone)), tbody.firstElementChild);
      while (tbody.children.length > ACTIONS_SHOWN) tbody.lastElementChild.remove();
      var empty = document.getElementById('no-actions');
      if (empty) empty.hidden = true;
      var table = document.getElementById('actions');
      if (table) table.hidden = false;
    });
  }
})();
`;
