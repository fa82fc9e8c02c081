/**
 * The client's copy of the page formatting (web/view/*.ts and web/components/node-card.tsx), so a
 * card or summary line re-rendered from an SSE event reads exactly like the server-rendered one.
 * test/unit/web/client-view.test.ts runs this code in node:vm and compares its text with the
 * server's on the same fixtures: change both sides together.
 *
 * Plain ES2017 in a String.raw template: no backticks and no dollar-brace sequences inside.
 * Defines two globals: IM_KINDS (the kinds registry) and IMView, used by live-js.ts and setup-js.ts.
 */
import { ALL_KINDS } from '../../agent/kernel/kinds.js';

/** The kinds registry for the client scripts (view-js and setup-js), from agent/kernel/kinds.ts. */
const KINDS_JS = `var IM_KINDS = ${JSON.stringify(
  ALL_KINDS.map((d) => ({ id: d.id, label: d.label, defaultUrl: d.defaultUrl, enabledByDefault: d.enabledByDefault, modelAware: d.traits.modelAware, batchWork: d.traits.batchWork })),
)};\n`;

export const VIEW_JS = KINDS_JS + String.raw`
var IMView = (function () {
  'use strict';
  // The kinds registry (agent/kernel/kinds.ts), written into this script as IM_KINDS.
  var KIND_LIST = IM_KINDS;
  var KIND_BY_ID = {};
  KIND_LIST.forEach(function (k) { KIND_BY_ID[k.id] = k; });
  var KINDS = KIND_LIST.map(function (k) { return k.id; });
  // Labels are plain words (no regular-expression characters).
  var LABELS_RE = KIND_LIST.map(function (k) { return k.label; }).join('|') || 'Ollama';
  var DAY_MS = 86400000;
  var MODELS_SHOWN = 8;
  var SPEEDS_SHOWN = 3;
  var WORDS = {
    online: 'online', asleep: 'asleep', 'in-game': 'in a game', 'outside-window': 'outside its window',
    'service-down': 'online, not serving', down: 'down', 'not-answering': 'not answering', 'clock-off': 'clock off'
  };
  var CLOCK_OFF_DETAIL = 'it answers, but refuses requests whose time is more than 30 s from its own; enable NTP on both machines';
  // discovery/clock-skew.ts formatClockOffset
  function clockOffWords(ms) {
    var sec = Math.round(ms / 1000);
    return 'clock off by ' + (sec > 0 ? '+' : sec < 0 ? '-' : '±') + Math.abs(sec) + ' s';
  }
  var WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  var ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return ESC[c]; }); }
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  // Mirrors agent/kernel/kinds.ts kindsInUse: a kind off by default shows only where some node runs it.
  function kindsInUse(placement) {
    return KINDS.filter(function (k) {
      return KIND_BY_ID[k].enabledByDefault || placement.kinds[k].candidates.some(function (c) { return c.why.code !== 'no-service'; });
    });
  }
  function kindLabel(kind) { return KIND_BY_ID[kind] ? KIND_BY_ID[kind].label : kind; }
  // Mirrors web/view/format.ts plainWords: a down service is "not running"; its socket error stays in the card's details.
  function plain(text) { return String(text).replace(new RegExp('\\b(' + LABELS_RE + ') is down(?:: [^;]*)?', 'g'), '$1 is not running').replace(/\balways offered\b/g, 'available at any time'); }

  // Same approach as agent/kernel/wall-clock.ts: the zone's wall time encoded as a UTC instant.
  var formatters = {};
  function wallTimeAt(ms, zone) {
    var f = formatters[zone];
    if (!f) {
      f = formatters[zone] = new Intl.DateTimeFormat('en-US', {
        timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
        hour: 'numeric', minute: 'numeric', second: 'numeric'
      });
    }
    var p = {};
    f.formatToParts(new Date(ms)).forEach(function (x) { p[x.type] = x.value; });
    return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour % 24, +p.minute, +p.second);
  }
  function startOfDay(wall) { return Math.floor(wall / DAY_MS) * DAY_MS; }
  function formatLocalTime(ms, zone) {
    var d = new Date(wallTimeAt(ms, zone));
    return pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes());
  }
  function formatDuration(ms) {
    var totalMin = Math.floor(ms / 60000);
    if (!(totalMin >= 1)) return 'under a minute';
    var d = Math.floor(totalMin / 1440), h = Math.floor((totalMin % 1440) / 60), min = totalMin % 60;
    if (d > 0) return h > 0 ? d + ' d ' + h + ' h' : d + ' d';
    if (h > 0) return min > 0 ? h + ' h ' + min + ' min' : h + ' h';
    return min + ' min';
  }
  function formatGb(mb) { return (mb / 1024).toFixed(1) + ' GB'; }
  function vramText(used, total) {
    if (total === null || total === undefined) return 'unknown';
    if (used === null || used === undefined) return formatGb(total) + ' (use unknown)';
    return formatGb(used) + ' used of ' + formatGb(total);
  }
  function shortGpuName(model) {
    return model.replace(/^(NVIDIA|AMD|Intel(\(R\))?|Apple)\s+/i, '').replace(/^GeForce\s+/i, '');
  }
  function formatSeen(ms, nowMs, zone) {
    if (ms === null || ms === undefined) return 'never';
    return nowMs - ms >= DAY_MS ? formatDuration(nowMs - ms) + ' ago' : formatLocalTime(ms, zone);
  }
  function formatLogTime(ms, nowMs, zone) {
    var wall = new Date(wallTimeAt(ms, zone));
    var days = (startOfDay(wallTimeAt(nowMs, zone)) - startOfDay(wall.getTime())) / DAY_MS;
    var hm = pad(wall.getUTCHours()) + ':' + pad(wall.getUTCMinutes());
    var hms = hm + ':' + pad(wall.getUTCSeconds());
    if (days === 0) return hms;
    if (days === 1) return 'yesterday ' + hms;
    return WEEKDAYS[(wall.getUTCDay() + 6) % 7] + ' ' + wall.getUTCDate() + ' ' + MONTHS[wall.getUTCMonth()] + ' ' + hm;
  }
  function nextChangeText(atMs, nowMs, zone) {
    if (atMs === null || atMs === undefined) return 'No change is scheduled.';
    return 'Next scheduled change at ' + formatLocalTime(atMs, zone) + ' (in ' + formatDuration(atMs - nowMs) + ').';
  }

  function candidate(placement, kind, nodeId) {
    var list = placement.kinds[kind].candidates;
    for (var i = 0; i < list.length; i++) if (list[i].nodeId === nodeId) return list[i];
    return null;
  }
  // Each reason as its code (a waiting pin counts as what it waits on) and the words the API wrote.
  function reasons(node, placement) {
    if (!placement) return [];
    var bad = [], good = [];
    kindsInUse(placement).forEach(function (k) {
      var c = candidate(placement, k, node.nodeId);
      if (c) (c.eligible ? good : bad).push({ code: c.why.code === 'pin-waiting' ? c.why.params.because.code : c.why.code, words: plain(c.reason) });
    });
    return bad.concat(good);
  }
  function serves(node, placement) {
    if (!placement) return null;
    var labels = [];
    KINDS.forEach(function (k) { if (placement.kinds[k].elected === node.nodeId) labels.push(kindLabel(k)); });
    KIND_LIST.forEach(function (d) {
      var k = placement.kinds[d.id];
      if (d.batchWork && k && k.batchElected === node.nodeId && k.elected !== node.nodeId) labels.push(d.label + ' indexing');
    });
    return labels.length ? labels.join(' and ') : null;
  }
  function firstWithCode(list, code) {
    for (var i = 0; i < list.length; i++) if (list[i].code === code) return list[i].words;
    return null;
  }
  function nodeStatus(node, placement, zone) {
    var all = reasons(node, placement);
    var why = all.map(function (r) { return r.words; });
    function make(key, detail) { return { key: key, words: WORDS[key], detail: detail === WORDS[key] ? null : detail, serves: serves(node, placement) }; }
    if (node.state !== 'up' && typeof node.clockOffsetMs === 'number') {
      return { key: 'clock-off', words: clockOffWords(node.clockOffsetMs), detail: CLOCK_OFF_DETAIL, serves: serves(node, placement) };
    }
    if (node.state === 'down') {
      var detail = why.length ? why[0] : (node.downSinceMs === null ? null : 'down since ' + formatLocalTime(node.downSinceMs, zone));
      return make(node.macs.length > 0 ? 'asleep' : 'down', detail);
    }
    if (node.state === 'suspect') return make('not-answering', 'missed its last health checks');
    var busy = node.advert && node.advert.offerState ? node.advert.offerState.busy : null;
    var game = firstWithCode(all, 'game');
    if (game || (busy && busy.code === 'game')) return make('in-game', game);
    var outside = firstWithCode(all, 'outside-window');
    if (outside) return make('outside-window', outside);
    var stopped = firstWithCode(all, 'service-down');
    if (stopped) return make('service-down', stopped);
    // Mirrors web/view/node-status.ts: eligible but not chosen says who comes first.
    if (placement && serves(node, placement) === null) {
      var first = [];
      KINDS.forEach(function (k) {
        var kp = placement.kinds[k];
        var mine = null, top = null;
        kp.candidates.forEach(function (c) { if (c.nodeId === node.nodeId && c.eligible) mine = c; if (c.nodeId === kp.elected) top = c; });
        if (mine && top && first.indexOf(top.name) === -1) first.push(top.name);
      });
      if (first.length) return make('online', 'standing by: ' + first.join(' and ') + (first.length === 1 ? ' comes' : ' come') + ' first');
    }
    return make('online', why.length ? why[0] : null);
  }

  function summaryLines(placement, nodes) {
    var byId = {};
    nodes.forEach(function (n) { byId[n.nodeId] = n; });
    var shown = placement ? kindsInUse(placement) : KIND_LIST.filter(function (d) { return d.enabledByDefault; }).map(function (d) { return d.id; });
    return shown.map(function (kind) {
      var label = kindLabel(kind);
      if (!placement) return { kind: kind, text: label + ' → not decided yet — the agent is still starting' };
      var k = placement.kinds[kind];
      var reason = function (c) {
        var n = byId[c.nodeId];
        return n && n.state !== 'up' && typeof n.clockOffsetMs === 'number' ? clockOffWords(n.clockOffsetMs) : plain(c.reason);
      };
      var idx = -1;
      for (var i = 0; i < k.candidates.length; i++) if (k.candidates[i].nodeId === k.elected) { idx = i; break; }
      var text;
      var routing = placement.routing ? placement.routing[kind] : null;
      var down = null;
      if (routing) for (var u = 0; u < routing.unreachable.length; u++) if (routing.unreachable[u].nodeId === k.elected) down = routing.unreachable[u];
      if (down) {
        // Mirrors scheduler/routing-status.ts unreachableNote (the server renders the first paint).
        var serving = routing.serving && routing.serving.nodeId !== k.elected ? 'serving from ' + routing.serving.name : 'no other node to serve from';
        text = label + ' → elected ' + down.name + ', unreachable: ' + down.reason + '; ' + serving;
      } else if (idx === -1) {
        var why = k.candidates.map(function (c) { return c.name + ': ' + reason(c); }).join('; ') || 'no computer offers it';
        text = label + ' → nowhere — ' + why;
      } else {
        var elected = k.candidates[idx];
        var node = byId[elected.nodeId];
        var hardware = node && node.advert ? node.advert.hardware : null;
        var gpu = hardware && hardware.gpus.length ? hardware.gpus[0].model : null;
        var hw = hardware ? ' (' + (gpu === null ? 'CPU' : shortGpuName(gpu)) + ')' : '';
        var better = null;
        for (var j = 0; j < idx; j++) if (!k.candidates[j].eligible) { better = k.candidates[j]; break; }
        text = label + ' → ' + elected.name + hw + ' — ' + (better ? better.name + ': ' + reason(better) : plain(elected.reason));
      }
      if (KIND_BY_ID[kind] && KIND_BY_ID[kind].batchWork && (k.batchElected !== k.elected || k.batchReason !== null)) {
        var batch = null;
        for (var b = 0; b < k.candidates.length; b++) if (k.candidates[b].nodeId === k.batchElected) batch = k.candidates[b];
        text += batch ? '; indexing → ' + batch.name + (k.batchReason === null ? '' : ' (' + k.batchReason + ')') : '; indexing waits until a GPU computer is offered';
      }
      return { kind: kind, text: text };
    });
  }

  function row(term, html) { return '<div><dt>' + esc(term) + '</dt><dd>' + html + '</dd></div>'; }
  // Mirrors web/components/node-card.tsx ServiceState: plain words, the raw reason behind "details".
  function serviceHtml(s, version) {
    if (!s) return 'not set up';
    if (s.state === 'up') return version ? 'running · version ' + esc(version) : 'running';
    if (s.state === 'down') return 'not running' + (s.reason ? '<details class="why"><summary>details</summary>' + esc(s.reason) + '</details>' : '');
    return 'not checked yet';
  }
  function gpuRows(node) {
    var hw = node.advert ? node.advert.hardware : null;
    if (!hw) return row('GPU', 'unknown');
    if (!hw.gpus.length) return row('GPU', 'none (CPU only)');
    var many = hw.gpus.length > 1;
    return hw.gpus.map(function (g, i) {
      var n = many ? ' ' + (i + 1) : '';
      return row('GPU' + n, esc(g.model)) +
        row('VRAM' + n, esc(vramText(g.vramUsedMb, g.vramTotalMb))) +
        row('GPU load' + n, g.utilizationPct === null ? 'unknown' : Math.round(g.utilizationPct) + ' %');
    }).join('');
  }
  function modelsRow(o) {
    if (!o || (o.state !== 'up' && !o.models.length)) return '';
    if (!o.models.length) return row('Models', 'none');
    var loaded = {};
    o.loaded.forEach(function (m) { loaded[m.name] = true; });
    var shown = o.models.slice(0, MODELS_SHOWN);
    var more = o.models.length - shown.length;
    var items = shown.map(function (m) { return '<li>' + esc(m.name) + (loaded[m.name] ? ' (loaded)' : '') + '</li>'; }).join('');
    if (more > 0) items += '<li>and ' + more + ' more</li>';
    return row('Models', '<ul class="models">' + items + '</ul>');
  }
  // Mirrors web/view/speed-model.ts cardSpeedLines: the models measured most recently, newest first.
  function tokPerSecText(n) { return n >= 100 ? Math.round(n) + ' tok/s' : (Math.round(n * 10) / 10).toFixed(1) + ' tok/s'; }
  function speedRow(node) {
    var models = node.advert && node.advert.speed ? node.advert.speed.models || {} : {};
    var names = Object.keys(models).filter(function (m) { return models[m].genTokPerSec !== null; });
    names.sort(function (a, b) { return (models[b].atMs - models[a].atMs) || (a < b ? -1 : a > b ? 1 : 0); });
    if (!names.length) return '';
    return row('Speed', '<ul class="models">' + names.slice(0, SPEEDS_SHOWN).map(function (m) { return '<li>' + esc(m + ': ' + tokPerSecText(models[m].genTokPerSec)) + '</li>'; }).join('') + '</ul>');
  }
  function cardHtml(node, placement, nowMs, zone) {
    var st = nodeStatus(node, placement, zone);
    var id = 'node-' + node.nodeId;
    var services = KIND_LIST.map(function (d) {
      var s = node.advert ? node.advert.services[d.id] : null;
      // A kind nobody set up here (off by default, not probed) is left out, as on the server.
      if (!s && !d.enabledByDefault) return '';
      return row(d.label, serviceHtml(s, s ? s.version : null)) + (d.modelAware ? modelsRow(s) : '');
    }).join('');
    return '<li class="card" id="' + esc(id) + '" data-state="' + st.key + '">' +
      '<article aria-labelledby="' + esc(id) + '-name">' +
      '<h3 id="' + esc(id) + '-name">' + esc(node.name) +
      (node.sources.indexOf('self') !== -1 ? '<span class="tag"> this node</span>' : '') + '</h3>' +
      '<p class="state"><span class="dot" aria-hidden="true"></span><strong>' + esc(st.words) + '</strong>' +
      (st.detail ? esc(' — ' + st.detail) : '') + '</p>' +
      (st.serves ? '<p class="serves">Serves ' + esc(st.serves) + ' now</p>' : '') +
      '<dl>' + gpuRows(node) +
      services + speedRow(node) +
      row('Last seen', esc(formatSeen(node.lastSeenMs, nowMs, zone))) +
      '</dl></article></li>';
  }

  var ACTIONS = { unload: 'unload models', 'warm-up': 'warm up models', 'pause-queues': 'pause Immich queues', 'resume-queues': 'resume Immich queues', wake: 'wake (Wake-on-LAN)' };
  var STATUSES = { ok: 'done', failed: 'failed', retrying: 'retrying', 'gave-up': 'gave up', info: 'info' };
  function actionRowHtml(e, nowMs, zone) {
    return '<tr role="row">' +
      '<td role="cell" data-label="Time">' + esc(formatLogTime(e.atMs, nowMs, zone)) + '</td>' +
      '<td role="cell" data-label="Action">' + esc(e.action ? ACTIONS[e.action] || e.action : '—') + '</td>' +
      '<td role="cell" data-label="Node">' + esc(e.nodeName || '—') + '</td>' +
      '<td role="cell" data-label="Status" class="status-' + esc(e.status) + '">' + esc(STATUSES[e.status] || e.status) + '</td>' +
      '<td role="cell" data-label="Message">' + esc(e.message) + '</td></tr>';
  }

  return {
    esc: esc, formatLocalTime: formatLocalTime, formatDuration: formatDuration, formatLogTime: formatLogTime,
    nextChangeText: nextChangeText, nodeStatus: nodeStatus, summaryLines: summaryLines, cardHtml: cardHtml,
    actionRowHtml: actionRowHtml
  };
})();
`;
