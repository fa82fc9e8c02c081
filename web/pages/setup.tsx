/**
 * `/setup`: where this computer's services are, its offer, and the placement policy, as one form,
 * plus the login form changes need. The server renders every field with its label; the client
 * script (web/static/setup-js.ts) fills them from GET /api/v1/settings, checks the session, and
 * sends the form. Field ids are `f-` + the settings path with dots as dashes, so a 400's
 * "offer.windows.0.to: …" can point at its field.
 */
import { ALL_KINDS, KIND_IDS, type KindId } from '../../agent/kernel/kinds.js';
import type { FC } from 'hono/jsx';
import type { NodeRecord } from '../../discovery/types.js';
import { DAYS } from '../../agent/kernel/shapes/time-window.js';
import { nodeChoices, type NodeChoice } from '../view/node-urls.js';
import { WeekChart } from '../components/week-chart.js';
import { NARROW_WIDTH, WIDE_WIDTH } from '../components/timeline-svg.js';

const DAY_LABELS: Record<(typeof DAYS)[number], string> = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' };

const UrlField: FC<{ id: string; label: string; kind: KindId; example: string }> = ({ id, label, kind, example }) => (
  <div class="field">
    <label for={id}>{label}</label>
    <input type="url" id={id} name={id} inputmode="url" autocomplete="off" spellcheck={false} placeholder={example} aria-describedby={`${id}-result`} />
    <div class="inline">
      <button type="button" class="test" data-kind={kind} data-for={id} data-result={`${id}-result`} aria-label={`Test connection to the ${label.toLowerCase()}`}>
        Test connection
      </button>
    </div>
    <p id={`${id}-result`} class="result" aria-live="polite"></p>
  </div>
);

const NodePicker: FC<{ choices: NodeChoice[] }> = ({ choices }) => (
  <div id="remote-pick" class="field" hidden>
    <label for="pick-node">Pick a computer found on your network</label>
    <select id="pick-node" aria-describedby="pick-node-result">
      <option value="">{choices.length === 0 ? 'None found yet — type the addresses below' : 'Choose a computer…'}</option>
      {choices.map((c) => (
        <option
          value={c.nodeId}
          data-name={c.name}
          data-agent-url={c.agentUrl ?? undefined}
          {...Object.fromEntries(KIND_IDS.map((k) => [`data-url-${k}`, c.urls[k] ?? undefined]))}
        >
          {c.host ? `${c.name} (${c.host})` : c.name}
        </option>
      ))}
    </select>
    <div class="inline">
      <button type="button" class="test" data-kind="agent" data-for="pick-node" data-result="pick-node-result" aria-label="Test connection to the chosen computer">
        Test connection
      </button>
    </div>
    <p id="pick-node-result" class="result" aria-live="polite"></p>
  </div>
);

/** One offer window; cloned by the client for each row (ids are set there, see the file comment). */
const WindowTemplate: FC = () => (
  <template id="window-template">
    <fieldset class="window">
      <legend>
        Window <span class="n">1</span>
      </legend>
      <fieldset class="days">
        <legend>Starts on</legend>
        {DAYS.map((d) => (
          <label>
            <input type="checkbox" name="day" value={d} /> {DAY_LABELS[d]}
          </label>
        ))}
      </fieldset>
      <div class="times">
        <label>
          From
          <input type="time" name="from" required />
        </label>
        <label>
          To
          <input type="time" name="to" required />
        </label>
        <button type="button" class="remove-window" aria-label="Remove window 1">
          Remove
        </button>
      </div>
    </fieldset>
  </template>
);

const Where: FC<{ choices: NodeChoice[] }> = ({ choices }) => (
  <section aria-labelledby="where-h">
    <fieldset class="choices">
      <legend>
        <h2 id="where-h">Where are this computer's {ALL_KINDS.filter((d) => d.enabledByDefault).map((d) => d.label).join(' and ')}?</h2>
      </legend>
      <label>
        <input type="radio" name="where" id="where-local" value="local" /> On this computer itself
      </label>
      <label>
        <input type="radio" name="where" id="where-remote" value="remote" /> On another computer
      </label>
    </fieldset>
    <NodePicker choices={choices} />
    {/* A kind that is not enabled here is hidden by the client script once the settings are loaded. */}
    {ALL_KINDS.map((d) => (
      <UrlField id={`f-services-${d.id}-url`} label={`${d.label} address`} kind={d.id} example={d.defaultUrl} />
    ))}
    <p id="immich-key-hint" class="muted" hidden>
      Tip: on the computer Immich sends its machine-learning requests to, give the agent an Immich admin API key (<code>immich.serverUrl</code> and{' '}
      <code>immich.apiKeyFile</code> in agent.config.json). Then photo indexing waits for a GPU computer instead of running on this one's CPU; without
      it, indexing never fails but may be slow.
    </p>
  </section>
);

const Offer: FC = () => (
  <section aria-labelledby="offer-h">
    <h2 id="offer-h">When may this computer be used?</h2>
    <div class="field">
      <label for="f-offer-timeZone">Time zone of the windows</label>
      <input type="text" id="f-offer-timeZone" list="zones" autocomplete="off" spellcheck={false} aria-describedby="zone-hint" />
      <datalist id="zones"></datalist>
      <p id="zone-hint" class="hint">
        An IANA name such as Europe/London. Leave empty for this computer's own zone.
      </p>
    </div>
    <div class="field" role="group" aria-labelledby="windows-h">
      <p id="windows-h" class="label">
        Time windows
      </p>
      <p id="windows-empty" class="hint">
        No windows: offered at any time.
      </p>
      <div id="windows"></div>
      <p class="hint">A window that ends before it starts runs past midnight (22:00 to 07:00). From midnight to midnight (00:00 to 00:00) is the whole day.</p>
      <button type="button" id="add-window">
        Add a window
      </button>
    </div>
    <div class="field">
      <label for="f-offer-notWhile-processes">Games and programs that take this computer out while they run</label>
      <textarea id="f-offer-notWhile-processes" rows={4} spellcheck={false} aria-describedby="games-hint"></textarea>
      <p id="games-hint" class="hint">
        One per line, such as cs2.exe or steam. Upper or lower case and “.exe” do not matter.
      </p>
    </div>
    <div class="field">
      <label for="f-offer-vramReserveMb">VRAM to keep free for the owner (MB)</label>
      <input type="number" id="f-offer-vramReserveMb" min={0} step={1} inputmode="numeric" />
    </div>
    <div class="field">
      <label for="f-offer-coolDownSec">Cool-down after a game ends (seconds)</label>
      <input type="number" id="f-offer-coolDownSec" min={0} max={86400} step={1} inputmode="numeric" aria-describedby="cool-hint" />
      <p id="cool-hint" class="hint">
        How long to wait before offering the computer again, in case the game starts again.
      </p>
    </div>
  </section>
);

const Policy: FC<{ names: string[] }> = ({ names }) => (
  <section aria-labelledby="policy-h">
    <h2 id="policy-h">Which computers come first?</h2>
    <p class="hint">Known computers: {names.length > 0 ? names.join(', ') : 'none yet'}.</p>
    {ALL_KINDS.map((d) =>
      d.traits.batchWork ? (
        <div class="field">
          <label for={`f-placement-${d.id}-batchNodes`}>{d.label}: computers that may do the indexing</label>
          <textarea id={`f-placement-${d.id}-batchNodes`} rows={3} spellcheck={false} aria-describedby={`${d.id}-batch-hint`}></textarea>
          <p id={`${d.id}-batch-hint`} class="hint">
            One name per line. Leave empty for every computer with a GPU.
          </p>
        </div>
      ) : (
        <div class="field">
          <label for={`f-placement-${d.id}-prefer`}>{d.label}: preferred computers, best first</label>
          <textarea id={`f-placement-${d.id}-prefer`} rows={3} spellcheck={false} aria-describedby={`${d.id}-prefer-hint`}></textarea>
          <p id={`${d.id}-prefer-hint`} class="hint">
            One name per line. Others follow by priority and VRAM.
          </p>
        </div>
      ),
    )}
  </section>
);

const Login: FC = () => (
  <section id="login" class="panel" aria-labelledby="login-h" hidden>
    <h2 id="login-h">Log in to change settings</h2>
    <form id="login-form">
      <div class="field">
        <label for="admin-token">Admin credential</label>
        <input type="password" id="admin-token" name="token" autocomplete="current-password" spellcheck={false} required aria-describedby="token-hint" />
        <p id="token-hint" class="hint">
          Run <code>inference-mesh admin-token</code> on the agent's machine (the computer serving this page) to print it.
        </p>
      </div>
      <button type="submit" class="primary">
        Log in
      </button>
      <p id="login-result" class="result" aria-live="polite"></p>
    </form>
  </section>
);

/**
 * Issue 16, one place to set up the mesh: the page edits this computer or any other agent of the
 * mesh; the script loads and saves through /api/v1/nodes/{id}/settings, and the change travels to
 * that computer signed with the mesh key.
 */
const MachinePicker: FC<{ nodes: NodeRecord[] }> = ({ nodes }) => {
  const agents = nodes.filter((n) => !n.sources.includes('endpoint'));
  return (
    <div class="panel field">
      <label for="setup-node">Settings of</label>
      <select id="setup-node" aria-describedby="setup-node-note">
        {agents.map((n, i) => (
          <option value={n.nodeId} data-self={i === 0 && n.sources.includes('self') ? 'true' : undefined}>
            {i === 0 && n.sources.includes('self') ? `${n.name} (this computer)` : n.state === 'up' ? n.name : `${n.name} (${n.state === 'down' ? 'off or unreachable' : 'not answering'})`}
          </option>
        ))}
      </select>
      <p id="setup-node-note" class="muted">
        Each computer in your mesh can be set up from here; a change is sent to that computer and kept there, as if made on its own page.
      </p>
    </div>
  );
};

/**
 * "Models this machine doesn't have" (issue 16): outside the GPU computer's window a chat for a model
 * only it has fails with "model not found"; `proxy.modelFallbacks` answers it with a smaller model.
 */
const Fallbacks: FC<{ nodes: NodeRecord[] }> = ({ nodes }) => {
  const self = nodes[0];
  const mine = new Set(self?.advert?.services.ollama?.models.map((m) => m.name) ?? []);
  const elsewhere = new Map<string, string[]>();
  for (const n of nodes.slice(1)) for (const m of n.advert?.services.ollama?.models ?? []) if (!mine.has(m.name)) elsewhere.set(m.name, [...(elsewhere.get(m.name) ?? []), n.name]);
  if (!self || elsewhere.size === 0) return null;
  const [first] = [...elsewhere.keys()];
  const small = [...mine][0] ?? 'a-smaller-model';
  return (
    <section id="fallbacks" class="panel" aria-labelledby="fallbacks-h">
      <h2 id="fallbacks-h">Models {self.name} doesn't have</h2>
      <ul>
        {[...elsewhere].map(([model, on]) => (
          <li>
            {model} — on {on.join(', ')}
          </li>
        ))}
      </ul>
      <p>
        When those computers are away (switched off, outside their window, in a game), a chat for these models fails with "model not found". To answer it
        with a model {self.name} has instead, add to {self.name}'s agent.config.json:
      </p>
      <pre>
        <code>{JSON.stringify({ proxy: { modelFallbacks: { [first ?? 'llama3.1:8b']: small } } }, null, 2)}</code>
      </pre>
      <p class="hint">The answer keeps the model name the client asked for; the header x-inference-mesh-model says which model ran.</p>
    </section>
  );
};

/** Every computer's week at a glance (issue 16), as the windows in effect now say. */
const Week: FC<{ nodes: NodeRecord[]; nowMs: number; zone: string }> = ({ nodes, nowMs, zone }) => (
  <section class="panel" aria-labelledby="week-h">
    <h2 id="week-h">The week ahead</h2>
    <WeekChart nodes={nodes} nowMs={nowMs} zone={zone} width={NARROW_WIDTH} />
    <WeekChart nodes={nodes} nowMs={nowMs} zone={zone} width={WIDE_WIDTH} />
    <p class="hint">Green: offered. A thin band: a manual override. An amber mark: a game running now. Reload after saving to see a change.</p>
  </section>
);

export const SetupPage: FC<{ nodes: NodeRecord[]; nowMs: number; zone: string }> = ({ nodes, nowMs, zone }) => (
  <>
    <MachinePicker nodes={nodes} />
    <Week nodes={nodes} nowMs={nowMs} zone={zone} />
    <div class="panel">
      <p id="session-status" tabindex={-1} aria-live="polite">
        Checking whether you are logged in…
      </p>
      <button type="button" id="logout" hidden>
        Log out
      </button>
    </div>
    <p id="load-status" class="result" aria-live="polite">
      Loading the current settings…
    </p>
    {/* Filled from GET /api/v1/settings: which saved keys override the config file (issue 12). */}
    <p id="overlay-note" class="muted" hidden></p>
    <noscript>
      <p class="problems">This page needs JavaScript to load and save settings.</p>
    </noscript>
    {/* Login first (issue 16): on a phone it was at the end of a long page. A form cannot sit inside another, so it comes before the settings form. */}
    <Login />
    <form id="settings-form">
      {/* Read-only until logged in: the script enables it for the admin (admin-js.ts). */}
      <fieldset id="settings-fields" class="bare" disabled>
        <Where choices={nodeChoices(nodes)} />
        <Offer />
        <Policy names={nodes.map((n) => n.name)} />
      </fieldset>
      <div id="save-area" hidden>
        <button type="submit" id="save" class="primary" disabled>
          Save
        </button>
      </div>
      <div id="save-result" class="result" aria-live="polite"></div>
    </form>
    <Fallbacks nodes={nodes} />
    <WindowTemplate />
  </>
);
