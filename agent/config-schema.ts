/**
 * The agent's configuration: ONE zod schema gives the type, the defaults and the validation
 * (DESIGN.md §6.5). Strict objects everywhere, so a misspelt key is reported instead of ignored.
 * Units are in key names (DESIGN.md §6.9).
 */
import { z } from 'zod';
import { cidrSchema, DEFAULT_ALLOWED_CIDRS } from '../api/proxy/access.js';
import { serviceEndpointSchema } from '../discovery/endpoint-schema.js';
import { offerSchema, placementPolicySchema } from './kernel/shapes/offer.js';
import { perKind, type KindDescriptor } from './kernel/kinds.js';
import { logLevels } from './kernel/log.js';
import { LOG_FORMATS } from './kernel/log-format.js';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });
const seconds = (min: number) => z.number().int().min(min, `must be at least ${min} seconds`);
const port = z.number().int().min(1, 'must be a port between 1 and 65535').max(65535, 'must be a port between 1 and 65535');

/** One local service of a kind; every kind has the same keys, with the kind's own defaults. */
function serviceConfigSchema(d: KindDescriptor) {
  return z
    .strictObject({
      enabled: z.boolean().default(d.enabledByDefault).describe(`Probe and offer the local ${d.label} (${d.purpose}). false: this machine never serves it.${d.enabledByDefault ? '' : ' Off by default.'}`),
      url: httpUrl.default(d.defaultUrl).describe(`Where the local ${d.label} listens. Default ${d.defaultUrl}.${d.urlEnv ? ` ${d.urlEnv} overrides it.` : ''}`),
      direct: z
        .boolean()
        .default(false)
        .describe(`false (recommended): other agents reach this ${d.label} through this agent, which forwards to it on this machine, so it can stay bound to 127.0.0.1. true: you exposed it to the LAN on purpose and peers call it directly (one hop less, but no authentication).`),
      port: port.nullable().default(null).describe(`An extra listener (e.g. ${new URL(d.defaultUrl).port}) that serves routed ${d.label} at its root, for clients that cannot take the ${d.prefix}/ path. null = none.`),
      firstByteTimeoutMs: z
        .number()
        .int()
        .min(100)
        .max(3_600_000)
        .default(d.firstByteTimeoutMs)
        .describe(`Give up on a node whose ${d.label} sends nothing for this long${d.traits.canUnload ? ' (model loading counts)' : ''}, and try the next.`),
    })
    .prefault({})
    .describe(`The local ${d.label}: ${d.purpose}.`);
}

export const configSchema = z.strictObject({
  /** Lets editors find the JSON Schema; ignored by the agent. */
  $schema: z.string().optional().describe('Path or URL of docs/config.schema.json, so editors can complete and check this file. Ignored by the agent.'),
  node: z
    .strictObject({
      /** Shown in the UI and CLI; defaults to the machine's hostname. */
      name: z.string().trim().min(1).max(63).optional().describe("This machine's name in the web UI, the CLI, other nodes' placement and `placement.*.prefer`. Default: the hostname."),
    })
    .prefault({})
    .describe('This machine.'),
  api: z
    .strictObject({
      /** The agent port: API, UI, routed endpoints and the peer protocol. */
      port: z
        .number()
        .int()
        .min(0, 'must be a port between 1 and 65535 (or 0 for any free port)')
        .max(65535, 'must be a port between 1 and 65535 (or 0 for any free port)')
        .default(7650)
        .describe('The agent port: API, web UI, routed endpoints (/ollama, /immich-ml/) and the peer protocol. 0 picks any free port (tests only: peers and clients need a fixed one). Overridden by --port and INFERENCE_MESH_PORT.'),
      /** Listen address; peers must reach it, so all interfaces by default. */
      host: z.string().min(1).default('0.0.0.0').describe('The address to listen on. Peers and clients must reach it, so all interfaces by default; 127.0.0.1 hides the agent from the mesh.'),
    })
    .prefault({})
    .describe("The agent's one HTTP listener."),
  /** Where state lives (identity, registry). Default: the OS's per-user state directory. */
  dataDir: z.string().min(1).optional().describe('Where the agent keeps state.json, mesh.key, admin.token and its lock. Default: the data dir of the machine config location when that file is used (Linux /var/lib/inference-mesh; Windows %ProgramData%\\inference-mesh; macOS /Library/Application Support/inference-mesh), else Linux $XDG_STATE_HOME/inference-mesh or ~/.local/state/inference-mesh; Windows %LOCALAPPDATA%\\inference-mesh; macOS ~/Library/Application Support/inference-mesh. Overridden by --data-dir and INFERENCE_MESH_DATA_DIR.'),
  services: z
    .strictObject(perKind((_id, d) => serviceConfigSchema(d)))
    .prefault({})
    .describe('The AI services on this machine that the agent probes and offers to the mesh, one entry per kind.'),
  probes: z
    .strictObject({
      /** CPU, RAM and GPU inventory with VRAM use. */
      hardwareIntervalSec: seconds(1).default(60).describe('How often CPU, RAM, GPUs and VRAM use are read.'),
      /** Ollama and Immich ML reachability, models, loaded models. */
      servicesIntervalSec: seconds(1).default(10).describe('How often Ollama and Immich ML are checked: up or down, models, loaded models.'),
      /** Running game/app processes and GPU load: what the scheduler reacts to. */
      activityIntervalSec: seconds(1).default(10).describe('How often running games/apps and GPU load are read: how quickly a game start takes this node out.'),
      /** Addresses and MACs per interface. */
      networkIntervalSec: seconds(5).default(300).describe('How often addresses and MACs per interface are read (for Wake-on-LAN).'),
      /** Each probe call gives up after this long and reports a timeout. */
      timeoutMs: z.number().int().min(100).max(60_000).default(5000).describe('Each probe gives up after this long and reports a timeout.'),
    })
    .prefault({})
    .describe('How often the agent looks at its own machine. Shorter reacts faster and costs a little more CPU.'),
  /** When and how this node's services may be used (issue 4): windows, game rules, VRAM reserve. */
  offer: offerSchema.prefault({}).describe('When and how this machine lends out its services: time windows, games, VRAM reserve. Advertised to every peer, so all agents elect from the same inputs.'),
  /** How this node, when clients route through it, orders the candidates. */
  placement: placementPolicySchema.prefault({}).describe('How this node orders the candidates when clients route through it (in practice: on the hub).'),
  /** Pause Immich's ML batch queues while no batch node is offered (optional). */
  immich: z
    .strictObject({
      serverUrl: httpUrl.describe('The Immich server (not its ML service), e.g. http://127.0.0.1:2283.'),
      /** An admin API key; prefer apiKeyFile so the key is not in this file. */
      apiKey: z.string().min(1).optional().describe('An API key of an Immich admin user (permission `all`, or job.read, job.create, queue.read and queue.update). Prefer apiKeyFile.'),
      apiKeyFile: z.string().min(1).optional().describe('A file holding the admin API key, so the key is not in this file.'),
      batchQueues: z.array(z.string().min(1)).default(['smartSearch', 'faceDetection', 'ocr']).describe('Immich queues to pause while no batch node is offered (exact Immich queue names). The default three are the ones that call machine learning.'),
      /** After start, wait this long for peers to answer before pausing queues (no pause/resume blink on restart). */
      settleSec: z.number().int().min(0).max(600).default(15).describe('After a start, wait this long for peers to answer before pausing queues, so a restart does not pause and resume.'),
    })
    .refine((i) => (i.apiKey === undefined) !== (i.apiKeyFile === undefined), { message: 'needs exactly one of apiKey or apiKeyFile' })
    .optional()
    .describe("Optional: pause Immich's ML batch queues while no batch node is offered and resume them after (never a queue someone else paused). Needs serverUrl and exactly one of apiKey or apiKeyFile."),
  /** The routed endpoints: /ollama/ and /immich-ml/ on the agent port, optional dedicated ports. */
  proxy: z
    .strictObject({
      /** Clients allowed to use the routed endpoints (default: loopback, private ranges, Tailscale). */
      allowedCidrs: z.array(cidrSchema).default([...DEFAULT_ALLOWED_CIDRS]).describe("Client networks (CIDR) allowed to use the routed endpoints, the API, the web UI and /metrics (the signed peer protocol is exempt). Loopback is always allowed. Default: loopback, private ranges, Tailscale's 100.64.0.0/10 and IPv6 ULA. Others get 403."),
      /** When set, clients must send `Authorization: Bearer <apiKey>`. */
      apiKey: z.string().min(8, 'must be at least 8 characters').nullable().default(null).describe('When set, clients of the routed endpoints must also send `Authorization: Bearer <apiKey>`. null = the network check alone decides.'),
      /** When no offered node has a model, use this one instead: {"llama3.1:8b": "llama3.2:3b"}. */
      modelFallbacks: z.record(z.string().min(1), z.string().min(1)).default({}).describe('When no offered node has a model, run another: {"llama3.1:8b": "llama3.2:3b"}. The answer keeps the requested name; the x-inference-mesh-model header says which ran.'),
      /** Hold batch Immich work this long for a node that is waking (Wake-on-LAN sent). */
      holdForWakeSec: z.number().int().min(0).max(3600).default(120).describe('Hold batch Immich work this long for a node that is waking (Wake-on-LAN sent).'),
      /** A node that just failed a request is tried last for this long (passive health). */
      suspectSec: z.number().int().min(0).max(3600).default(15).describe('A node that just failed a request is tried last for this long.'),
      maxBodyMb: z.number().int().min(1).max(1024).default(64).describe('Largest request body the routed endpoints accept, in MB.'),
      /** Issue 11: from the LAN, with no credential, DELETE /ollama/api/delete removed a model. */
      openModelManagement: z
        .boolean()
        .default(false)
        .describe(
          'Let clients from the allowed networks pull, push, create, copy and delete Ollama models through /ollama/ (and upload blobs) without the admin credential. false = those need `Authorization: Bearer <admin token>`; inference is unaffected.',
        ),
    })
    .prefault({})
    .describe('The routed endpoints (/ollama/, /immich-ml/, … on the agent port; dedicated ports are `services.<kind>.port`): who may call, failover timing.'),
  wakeOnLan: z
    .strictObject({
      /** Wake a sleeping node when its window opens (or batch work waits for it). */
      enabled: z.boolean().default(true).describe('Wake a sleeping node when its window opens (or batch work waits for it). Its MAC is learned from its own adverts.'),
      /** Where magic packets go: the LAN's broadcast address. */
      broadcastAddress: z.ipv4({ error: 'must be an IPv4 address' }).default('255.255.255.255').describe("Where magic packets go: the LAN's broadcast address, e.g. 192.168.1.255 when 255.255.255.255 leaves by the wrong interface."),
      port: z.number().int().min(1).max(65535).default(9).describe('UDP port of the magic packet (9, sometimes 7).'),
      /** Give up (visibly, in history) when the node is not up this long after the packet. */
      waitUpSec: z.number().int().min(5).max(3600).default(180).describe('Give up, visibly in the history, when the node is not up this long after the packet.'),
    })
    .prefault({})
    .describe('Wake-on-LAN for sleeping GPU machines.'),
  discovery: z
    .strictObject({
      mdns: z
        .strictObject({
          enabled: z.boolean().default(true).describe('Announce this agent and look for peers over mDNS.'),
          /** IPv4 addresses of the interfaces to announce and browse on; empty = all. */
          interfaces: z.array(z.ipv4({ error: 'must be an IPv4 address' })).default([]).describe('IPv4 addresses of the interfaces to announce and browse on; empty = all. --mdns-interface sets one.'),
        })
        .prefault({})
        .describe("Multicast DNS on the local network (_inference-mesh._tcp, UDP 5353). It does not cross routers, VLANs, Docker bridge networks or WSL2's NAT."),
      /** Agent URLs of peers to contact directly, for networks that block multicast. */
      peers: z.array(httpUrl).default([]).describe('Agent URLs to contact directly, e.g. http://192.168.1.20:7650, for networks that block multicast. The mesh key still decides membership.'),
      /** Ollama / Immich ML URLs on machines without the agent; each becomes a node with this name. */
      endpoints: z.array(serviceEndpointSchema).default([]).describe('Ollama / Immich ML URLs on machines without the agent; each becomes a node with the given name. Each names the URL of at least one kind under `urls`.'),
      tailnet: z
        .strictObject({
          /** Find agents on the Tailscale tailnet (needs the `tailscale` CLI or its socket). */
          enabled: z.boolean().default(true).describe('Find agents on the Tailscale tailnet (needs the tailscale CLI or its socket; without it, one info line and a re-check every 10 minutes).'),
          /** Only peers with one of these ACL tags, e.g. ["tag:ai"]; empty = any peer. */
          tags: z.array(z.string().regex(/^tag:[A-Za-z0-9-]+$/, 'must look like tag:name')).default([]).describe('Only tailnet peers with one of these ACL tags, e.g. ["tag:ai"]; empty = any peer.'),
          /** Only peers whose host name matches this glob, e.g. "gaming-*"; null = any. */
          hostnamePattern: z.string().min(1).nullable().default(null).describe('Only tailnet peers whose host name matches this glob, e.g. "gaming-*"; null = any.'),
          intervalSec: z.number().int().min(5).default(30).describe("How often the tailnet's peer list is read."),
        })
        .prefault({})
        .describe('Discovery over Tailscale, for machines mDNS cannot reach.'),
      /** How often each known peer is health-checked. */
      healthIntervalMs: z.number().int().min(100).max(60_000).default(1000).describe('How often each known peer is health-checked (less often in a large mesh: see maxChecksPerSec). A signed request from the peer counts as a check.'),
      maxChecksPerSec: z.number().int().min(1).max(1000).default(1).describe('About this many peer health checks a second from this agent: in a large mesh a peer that serves nothing is checked less often than healthIntervalMs (but at least every 10 s; a crashed agent is seen at once, from its closed connections), so the cost does not grow with the square of the mesh. Nodes that serve are checked every healthIntervalMs.'),
      /** A peer call (health check, advert fetch) gives up after this long. */
      peerTimeoutMs: z.number().int().min(100).max(60_000).default(1000).describe('A peer call (health check, advert fetch) gives up after this long; health checks wait longer (up to twice this) for a peer whose measured round trips are slow, and a first contact waits 5 s.'),
      /** A peer that has not answered for this long is down (connection refused: at once). */
      downAfterMs: z.number().int().min(500).max(600_000).default(3000).describe('A peer that has not answered for this long is down (a refused connection: at once).'),
    })
    .prefault({})
    .describe('How this agent finds its peers.'),
  mesh: z
    .strictObject({
      /** The shared mesh key. Prefer `inference-mesh join` (it stores mesh.key in the data dir) over writing it here. */
      key: z.string().min(16, 'must be at least 16 characters').optional().describe('The shared mesh key. Usually left out: the first machine generates one (`inference-mesh key` prints it), the others run `inference-mesh join` once, which stores it in mesh.key in the data dir.'),
      acceptRemoteSettings: z
        .boolean()
        .default(true)
        .describe("Let the mesh's other machines change this machine's settings (offer, placement, service URLs) from their Setup page, signed with the mesh key, as if made here. false: only this machine's own page and config file decide."),
    })
    .prefault({})
    .describe('Membership: only agents holding the same key are peers.'),
  log: z
    .strictObject({
      level: z.enum(logLevels).default('info').describe('How much the agent logs.'),
      format: z
        .enum(['auto', ...LOG_FORMATS])
        .default('auto')
        .describe('Log lines for a terminal (`text`), the systemd journal (`journal`: `<N>` priority prefixes, no timestamp) or log shippers (`json`). `auto`: journal when stderr is the journal (JOURNAL_STREAM names it), else text. Overridden by --log-format.'),
    })
    .prefault({})
    .describe('Logging.'),
});

/** The configuration after defaults: what the agent runs with. */
export type AgentConfig = z.infer<typeof configSchema>;
/** The configuration as written in a file. */
export type AgentConfigInput = z.input<typeof configSchema>;
