/**
 * Requests to the agent and the admin session, for the setup page (defines the global IMAdmin):
 * - `call` wraps fetch: JSON in and out, `{ status: 0 }` when the agent cannot be reached.
 * - `refusal` turns a refused request into plain words. The agent's own error messages are
 *   written for people (api/admin-auth.ts), so they are shown as they come; a 401 also flips the
 *   page back to the login form.
 * - GET /api/v1/session decides between the Save button and the login form; login and logout are
 *   POST /api/v1/login and /api/v1/logout. Browsers add the Origin header the agent's CSRF check
 *   wants to every POST and PUT fetch, and send the SameSite=Strict cookie with same-origin ones.
 *
 * Plain ES2017 in a String.raw template: no backticks and no dollar-brace sequences inside.
 */
export const ADMIN_JS = String.raw`
var IMAdmin = (function () {
  'use strict';
  if (document.body.getAttribute('data-page') !== 'setup') return null;
  var admin = false;
  function $(id) { return document.getElementById(id); }
  function say(el, text, kind) {
    if (!el) return;
    el.textContent = text;
    el.className = 'result' + (kind ? ' ' + kind : '');
  }

  /** A JSON request to the agent; resolves to { status, body } or { status: 0, error } when unreachable. */
  function call(method, url, payload) {
    var init = { method: method, credentials: 'same-origin', headers: { accept: 'application/json' } };
    if (payload !== undefined) { init.headers['content-type'] = 'application/json'; init.body = JSON.stringify(payload); }
    return fetch(url, init).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (body) { return { status: res.status, body: body }; });
    }, function (err) { return { status: 0, body: null, error: String(err && err.message || err) }; });
  }

  function refusal(r) {
    var err = r.body && r.body.error ? r.body.error : null;
    var msg = err && err.message ? err.message : '';
    if (r.status === 0) return 'Could not reach the agent (' + r.error + '). Is it still running?';
    if (r.status === 401) {
      setAdmin(false);
      return 'You are not logged in (or your login has expired). Log in with the admin credential at the top of this page, then try again.';
    }
    if (r.status === 403) return 'Refused: ' + (msg || 'this browser may not change settings.');
    if (r.status === 429) return msg || 'Too many failed logins; wait a minute and try again.';
    if (r.status === 503) return msg || 'The agent is still starting; try again in a moment.';
    return msg || 'The agent answered with HTTP ' + r.status + '.';
  }

  function setAdmin(on) {
    admin = on;
    $('login').hidden = on;
    $('save-area').hidden = !on;
    $('logout').hidden = !on;
    // The settings are read-only until then (issue 16).
    var fields = $('settings-fields');
    if (fields) fields.disabled = !on;
    $('session-status').textContent = on ? 'You are logged in as admin.' : 'You are not logged in: changes need the admin credential (log in below).';
  }
  function checkSession() {
    return call('GET', '/api/v1/session').then(function (r) { setAdmin(r.status === 200 && !!(r.body && r.body.admin)); });
  }

  $('login-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var input = $('admin-token');
    var out = $('login-result');
    say(out, 'Logging in…');
    call('POST', '/api/v1/login', { token: input.value.trim() }).then(function (r) {
      if (r.status === 200) {
        input.value = '';
        say(out, '');
        setAdmin(true);
        $('session-status').focus();
      } else {
        say(out, r.status === 400 ? 'Enter the admin credential first.' : refusal(r), 'bad');
        input.focus();
      }
    });
  });
  $('logout').addEventListener('click', function () {
    call('POST', '/api/v1/logout').then(function (r) {
      if (r.status === 200) { setAdmin(false); $('admin-token').focus(); }
      else say($('save-result'), refusal(r), 'bad');
    });
  });

  return { call: call, refusal: refusal, say: say, checkSession: checkSession, isAdmin: function () { return admin; } };
})();
`;
