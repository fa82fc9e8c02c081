/**
 * The OpenAPI 3.1 document of the agent (`GET /api/v1/openapi.json`), generated from the same zod
 * schemas the routes and the registry use, so the reference cannot drift from the code. OpenAPI 3.1
 * speaks JSON Schema 2020-12, which is what `z.toJSONSchema` emits.
 *
 * `API_OPERATIONS` is the one table of every endpoint; test/unit/api/openapi.test.ts checks it
 * against the routes the app really serves, both ways.
 */
import { ALL_KINDS, KIND_IDS, type KindDescriptor } from '../agent/kernel/kinds.js';
import { z } from 'zod';
import { nodeAdvertSchema } from '../discovery/advert.js';
import { AUTH_HEADERS } from '../discovery/peer-auth.js';
import { serviceEndpointSchema } from '../discovery/endpoint-schema.js';
import { httpUrlSchema } from '../agent/kernel/shapes/http-url.js';
import { nodeRecordSchema, nodeStateSchema, peerPathSchema, peerSourceSchema } from '../discovery/types.js';
import { candidateSchema, kindPlacementSchema } from '../scheduler/placement-view.js';
import { placementAnswerSchema } from '../scheduler/routing-status.js';
import { historyEntrySchema } from '../scheduler/history-schema.js';
import { speedAnswerSchema } from '../agent/kernel/shapes/speed.js';
import { kindIdSchema } from '../agent/kernel/kinds.js';
import { offerOverrideSchema, pinSchema } from '../agent/kernel/shapes/override.js';
import { benchAnswerSchema, benchBodySchema } from '../agent/kernel/shapes/bench.js';
import { settingsResetSchema, settingsSchema, settingsViewSchema, testConnectionResultSchema, testConnectionSchema } from '../agent/kernel/shapes/settings.js';
// Request bodies: the same schemas the routes parse with (one schema per shape).
import { loginBody, SESSION_COOKIE } from './admin-auth.js';
import { addPeerSchema as addPeerBody, removePeerSchema as removePeerBody } from './routes/peers.js';

/** The component of each error shape a routed kind answers in. */
const ERROR_COMPONENT: Record<KindDescriptor['errorShape'], string> = { ollama: 'OllamaError', fastapi: 'FastApiError', openai: 'OpenAiError' };
import { offerBody as offerOverrideBody, pinBody } from './routes/placement.js';

/** The error body of every JSON endpoint (api/errors.ts `ErrorBody`). */
const errorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});

const origin = z.enum(['config', 'api']);
const staticPeersList = z.object({
  peers: z.array(z.object({ url: z.string(), origin })),
  endpoints: z.array(serviceEndpointSchema.safeExtend({ origin })),
});

type Meta = { id: string; description: string };

/** Shapes sent by the client: converted with `io: 'input'` (fields with a default are optional). */
function requestSchemas(): z.core.$ZodRegistry<Meta> {
  const reg = z.registry<Meta>();
  reg.add(addPeerBody, {
    id: 'AddPeerRequest',
    description: 'Either another agent, by its base URL, or a plain Ollama / Immich ML endpoint on a machine without the agent, with the name it gets in the mesh.',
  });
  reg.add(removePeerBody, { id: 'RemovePeerRequest', description: 'The static agent to forget, by URL, or the plain endpoint, by name.' });
  reg.add(offerOverrideBody, {
    id: 'OfferOverrideRequest',
    description: '`offer`: offer this machine now, whatever its windows say; `out`: take it out; `auto`: back to the configured windows. `forSec` limits the override (null or absent: until changed).',
  });
  reg.add(pinBody, { id: 'PinRequest', description: 'Route the service kind to this node (name or id), for `forSec` seconds (null or absent: until unpinned).' });
  reg.add(loginBody, { id: 'LoginRequest', description: "The admin credential (`inference-mesh admin-token` prints it on the agent's machine)." });
  reg.add(settingsResetSchema, { id: 'SettingsResetRequest', description: 'The saved keys to drop, e.g. ["offer.coolDownSec"] or ["offer"]; none = all.' });
  reg.add(settingsSchema, { id: 'SettingsRequest', description: 'Any of: where this node\'s services are, its offer, the placement policy. Saved over the config file; in effect at once.' });
  reg.add(benchBodySchema, { id: 'BenchRequest', description: 'The Ollama model to measure; `{}`: the model most nodes have.' });
  reg.add(testConnectionSchema, { id: 'TestConnectionRequest', description: 'A URL to try once: an Ollama server, an Immich ML server, or another agent.' });
  return reg;
}

/** Shapes sent by the agent: converted with `io: 'output'`. */
function responseSchemas(): z.core.$ZodRegistry<Meta> {
  const reg = z.registry<Meta>();
  reg.add(errorBody, {
    id: 'Error',
    description:
      'Every error of the JSON API: a stable `code` (`bad_request`, `admin_required`, `admin_token_wrong`, `csrf`, `too_many_failures`, `not_found`, `conflict`, `not_started`, `admin_unavailable`, `peer_auth_failed`, ...), a message for people, and for a bad body the list of problems in `details`.',
  });
  reg.add(kindIdSchema, { id: 'KindId', description: 'A service the mesh places and routes.' });
  reg.add(nodeAdvertSchema, { id: 'NodeAdvert', description: "A node's full advert: identity, hardware, services, activity, network, probe status and its offer." });
  reg.add(peerSourceSchema, { id: 'PeerSource', description: 'Where a node was learnt of.' });
  reg.add(nodeStateSchema, { id: 'NodeState', description: 'Liveness as seen by this agent.' });
  reg.add(peerPathSchema, { id: 'PeerPath', description: "One way to reach a node's agent, with the result of the last health check on it." });
  reg.add(nodeRecordSchema, { id: 'NodeRecord', description: 'A node of the mesh as this agent sees it, merged from every source.' });
  reg.add(z.object({ nodes: z.array(nodeRecordSchema) }), { id: 'NodeList', description: 'Every node of the mesh, this one first.' });
  reg.add(staticPeersList, {
    id: 'StaticPeers',
    description: 'Static agent URLs and plain service endpoints; `origin` says whether they come from the config file (read-only here) or were added through the API.',
  });
  reg.add(z.object({ added: addPeerBody }), { id: 'PeerAdded', description: 'The peer or endpoint that was added.' });
  reg.add(z.object({ removed: removePeerBody }), { id: 'PeerRemoved', description: 'The peer or endpoint that was removed.' });
  reg.add(speedAnswerSchema, {
    id: 'SpeedAnswer',
    description:
      'Per node (its first GPU, or null) the figures it measured while serving, per Ollama model and Immich ML task: medians over its last answers (at most 20, or 10 minutes) of generation and prompt tokens/s, time to first token and load time (ms), or `/predict` latency; with the sample count, the newest sample\'s time on that node\'s clock (`atMs`, for the age) and the source (`traffic` or `bench`).',
  });
  reg.add(candidateSchema, { id: 'Candidate', description: 'One node considered for a service, with why it is or is not eligible.' });
  reg.add(kindPlacementSchema, { id: 'KindPlacement', description: 'The elected node of one service kind and every candidate.' });
  reg.add(placementAnswerSchema, {
    id: 'Placement',
    description: 'The current election, per service kind, and when it may change by itself; with `routing`: where requests go first right now and which nodes failed routed requests lately ("elected X, unreachable").',
  });
  reg.add(historyEntrySchema, { id: 'HistoryEntry', description: 'A placement change or an action taken because of one.' });
  reg.add(z.object({ entries: z.array(historyEntrySchema) }), { id: 'History', description: 'History entries, oldest first.' });
  reg.add(offerOverrideSchema, { id: 'OfferOverride', description: "A manual override of this node's offer." });
  reg.add(pinSchema, { id: 'Pin', description: 'A manual pin of a service kind to a node.' });
  reg.add(z.object({ offer: offerOverrideSchema.nullable(), pins: z.array(pinSchema) }), {
    id: 'Overrides',
    description: "This node's offer override (null: none) and the pins in force.",
  });
  reg.add(z.object({ offer: offerOverrideSchema.nullable() }), { id: 'OfferOverrideSet', description: 'The override now in force (null after `auto`).' });
  reg.add(z.object({ pin: pinSchema }), { id: 'PinSet', description: 'The pin now in force.' });
  reg.add(z.object({ removed: kindIdSchema }), { id: 'PinRemoved', description: 'The service kind that is no longer pinned.' });
  reg.add(z.object({ status: z.literal('ok') }), { id: 'Health', description: 'The agent answers.' });
  reg.add(z.object({ admin: z.literal(true), expiresAtMs: z.number() }), { id: 'LoginResult', description: 'Logged in; the session cookie is set and lasts until `expiresAtMs`.' });
  reg.add(z.object({ admin: z.boolean() }), { id: 'AdminSession', description: 'Whether the request carries a valid admin credential (a bearer token or a session cookie).' });
  reg.add(z.object({ nodeId: z.string(), seq: z.number().int().nonnegative(), leaving: z.boolean() }), {
    id: 'PeerPing',
    description: "The node's id, its advert's change counter and whether it is stopping.",
  });
  reg.add(z.object({ seq: z.number().int().nonnegative(), advert: nodeAdvertSchema }), { id: 'PeerAdvert', description: 'The advert with its change counter.' });
  reg.add(settingsViewSchema, { id: 'Settings', description: "This node's services, offer and placement policy as in effect now." });
  reg.add(z.object({ dropped: z.array(z.string()), settings: settingsViewSchema }), { id: 'SettingsResetResult', description: 'The keys dropped and the settings now in effect.' });
  reg.add(benchAnswerSchema, {
    id: 'BenchResult',
    description: 'Per node that has the model: generation and prompt tokens/s, time to the first token and load time, or `skipped` with the reason (not offered now, or the call failed).',
  });
  reg.add(testConnectionResultSchema, { id: 'TestConnectionResult', description: 'Reachable or not (with the reason), and what answered: version, models, GPU, name.' });
  // The error shapes of the routed endpoints, one per shape a kind's clients read (agent/kernel/kinds.ts).
  reg.add(z.object({ error: z.string() }), { id: ERROR_COMPONENT.ollama, description: "Ollama's own error shape (OpenAI's on its /v1 paths)." });
  reg.add(z.object({ detail: z.string() }), { id: ERROR_COMPONENT.fastapi, description: "FastAPI's error shape, which Immich ML's clients read." });
  reg.add(z.object({ error: z.object({ message: z.string(), type: z.string(), param: z.string().nullable(), code: z.string().nullable() }) }), {
    id: ERROR_COMPONENT.openai,
    description: "OpenAI's error object, which the OpenAI SDKs read.",
  });
  return reg;
}

/**
 * Checks zod cannot express in JSON Schema (a `.refine`, a URL protocol), added to the schemas that
 * carry them so the document refuses what the routes refuse.
 */
function addUnrepresentedChecks(ctx: { zodSchema: unknown; jsonSchema: Record<string, unknown> }): void {
  if (ctx.zodSchema === httpUrlSchema) {
    // z.url({ protocol: /^https?$/ }) only emits `format: uri`; the URL parser lowercases the scheme.
    ctx.jsonSchema.pattern = '^[Hh][Tt][Tt][Pp][Ss]?:';
  }
  if (ctx.zodSchema === serviceEndpointSchema) {
    // Its `.refine`: needs the URL of at least one kind.
    const urls = (ctx.jsonSchema.properties as Record<string, Record<string, unknown>> | undefined)?.urls;
    if (urls) urls.anyOf = KIND_IDS.map((k) => ({ required: [k] }));
  }
}

export type JsonSchema = Record<string, unknown>;

const COMPONENT_REF = '#/components/schemas/';

function convert(reg: z.core.$ZodRegistry<Meta>, io: 'input' | 'output'): Record<string, JsonSchema> {
  const out = z.toJSONSchema(reg, {
    io,
    metadata: reg,
    target: 'draft-2020-12',
    unrepresentable: 'any',
    uri: (id) => `${COMPONENT_REF}${id}`,
    override: addUnrepresentedChecks,
  }) as { schemas: Record<string, JsonSchema> };
  const schemas: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(out.schemas)) {
    // Inside an OpenAPI document the component's place is its identity: no `$schema` or `$id`.
    const { $schema: _schema, $id: _id, ...rest } = schema;
    schemas[id] = rest;
  }
  return schemas;
}

/** Every component schema of the document, keyed by name. */
export function componentSchemas(): Record<string, JsonSchema> {
  const responses = convert(responseSchemas(), 'output');
  const requests = convert(requestSchemas(), 'input');
  for (const id of Object.keys(requests)) {
    if (id in responses) throw new Error(`openapi: component ${id} is both a request and a response schema`);
  }
  return {
    ...responses,
    ...requests,
    // api/proxy/stats.ts describes the snapshot with a TypeScript interface only (no zod schema yet).
    ProxyStatsSnapshot: {
      type: 'object',
      description:
        'What the routing proxy did since `sinceMs`: per service kind, requests without any node (`noCandidate`) and per node counters (`requests`, `errors`, `aborted`, `failovers`, `unreachable`) with latency percentiles (`firstByteMs`, `totalMs`: p50, p90, p99, estimated from histogram buckets); and the most recent requests, newest first.',
      properties: {
        sinceMs: { type: 'number' },
        kinds: { type: 'object', required: [...KIND_IDS], properties: Object.fromEntries(KIND_IDS.map((k) => [k, { type: 'object' }])) },
        recent: { type: 'array', items: { type: 'object' } },
      },
      required: ['sinceMs', 'kinds', 'recent'],
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The endpoints
// ---------------------------------------------------------------------------------------------

export type HttpMethod = 'get' | 'post' | 'put' | 'delete';
/** Who may call: anyone; the admin (state changes); another agent of the mesh; a client of the routed endpoints. */
export type Access = 'public' | 'admin' | 'peer' | 'routed';
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 421 | 429 | 503;

type Body =
  | { kind: 'json'; schema: string }
  /** JSON not described by a schema of its own (the OpenAPI document). */
  | { kind: 'json-document' }
  | { kind: 'text'; mediaType: string }
  | { kind: 'event-stream' }
  | { kind: 'pass-through' };

interface Parameter {
  name: string;
  in: 'path' | 'query';
  description: string;
  schema: JsonSchema;
}

export interface ApiOperation {
  method: HttpMethod;
  /** OpenAPI path template, e.g. `/api/v1/overrides/pins/{kind}`. */
  path: string;
  /** `app`: the Hono app (api/app.ts); `proxy`: the raw router in front of it (api/proxy/router.ts). */
  servedBy: 'app' | 'proxy';
  operationId: string;
  tag: string;
  summary: string;
  description: string;
  access: Access;
  /** Routed operations: the error shape of their kind (a 403 is answered in it). */
  errorShape?: KindDescriptor['errorShape'];
  parameters?: Parameter[];
  /** Component name of the JSON request body. */
  requestBody?: string;
  success: { status: number; description: string; body: Body };
  /** Error answers, with what they mean here (the body is always the `Error` schema). */
  errors?: Partial<Record<ErrorStatus, string>>;
}

const kindParam: Parameter = { name: 'kind', in: 'path', description: 'The service kind: `ollama` or `immich-ml`.', schema: { $ref: `${COMPONENT_REF}KindId` } };
const notStarted = 'The agent is still starting (`not_started`).';
const NODE_PARAM: Parameter = { name: 'nodeId', in: 'path', description: 'The node id (32 lowercase hex digits, from `GET /api/v1/nodes`); this node\'s own id works too.', schema: { type: 'string' } };
const misdirected = 'Signed for another node, or dialled at an address that is not this agent\'s own: a relay or a replay (`peer_misdirected`).';
const adminUnavailable = 'The agent is still starting and cannot check the admin credential yet (`admin_unavailable`).';
const tooManyFailures = 'Too many wrong credentials from this client; try again after `Retry-After` seconds (`too_many_failures`).';
const badBody = 'The body is not JSON or does not match the schema; `details` lists every problem as `path: message`.';

const json = (schema: string): Body => ({ kind: 'json', schema });

export const API_OPERATIONS: readonly ApiOperation[] = [
  {
    method: 'get',
    path: '/api/v1/health',
    servedBy: 'app',
    operationId: 'getHealth',
    tag: 'agent',
    summary: 'Is the agent up',
    description: 'Answers as long as the agent runs. It says nothing about Ollama, Immich ML or the peers on purpose.',
    access: 'public',
    success: { status: 200, description: 'The agent answers.', body: json('Health') },
  },
  {
    method: 'post',
    path: '/api/v1/login',
    servedBy: 'app',
    operationId: 'login',
    tag: 'admin',
    summary: 'Log in with the admin credential',
    description: `For the web page: checks the admin credential and sets the \`${SESSION_COOKIE}\` session cookie (HttpOnly, SameSite=Strict), which then authorises changes made from the page. A login from another site is refused; wrong credentials are limited per client.`,
    access: 'public',
    requestBody: 'LoginRequest',
    success: { status: 200, description: 'Logged in; `Set-Cookie` carries the session.', body: json('LoginResult') },
    errors: {
      400: badBody,
      403: 'The credential is wrong (`admin_token_wrong`), or the request came from another site (`csrf`).',
      429: tooManyFailures,
      503: adminUnavailable,
    },
  },
  {
    method: 'post',
    path: '/api/v1/logout',
    servedBy: 'app',
    operationId: 'logout',
    tag: 'admin',
    summary: 'Log out',
    description: 'Ends the session of the cookie sent, on the agent too (a copied cookie stops working), and clears the cookie.',
    access: 'public',
    success: { status: 200, description: 'Logged out.', body: json('AdminSession') },
    errors: { 403: 'The request came from another site (`csrf`).' },
  },
  {
    method: 'get',
    path: '/api/v1/session',
    servedBy: 'app',
    operationId: 'getSession',
    tag: 'admin',
    summary: 'Is this client the admin',
    description: 'Whether the request carries a valid admin credential, so the web page knows whether to offer changes or a login.',
    access: 'public',
    success: { status: 200, description: 'Whether the client is the admin.', body: json('AdminSession') },
    errors: { 429: tooManyFailures },
  },
  {
    method: 'get',
    path: '/api/v1/node',
    servedBy: 'app',
    operationId: 'getNode',
    tag: 'agent',
    summary: "This node's advert",
    description: "This machine as its agent sees it: identity, hardware (CPU, memory, GPUs and VRAM), the local Ollama and Immich ML, running games and GPU load, network interfaces, each probe's status, and its offer.",
    access: 'public',
    success: { status: 200, description: 'The advert.', body: json('NodeAdvert') },
    errors: { 503: notStarted },
  },
  {
    method: 'get',
    path: '/api/v1/nodes',
    servedBy: 'app',
    operationId: 'listNodes',
    tag: 'mesh',
    summary: 'Every node of the mesh',
    description: 'All nodes this agent knows of, this one first, merged from mDNS, the tailnet and the static list, each with its state, the ways to reach it and its last advert.',
    access: 'public',
    success: { status: 200, description: 'The nodes.', body: json('NodeList') },
  },
  {
    method: 'get',
    path: '/api/v1/speed',
    servedBy: 'app',
    operationId: 'getSpeed',
    tag: 'mesh',
    summary: 'How fast each node is',
    description: 'Tokens/s, time to first token and load time per node and model, and Immich ML latency per task, as each node measured its own answers and advertises them. Never cached.',
    access: 'public',
    success: { status: 200, description: 'The figures.', body: json('SpeedAnswer') },
  },
  {
    method: 'get',
    path: '/api/v1/peers',
    servedBy: 'app',
    operationId: 'listStaticPeers',
    tag: 'mesh',
    summary: 'Static peers and endpoints',
    description: 'The agents and plain service endpoints configured by hand, for networks where multicast discovery does not reach. Entries from the config file can only be changed there.',
    access: 'public',
    success: { status: 200, description: 'The static peers and endpoints.', body: json('StaticPeers') },
    errors: { 503: notStarted },
  },
  {
    method: 'post',
    path: '/api/v1/peers',
    servedBy: 'app',
    operationId: 'addStaticPeer',
    tag: 'mesh',
    summary: 'Add a static peer or endpoint',
    description: 'Adds another agent by its URL, or a plain Ollama / Immich ML endpoint under a name. The change is saved and survives a restart.',
    access: 'admin',
    requestBody: 'AddPeerRequest',
    success: { status: 201, description: 'Added and saved.', body: json('PeerAdded') },
    errors: { 400: badBody, 409: 'The peer or an endpoint of that name already exists.', 503: notStarted },
  },
  {
    method: 'delete',
    path: '/api/v1/peers',
    servedBy: 'app',
    operationId: 'removeStaticPeer',
    tag: 'mesh',
    summary: 'Remove a static peer or endpoint',
    description: 'Forgets an agent URL or a plain endpoint that was added through the API.',
    access: 'admin',
    requestBody: 'RemovePeerRequest',
    success: { status: 200, description: 'Removed.', body: json('PeerRemoved') },
    errors: { 400: badBody, 404: 'No such static peer or endpoint.', 409: 'It is set in the config file; remove it there.', 503: notStarted },
  },
  {
    method: 'get',
    path: '/api/v1/placement',
    servedBy: 'app',
    operationId: 'getPlacement',
    tag: 'placement',
    summary: 'Who serves what, and why',
    description:
      'For Ollama and Immich ML: the elected node, the node batch work goes to, and every candidate in order with the reason it is or is not eligible (outside its window, a game running, down, missing the model). Each reason is data, `why` = `{code, params}` (e.g. `outside-window {window, opensAtMs}`, `game {process}`, `gpu-busy {pct, sinceMs, forSec}`, `pinned {untilMs}`, `pin-waiting {pinnedTo, because}`, `down {sinceMs}`): scripts switch on `why.code`; `reason` is the same in words, in this node\'s time zone.',
    access: 'public',
    success: { status: 200, description: 'The current placement.', body: json('Placement') },
    errors: { 503: notStarted },
  },
  {
    method: 'get',
    path: '/api/v1/history',
    servedBy: 'app',
    operationId: 'getHistory',
    tag: 'placement',
    summary: 'Placement changes and actions',
    description: 'What changed and what the agent did about it: placement changes, model unloads and warm-ups, paused and resumed Immich queues, Wake-on-LAN.',
    access: 'public',
    parameters: [
      { name: 'sinceMs', in: 'query', description: 'Only entries at or after this time (ms since the epoch).', schema: { type: 'integer', minimum: 0 } },
      { name: 'limit', in: 'query', description: 'At most this many entries (the newest).', schema: { type: 'integer', minimum: 0 } },
    ],
    success: { status: 200, description: 'The entries.', body: json('History') },
    errors: { 400: '`sinceMs` or `limit` is not a non-negative whole number.', 503: notStarted },
  },
  {
    method: 'get',
    path: '/api/v1/settings',
    servedBy: 'app',
    operationId: 'getSettings',
    tag: 'setup',
    summary: 'Current settings',
    description: "Where this node's Ollama and Immich ML are, its offer and the placement policy, as in effect now (config file plus saved changes).",
    access: 'public',
    success: { status: 200, description: 'The settings.', body: json('Settings') },
    errors: {},
  },
  {
    method: 'put',
    path: '/api/v1/settings',
    servedBy: 'app',
    operationId: 'saveSettings',
    tag: 'setup',
    summary: 'Save settings',
    description: 'Saves any of services, offer and placement policy; they take effect without a restart and survive one (kept in state.json, the config file is not rewritten).',
    access: 'admin',
    requestBody: 'SettingsRequest',
    success: { status: 200, description: 'The settings now in effect.', body: json('Settings') },
    errors: { 400: badBody, 503: notStarted },
  },
  {
    method: 'get',
    path: '/api/v1/nodes/{nodeId}/settings',
    servedBy: 'app',
    operationId: 'getNodeSettings',
    tag: 'setup',
    summary: "Any node's settings",
    description: "The settings of any agent of the mesh, read over the peer protocol (issue 16: one place to set up every machine). This node's own id gives the same as `GET /api/v1/settings`.",
    access: 'public',
    parameters: [NODE_PARAM],
    success: { status: 200, description: 'The settings in effect on that node.', body: json('Settings') },
    errors: { 400: 'The node id is malformed.', 404: 'No agent with that node id in this mesh.', 503: 'The node is down or suspect, or this agent is still starting.' },
  },
  {
    method: 'put',
    path: '/api/v1/nodes/{nodeId}/settings',
    servedBy: 'app',
    operationId: 'saveNodeSettings',
    tag: 'setup',
    summary: "Change any node's settings",
    description:
      "Sends the change to that node, signed with the mesh key and addressed to it alone; it applies and keeps it exactly as if it was made on its own Setup page (only keys that differ from its config file are kept). A node whose owner set `mesh.acceptRemoteSettings` to false refuses with 403.",
    access: 'admin',
    parameters: [NODE_PARAM],
    requestBody: 'SettingsRequest',
    success: { status: 200, description: 'The settings now in effect on that node.', body: json('Settings') },
    errors: { 400: badBody, 403: 'The node refuses settings from other machines (`remote_settings_refused`).', 404: 'No agent with that node id in this mesh.', 503: 'The node is down or suspect, or this agent is still starting.' },
  },
  {
    method: 'post',
    path: '/api/v1/settings/reset',
    servedBy: 'app',
    operationId: 'resetSettings',
    tag: 'setup',
    summary: 'Drop saved settings',
    description: 'Drops settings saved from the Setup page (the listed keys and the keys under them; all when `keys` is empty or left out), so the config file decides them again, at once. `inference-mesh settings reset [KEY]` calls this.',
    access: 'admin',
    requestBody: 'SettingsResetRequest',
    success: { status: 200, description: 'The keys dropped and the settings now in effect.', body: json('SettingsResetResult') },
    errors: { 400: badBody, 503: notStarted },
  },
  {
    method: 'post',
    path: '/api/v1/setup/test-connection',
    servedBy: 'app',
    operationId: 'testConnection',
    tag: 'setup',
    summary: 'Test a connection',
    description: 'Tries the URL once and says in plain words whether it answers, and what: an Ollama version and models, an Immich ML ping, or another agent with its name, GPU and models.',
    access: 'admin',
    requestBody: 'TestConnectionRequest',
    success: { status: 200, description: 'The outcome.', body: json('TestConnectionResult') },
    errors: { 400: badBody },
  },
  {
    method: 'get',
    path: '/api/v1/overrides',
    servedBy: 'app',
    operationId: 'getOverrides',
    tag: 'placement',
    summary: 'Manual overrides in force',
    description: "This node's manual offer override and the pins of service kinds to nodes.",
    access: 'public',
    success: { status: 200, description: 'The overrides.', body: json('Overrides') },
    errors: { 503: notStarted },
  },
  {
    method: 'put',
    path: '/api/v1/overrides/offer',
    servedBy: 'app',
    operationId: 'setOfferOverride',
    tag: 'placement',
    summary: "Override this node's offer",
    description: 'Offers this machine now whatever its windows say, takes it out, or returns it to its configured windows; for a while or until changed. Peers see the change with the next advert.',
    access: 'admin',
    requestBody: 'OfferOverrideRequest',
    success: { status: 200, description: 'The override now in force.', body: json('OfferOverrideSet') },
    errors: { 400: badBody, 503: notStarted },
  },
  {
    method: 'put',
    path: '/api/v1/overrides/pins/{kind}',
    servedBy: 'app',
    operationId: 'setPin',
    tag: 'placement',
    summary: 'Pin a service to a node',
    description: 'Routes a service kind to one node, whatever the windows and the ranking say, for a while or until unpinned. A pin cannot make a down node or a missing service serve.',
    access: 'admin',
    parameters: [kindParam],
    requestBody: 'PinRequest',
    success: { status: 200, description: 'The pin now in force.', body: json('PinSet') },
    errors: { 400: `${badBody} Also for an unknown service kind.`, 404: 'No node of that name or id.', 503: notStarted },
  },
  {
    method: 'delete',
    path: '/api/v1/overrides/pins/{kind}',
    servedBy: 'app',
    operationId: 'clearPin',
    tag: 'placement',
    summary: 'Unpin a service',
    description: 'Removes the pin of a service kind; the election decides again.',
    access: 'admin',
    parameters: [kindParam],
    success: { status: 200, description: 'The pin was removed.', body: json('PinRemoved') },
    errors: { 400: 'Unknown service kind.', 404: 'The service kind was not pinned.', 503: notStarted },
  },
  {
    method: 'post',
    path: '/api/v1/bench',
    servedBy: 'app',
    operationId: 'runBench',
    tag: 'placement',
    summary: 'Measure how fast each node is',
    description:
      'Runs a fixed short prompt (Ollama `/api/generate`, 64 tokens, temperature 0) with one warm-up call on every node that has the model and is offered now, one node at a time, through the mesh; answers when all are done (seconds per node, longer on a cold load). Nodes that are out are skipped with the placement\'s reason. `inference-mesh bench` prints it as a table.',
    access: 'admin',
    requestBody: 'BenchRequest',
    success: { status: 200, description: 'The figures, node by node.', body: json('BenchResult') },
    errors: { 400: `${badBody} Also when no node has the model.`, 409: 'A bench is running already (`bench_running`).', 503: notStarted },
  },
  {
    method: 'get',
    path: '/api/v1/events',
    servedBy: 'app',
    operationId: 'streamEvents',
    tag: 'mesh',
    summary: 'Live changes (Server-Sent Events)',
    description:
      'A stream for the live UI. On connect: the current `nodes` (data: NodeRecord[]) and `placement` (data: Placement); then one event per change: `node` (data: NodeRecord), `node-removed`, `placement` (data: Placement) and `history` (data: HistoryEntry). Each `data` is JSON. A comment line every 15 s keeps proxies from closing an idle stream.',
    access: 'public',
    success: { status: 200, description: 'The event stream; it stays open.', body: { kind: 'event-stream' } },
  },
  {
    method: 'get',
    path: '/api/v1/stats',
    servedBy: 'app',
    operationId: 'getStats',
    tag: 'routing',
    summary: 'Routing statistics',
    description: 'What the routed endpoints did since the agent started: requests, errors, failovers and latency per service kind and node, and the most recent requests. Never cached.',
    access: 'public',
    success: { status: 200, description: 'The statistics.', body: json('ProxyStatsSnapshot') },
  },
  {
    method: 'get',
    path: '/metrics',
    servedBy: 'app',
    operationId: 'getMetrics',
    tag: 'routing',
    summary: 'Prometheus metrics',
    description: 'The same numbers as `/api/v1/stats` in the Prometheus text exposition format 0.0.4, at the path Prometheus scrapes by default.',
    access: 'public',
    success: { status: 200, description: 'Metrics in the Prometheus text format 0.0.4.', body: { kind: 'text', mediaType: 'text/plain' } },
  },
  {
    method: 'get',
    path: '/api/v1/peer/ping',
    servedBy: 'app',
    operationId: 'peerPing',
    tag: 'peer protocol',
    summary: 'Liveness, for other agents',
    description: "Used by other agents of the mesh every second: the node's id, its advert's change counter and whether it is stopping. Requests and answers are signed with the mesh key.",
    access: 'peer',
    success: { status: 200, description: 'Signed answer (`x-im-signature`).', body: json('PeerPing') },
    errors: { 401: 'Not signed with this mesh key, or a replayed or skewed request (`peer_auth_failed`).', 421: misdirected, 503: notStarted },
  },
  {
    method: 'get',
    path: '/api/v1/peer/advert',
    servedBy: 'app',
    operationId: 'peerAdvert',
    tag: 'peer protocol',
    summary: 'The advert, for other agents',
    description: "This node's advert with its change counter, fetched by other agents when the counter changes. Requests and answers are signed with the mesh key.",
    access: 'peer',
    success: { status: 200, description: 'Signed answer (`x-im-signature`).', body: json('PeerAdvert') },
    errors: { 401: 'Not signed with this mesh key, or a replayed or skewed request (`peer_auth_failed`).', 421: misdirected, 503: notStarted },
  },
  {
    method: 'get',
    path: '/api/v1/peer/settings',
    servedBy: 'app',
    operationId: 'peerGetSettings',
    tag: 'peer protocol',
    summary: "This node's settings, for other agents",
    description: 'What `GET /api/v1/nodes/{nodeId}/settings` on another agent reads. Signed both ways, addressed to this node.',
    access: 'peer',
    success: { status: 200, description: 'Signed answer (`x-im-signature`).', body: json('Settings') },
    errors: { 401: 'Not signed with this mesh key, or a replayed or skewed request (`peer_auth_failed`).', 421: misdirected, 503: notStarted },
  },
  {
    method: 'put',
    path: '/api/v1/peer/settings',
    servedBy: 'app',
    operationId: 'peerSaveSettings',
    tag: 'peer protocol',
    summary: "Change this node's settings, for other agents",
    description: "A member's change of this node's settings (issue 16), applied and kept as one made here. Signed over the body, addressed to this node; refused with a signed 403 when `mesh.acceptRemoteSettings` is false.",
    access: 'peer',
    requestBody: 'SettingsRequest',
    success: { status: 200, description: 'Signed answer: the settings now in effect.', body: json('Settings') },
    errors: { 400: badBody, 401: 'Not signed with this mesh key, or a replayed or skewed request (`peer_auth_failed`).', 403: 'Remote settings are switched off here (`remote_settings_refused`).', 421: misdirected, 503: notStarted },
  },
  ...(['get', 'post', 'delete'] as const).map(
    (method): ApiOperation => ({
      method,
      path: '/api/v1/peer/relay/{kind}/{path}',
      servedBy: 'proxy',
      operationId: `${method}PeerRelay`,
      tag: 'peer protocol',
      summary: "Relay to this node's own service, for other agents",
      description: [
        "How a request routed on another agent reaches this node's Ollama or Immich ML: the routing agent sends it here, signed with the mesh key for this node and the address it dialled, and this agent forwards it to its own service on loopback and streams the answer back, its head signed (`x-im-signature` over the request's nonce, this node's id, the address and the status). The relay never routes further.",
        'Refusals: 401 when not signed with this mesh key (or replayed, or skewed), 421 when addressed to another node or dialled at another address (a relay or a replay), 413 when the body is over `proxy.maxBodyMb`, 503 when the kind is not enabled here; in the kind\'s own error shape.',
      ].join('\n\n'),
      access: 'peer',
      parameters: [
        { name: 'kind', in: 'path', description: 'The service kind: `ollama` or `immich-ml`.', schema: { type: 'string' } },
        { name: 'path', in: 'path', description: 'The path on the service, e.g. `api/chat` or `predict`.', schema: { type: 'string' } },
      ],
      success: { status: 200, description: "The service's answer, passed through.", body: { kind: 'pass-through' } },
    }),
  ),
  {
    method: 'get',
    path: '/api/v1/openapi.json',
    servedBy: 'app',
    operationId: 'getOpenApi',
    tag: 'agent',
    summary: 'This document',
    description: 'The OpenAPI 3.1 description of this API, generated from the schemas the agent validates with.',
    access: 'public',
    success: { status: 200, description: 'The OpenAPI document.', body: { kind: 'json-document' } },
  },
  ...ALL_KINDS.flatMap(routedOperations),
];

function routedOperations(d: KindDescriptor): ApiOperation[] {
  const name = d.label;
  const camel = d.id.replace(/(^|-)([a-z])/g, (_m, _dash: string, c: string) => c.toUpperCase());
  return d.docs.methods.map((method) => ({
    method,
    path: `${d.prefix}/{path}`,
    servedBy: 'proxy',
    operationId: `${method}${camel}PassThrough`,
    tag: 'routing',
    summary: `${name}, routed to the elected node (pass-through)`,
    description: [
      ...d.docs.paragraphs,
      `The request and the answer are ${name}'s own, passed through as they are; they are not described here. \`{path}\` is the rest of the path and may contain slashes; \`${d.prefix}\` alone is the root. Every answer names the node that served it in \`x-inference-mesh-node\`.`,
      `Clients from the allowed networks (\`proxy.allowedCidrs\`) may call; with \`proxy.apiKey\` set, also anyone with \`Authorization: Bearer <key>\`. Anyone else gets 403 in ${name}'s error shape.`,
      'A body larger than `proxy.maxBodyMb` answers 413, at once when `Content-Length` declares it.',
    ].join('\n\n'),
    access: 'routed',
    errorShape: d.errorShape,
    parameters: [{ name: 'path', in: 'path', description: `The ${name} path, e.g. ${d.docs.examplePaths}.`, schema: { type: 'string' } }],
    success: { status: 200, description: `${name}'s answer, passed through.`, body: { kind: 'pass-through' } },
  }));
}

// ---------------------------------------------------------------------------------------------
// The document
// ---------------------------------------------------------------------------------------------

const ERROR_RESPONSES: Record<ErrorStatus, { name: string; description: string }> = {
  400: { name: 'BadRequest', description: 'The request is not valid; the message says why.' },
  401: { name: 'Unauthorized', description: 'No valid credential.' },
  403: { name: 'Forbidden', description: 'The credential or the client may not do this.' },
  404: { name: 'NotFound', description: 'No such thing (`not_found`).' },
  409: { name: 'Conflict', description: 'The change conflicts with the current state (`conflict`).' },
  421: { name: 'Misdirected', description: misdirected },
  429: { name: 'TooManyFailures', description: tooManyFailures },
  503: { name: 'NotStarted', description: notStarted },
};

/** What every state-changing operation may answer because of the admin check (api/admin-auth.ts). */
const ADMIN_ERRORS: Partial<Record<ErrorStatus, string>> = {
  401: 'No admin credential, or an expired session (`admin_required`). The answer carries `WWW-Authenticate: Bearer`.',
  403: 'The bearer token is wrong (`admin_token_wrong`), or a change authorised by the session cookie came from another site or without an `Origin` or `Referer` header (`csrf`).',
  429: tooManyFailures,
  503: `${notStarted} Or: ${adminUnavailable}`,
};

const errorContent = { 'application/json': { schema: { $ref: `${COMPONENT_REF}Error` } } };

function successContent(body: Body): Record<string, unknown> | undefined {
  switch (body.kind) {
    case 'json':
      return { 'application/json': { schema: { $ref: `${COMPONENT_REF}${body.schema}` } } };
    case 'json-document':
      return { 'application/json': { schema: { type: 'object' } } };
    case 'text':
      return { [body.mediaType]: { schema: { type: 'string' } } };
    case 'event-stream':
      return { 'text/event-stream': { schema: { type: 'string' } } };
    case 'pass-through':
      return { '*/*': { schema: {} } };
  }
}

function operationObject(op: ApiOperation): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  const content = successContent(op.success.body);
  responses[String(op.success.status)] = { description: op.success.description, ...(content ? { content } : {}) };
  const errors: Partial<Record<ErrorStatus, string>> = { ...op.errors, ...(op.access === 'admin' ? ADMIN_ERRORS : {}) };
  for (const status of (Object.keys(errors).map(Number) as ErrorStatus[]).sort((a, b) => a - b)) {
    const description = errors[status];
    const shared = ERROR_RESPONSES[status];
    responses[String(status)] =
      description === undefined || description === shared.description ? { $ref: `#/components/responses/${shared.name}` } : { description, content: errorContent };
  }
  if (op.access === 'routed') {
    responses['403'] = {
      description: "The client is not on an allowed network and has no valid API key. The body is the service's own error shape.",
      content: { 'application/json': { schema: { $ref: `${COMPONENT_REF}${ERROR_COMPONENT[op.errorShape ?? 'ollama']}` } } },
    };
  }
  return {
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
    description: op.description,
    ...(op.parameters ? { parameters: op.parameters.map((p) => ({ ...p, required: p.in === 'path' })) } : {}),
    ...(op.requestBody
      ? { requestBody: { required: true, content: { 'application/json': { schema: { $ref: `${COMPONENT_REF}${op.requestBody}` } } } } }
      : {}),
    responses,
    ...(op.access === 'admin' ? { security: [{ bearerAuth: [] }, { sessionCookie: [] }] } : {}),
    ...(op.access === 'peer' ? { security: [{ meshSignature: [] }] } : {}),
    // Anyone on an allowed network, or anyone with the proxy's API key.
    ...(op.access === 'routed' ? { security: [{}, { proxyApiKey: [] }] } : {}),
  };
}

export function buildOpenApi(opts: { version: string }): object {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of API_OPERATIONS) {
    const item = (paths[op.path] ??= {});
    if (op.method in item) throw new Error(`openapi: ${op.method.toUpperCase()} ${op.path} is listed twice`);
    item[op.method] = operationObject(op);
  }
  const responses: Record<string, unknown> = {};
  for (const { name, description } of Object.values(ERROR_RESPONSES)) responses[name] = { description, content: errorContent };

  return {
    openapi: '3.1.0',
    info: {
      title: 'inference-mesh agent',
      version: opts.version,
      description: [
        'One agent per home-lab machine: it finds its peers, elects where Ollama and Immich ML run, and routes them through one stable endpoint. This is the HTTP API of one agent.',
        'Request bodies are JSON, validated on arrival: a bad body is a 400 that lists every problem. Every error of the JSON API is `{ "error": { "code", "message", "details"? } }` with a stable code.',
        'Every route but the signed peer protocol answers 403 (`forbidden_network`) to a client outside `proxy.allowedCidrs`; loopback is always allowed. A request body over 1 MiB answers 413 (`body_too_large`).',
        `Changes (\`POST\`, \`PUT\`, \`DELETE\`) need the admin credential: \`Authorization: Bearer <token>\` (\`inference-mesh admin-token\` prints it on the agent's machine), or the web page's \`${SESSION_COOKIE}\` session cookie from \`POST /api/v1/login\`. Without it they answer 401; with a wrong one, 403.`,
      ].join('\n\n'),
      license: { name: 'MIT', identifier: 'MIT' },
    },
    tags: [
      { name: 'agent', description: 'This agent and this machine.' },
      { name: 'admin', description: 'Logging in with the admin credential, which every change needs.' },
      { name: 'mesh', description: 'The nodes of the mesh and how they are found.' },
      { name: 'placement', description: 'Where each service runs, why, and manual overrides.' },
      { name: 'routing', description: 'The routed endpoints and what they did.' },
      { name: 'peer protocol', description: 'Between agents of one mesh; signed with the mesh key.' },
    ],
    paths,
    components: {
      schemas: componentSchemas(),
      responses,
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: "The admin credential as `Authorization: Bearer <token>`, for scripts and the CLI. `inference-mesh admin-token` prints it on the agent's machine.",
        },
        sessionCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: SESSION_COOKIE,
          description: "The web page's session, set by `POST /api/v1/login`. A change authorised by the cookie must also come with an `Origin` (or `Referer`) of the agent's own origin.",
        },
        meshSignature: {
          type: 'apiKey',
          in: 'header',
          name: AUTH_HEADERS.signature,
          description: `An HMAC with the mesh key over the method, path, time, nonce and body, sent with \`${AUTH_HEADERS.node}\`, \`${AUTH_HEADERS.time}\` and \`${AUTH_HEADERS.nonce}\`; the answer is signed back. The key itself never crosses the wire.`,
        },
        proxyApiKey: { type: 'http', scheme: 'bearer', description: 'The routed endpoints\' API key (`proxy.apiKey`), for clients outside the allowed networks.' },
      },
    },
  };
}
