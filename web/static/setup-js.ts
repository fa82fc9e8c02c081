/**
 * The setup page's form (web/pages/setup.tsx renders it, this fills and sends it; the session and
 * requests are admin-js.ts, served first in the same file):
 * - GET /api/v1/settings fills the form; until it has, Save stays off, so an empty form can never
 *   overwrite real settings.
 * - "Where should AI run?": "this device" puts loopback addresses in; picking a discovered computer
 *   fills in its addresses (web/view/node-urls.ts worked them out).
 * - "Test connection" POSTs /api/v1/setup/test-connection and says the answer in words.
 * - "Settings of" picks the computer (issue 16): this one through /api/v1/settings, another agent of
 *   the mesh through /api/v1/nodes/{id}/settings (the change travels to it, signed with the mesh key).
 * - Save PUTs the same path. The offer and policy are sent as loaded with the edited fields laid
 *   over them, so fields this form does not show (priority, warm-up models, GPU-load rule) survive.
 *   A 400's `error.details` ("path: message") are listed and linked to their fields.
 *
 * Plain ES2017 in a String.raw template: no backticks and no dollar-brace sequences inside.
 * Uses the globals IMView (view-js.ts) and IMAdmin (admin-js.ts).
 */
export const SETUP_JS = String.raw`
(function () {
  'use strict';
  if (document.body.getAttribute('data-page') !== 'setup') return;
  var DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  var KINDS = IM_KINDS; // from view-js.ts, in app.js
  function urlField(kind) { return $('f-services-' + kind.id + '-url'); }
  var loaded = null;   // the settings as last loaded or saved
  // Whose settings the form shows (issue 16): this computer's, or another agent's over the mesh.
  function settingsPath() {
    var pick = $('setup-node');
    var opt = pick && pick.selectedOptions[0];
    return !opt || opt.dataset.self === 'true' ? '/api/v1/settings' : '/api/v1/nodes/' + encodeURIComponent(opt.value) + '/settings';
  }

  function $(id) { return document.getElementById(id); }
  function esc(s) { return IMView.esc(s); }
  function lines(text) { return text.split(/\r?\n|,/).map(function (s) { return s.trim(); }).filter(Boolean); }
  function clone(v) { return JSON.parse(JSON.stringify(v)); }
  var call = IMAdmin.call, refusal = IMAdmin.refusal, say = IMAdmin.say;

  // ---- where AI runs ---------------------------------------------------------------------------
  function isLoopback(url) {
    try {
      var h = new URL(url).hostname;
      return h === 'localhost' || h === '[::1]' || h === '::1' || /^127\./.test(h);
    } catch (e) { return false; }
  }
  function where() { return $('where-remote').checked ? 'remote' : 'local'; }
  function showWhere() { $('remote-pick').hidden = where() !== 'remote'; }
  function onWhere() {
    if (where() === 'local') {
      KINDS.forEach(function (k) {
        var f = urlField(k);
        if (f && !isLoopback(f.value)) f.value = k.defaultUrl;
      });
    }
    showWhere();
  }
  $('where-local').addEventListener('change', onWhere);
  $('where-remote').addEventListener('change', onWhere);
  $('pick-node').addEventListener('change', function () {
    var opt = this.selectedOptions[0];
    if (!opt || !opt.value) return;
    KINDS.forEach(function (k) {
      var url = opt.getAttribute('data-url-' + k.id);
      if (url && urlField(k)) urlField(k).value = url;
    });
    say($('pick-node-result'), 'Filled in the addresses of ' + opt.dataset.name + '. Test them, then save.');
  });

  // ---- test connection -------------------------------------------------------------------------
  function listModels(models) {
    if (!models || !models.length) return 'no models yet';
    var shown = models.slice(0, 6).join(', ');
    return models.length + (models.length === 1 ? ' model: ' : ' models: ') + shown + (models.length > 6 ? ' and ' + (models.length - 6) + ' more' : '');
  }
  function describe(kind, a) {
    if (!a.ok) return 'Not reachable: ' + (a.reason || 'no answer') + '.';
    var k = KINDS.filter(function (x) { return x.id === kind; })[0];
    if (k && k.modelAware) return 'Reachable: ' + k.label + ' ' + (a.version || '(version unknown)') + ', ' + listModels(a.models) + '.';
    if (k) return 'Reachable: ' + k.label + ' answers.';
    var gpu = a.gpu ? 'GPU ' + a.gpu : 'no GPU found';
    return 'Reachable: inference-mesh agent “' + (a.name || '?') + '”' + (a.version ? ', version ' + a.version : '') + ', ' + gpu + '.';
  }
  function testUrl(button) {
    var kind = button.dataset.kind;
    var out = $(button.dataset.result);
    var url;
    if (button.dataset.for === 'pick-node') {
      var opt = $('pick-node').selectedOptions[0];
      url = opt && opt.dataset.agentUrl ? opt.dataset.agentUrl : '';
      if (!url) { say(out, 'Choose a computer running the agent first.', 'bad'); return; }
    } else {
      url = $(button.dataset.for).value.trim();
      if (!url) { say(out, 'Enter an address first, such as http://192.168.1.20:11434.', 'bad'); return; }
    }
    button.disabled = true;
    say(out, 'Testing ' + url + '…');
    call('POST', '/api/v1/setup/test-connection', { kind: kind, url: url }).then(function (r) {
      button.disabled = false;
      if (r.status === 200 && r.body) say(out, describe(kind, r.body), r.body.ok ? 'ok' : 'bad');
      else if (r.status === 400 && r.body && r.body.error && Array.isArray(r.body.error.details)) say(out, 'Check the address: ' + r.body.error.details.join('; '), 'bad');
      else say(out, refusal(r), 'bad');
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll('button.test'), function (b) {
    b.addEventListener('click', function () { testUrl(b); });
  });

  // ---- offer windows ---------------------------------------------------------------------------
  var windows = $('windows');
  function windowRows() { return Array.prototype.slice.call(windows.querySelectorAll('fieldset.window')); }
  function renumber() {
    windowRows().forEach(function (row, i) {
      row.querySelector('.n').textContent = String(i + 1);
      row.querySelector('.remove-window').setAttribute('aria-label', 'Remove window ' + (i + 1));
      row.querySelector('input[name="day"]').id = 'f-offer-windows-' + i + '-days';
      row.querySelector('input[name="from"]').id = 'f-offer-windows-' + i + '-from';
      row.querySelector('input[name="to"]').id = 'f-offer-windows-' + i + '-to';
    });
    $('windows-empty').hidden = windowRows().length > 0;
  }
  function addWindow(w) {
    var row = $('window-template').content.firstElementChild.cloneNode(true);
    Array.prototype.forEach.call(row.querySelectorAll('input[name="day"]'), function (box) { box.checked = w.days.indexOf(box.value) !== -1; });
    row.querySelector('input[name="from"]').value = w.from;
    // <input type="time"> cannot show 24:00; 00:00 → 00:00 reads as "the whole day" (see collect()).
    row.querySelector('input[name="to"]').value = w.to === '24:00' ? '00:00' : w.to;
    row.querySelector('.remove-window').addEventListener('click', function () {
      row.remove();
      renumber();
      $('add-window').focus();
    });
    windows.appendChild(row);
    renumber();
    return row;
  }
  $('add-window').addEventListener('click', function () {
    var row = addWindow({ days: DAYS.slice(), from: '22:00', to: '07:00' });
    row.querySelector('input').focus();
  });
  function readWindows() {
    return windowRows().map(function (row) {
      var days = Array.prototype.filter.call(row.querySelectorAll('input[name="day"]'), function (b) { return b.checked; })
        .map(function (b) { return b.value; });
      var from = row.querySelector('input[name="from"]').value;
      var to = row.querySelector('input[name="to"]').value;
      return { days: days, from: from, to: from === '00:00' && to === '00:00' ? '24:00' : to };
    });
  }

  // ---- fill and collect ------------------------------------------------------------------------
  // Saved keys override agent.config.json; say which, and how to give them back to the file (issue 12).
  function showOverlay(s) {
    var keys = s.overridden || [];
    $('overlay-note').textContent = keys.length
      ? 'Saved here, these override agent.config.json: ' + keys.join(', ') + '. Edits of them in the file are ignored until you run: inference-mesh settings reset ' + (keys.length === 1 ? keys[0] : '[KEY]') + '.'
      : '';
    $('overlay-note').hidden = keys.length === 0;
    $('immich-key-hint').hidden = s.immichKey !== false;
  }
  function fill(s) {
    loaded = clone(s);
    var local = true;
    KINDS.forEach(function (k) {
      var service = s.services[k.id], f = urlField(k);
      if (!f) return;
      // A kind not enabled there has no address to set: its field stays hidden.
      f.closest('.field').hidden = !service || !service.enabled;
      f.value = service ? service.url : '';
      if (service && service.enabled && !isLoopback(service.url)) local = false;
    });
    $(local ? 'where-local' : 'where-remote').checked = true;
    showWhere();
    $('f-offer-timeZone').value = s.offer.timeZone || '';
    windowRows().forEach(function (r) { r.remove(); });
    (s.offer.windows || []).forEach(addWindow);
    renumber();
    $('f-offer-notWhile-processes').value = (s.offer.notWhile && s.offer.notWhile.processes || []).join('\n');
    $('f-offer-vramReserveMb').value = String(s.offer.vramReserveMb || 0);
    showOverlay(s);
    $('f-offer-coolDownSec').value = String(s.offer.coolDownSec === undefined ? 300 : s.offer.coolDownSec);
    KINDS.forEach(function (k) {
      var p = s.placement[k.id] || {};
      if (k.batchWork) $('f-placement-' + k.id + '-batchNodes').value = p.batchNodes ? p.batchNodes.join('\n') : '';
      else $('f-placement-' + k.id + '-prefer').value = (p.prefer || []).join('\n');
    });
  }
  function number(id) {
    var raw = $(id).value.trim();
    var n = Number(raw);
    // A value that is not a number goes as typed, so the agent's answer names the field.
    return raw === '' ? 0 : isNaN(n) ? raw : n;
  }
  function collect() {
    var services = {};
    var anyUrl = false;
    KINDS.forEach(function (k) {
      var f = urlField(k);
      var url = f && !f.closest('.field').hidden ? f.value.trim() : '';
      if (url) { services[k.id] = { url: url }; anyUrl = true; }
    });
    var offer = clone(loaded.offer);
    var zone = $('f-offer-timeZone').value.trim();
    if (zone) offer.timeZone = zone; else delete offer.timeZone;
    offer.windows = readWindows();
    offer.notWhile = Object.assign({}, offer.notWhile, { processes: lines($('f-offer-notWhile-processes').value) });
    offer.vramReserveMb = number('f-offer-vramReserveMb');
    offer.coolDownSec = number('f-offer-coolDownSec');
    var placement = clone(loaded.placement);
    KINDS.forEach(function (k) {
      placement[k.id] = placement[k.id] || {};
      if (!k.batchWork) { placement[k.id].prefer = lines($('f-placement-' + k.id + '-prefer').value); return; }
      var batch = lines($('f-placement-' + k.id + '-batchNodes').value);
      // Empty means "every computer with a GPU" (absent), not "none" ([] would hold batch work forever).
      if (batch.length) placement[k.id].batchNodes = batch; else delete placement[k.id].batchNodes;
    });
    var out = { offer: offer, placement: placement };
    if (anyUrl) out.services = services;
    return out;
  }

  // ---- save ------------------------------------------------------------------------------------
  function fieldFor(path) {
    var parts = path.split('.');
    for (var n = parts.length; n > 0; n--) {
      var el = $('f-' + parts.slice(0, n).join('-'));
      if (el) return el;
    }
    return null;
  }
  function clearInvalid() {
    Array.prototype.forEach.call(document.querySelectorAll('[aria-invalid="true"]'), function (el) { el.removeAttribute('aria-invalid'); });
  }
  function showProblems(details) {
    var box = $('save-result');
    var items = details.map(function (d) {
      var i = String(d).indexOf(': ');
      var path = i === -1 ? '' : String(d).slice(0, i);
      var el = path ? fieldFor(path) : null;
      if (el) el.setAttribute('aria-invalid', 'true');
      return '<li>' + (el ? '<a href="#' + esc(el.id) + '">' + esc(d) + '</a>' : esc(d)) + '</li>';
    }).join('');
    box.innerHTML = '<div class="problems"><h2 id="problems-h" tabindex="-1">Not saved: ' + details.length +
      (details.length === 1 ? ' problem' : ' problems') + ' to fix</h2><ul>' + items + '</ul></div>';
    $('problems-h').focus();
  }
  $('settings-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    if (!loaded) return;
    if (!IMAdmin.isAdmin()) { say($('save-result'), 'Log in first: changes need the admin credential.', 'bad'); return; }
    var button = $('save');
    button.disabled = true;
    clearInvalid();
    say($('save-result'), 'Saving…');
    call('PUT', settingsPath(), collect()).then(function (r) {
      button.disabled = false;
      if (r.status === 200) {
        if (r.body && r.body.offer && r.body.placement && r.body.services) fill(r.body);
        var opt = $('setup-node') && $('setup-node').selectedOptions[0];
        var there = opt && opt.dataset.self !== 'true' ? 'Saved on ' + esc(opt.textContent) + ' — in effect there now.' : 'Saved — in effect now.';
        $('save-result').innerHTML = '<p class="saved" id="saved-msg" tabindex="-1">' + there + '</p>';
        $('saved-msg').focus();
      } else if (r.status === 400 && r.body && r.body.error && Array.isArray(r.body.error.details) && r.body.error.details.length) {
        showProblems(r.body.error.details);
      } else {
        say($('save-result'), refusal(r), 'bad');
      }
    });
  });

  // ---- start -----------------------------------------------------------------------------------
  if (typeof Intl.supportedValuesOf === 'function') {
    var list = $('zones');
    Intl.supportedValuesOf('timeZone').forEach(function (z) { var o = document.createElement('option'); o.value = z; list.appendChild(o); });
  }
  IMAdmin.checkSession().then(function () {
    // /login redirects here with #login: put the cursor where the credential goes.
    if (location.hash === '#login' && !IMAdmin.isAdmin()) $('admin-token').focus();
  });
  function load() {
    loaded = null;
    $('save').disabled = true;
    $('save-result').textContent = '';
    var who = $('setup-node') && $('setup-node').selectedOptions[0] ? $('setup-node').selectedOptions[0].textContent : 'this computer';
    say($('load-status'), 'Loading the settings of ' + who + '…');
    call('GET', settingsPath()).then(function (r) {
      if (r.status === 200 && r.body && r.body.offer && r.body.placement && r.body.services) {
        fill(r.body);
        $('save').disabled = false;
        say($('load-status'), '');
      } else {
        say($('load-status'), 'Could not load the settings of ' + who + ': ' + refusal(r) + ' Saving is off so nothing is overwritten; choose it again or reload the page to try again.', 'bad');
      }
    });
  }
  if ($('setup-node')) $('setup-node').addEventListener('change', load);
  load();
})();
`;
