/**
 * The agent's configuration: ONE zod schema gives the type, the defaults and the validation
 * (DESIGN.md §6.5). Strict objects everywhere, so a misspelt key is reported instead of ignored.
 * Units are in key names (DESIGN.md §6.9).
 */
import { z } from 'zod';
import { cidrSchema, DEFAULT_ALLOWED_CIDRS } from '../api/proxy/access.js';
import { serviceEndpointSchema } from '../discovery/endpoint-schema.js';
import { offerSchema, placementPolicySchema } from '../scheduler/offer-schema.js';
import { logLevels } from './log.js';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });
const seconds = (min: number) => z.number().int().min(min, `must be at least ${min} seconds`);

export const configSchema = z.strictObject({
  /** Lets editors find the JSON Schema; ignored by the agent. */
  $schema: z.string().optional(),
  node: z
    .strictObject({
      /** Shown in the UI and CLI; defaults to the machine's hostname. */
      name: z.string().trim().min(1).max(63).optional(),
    })
    .prefault({}),
  api: z
    .strictObject({
      /** The agent port: API, UI, routed endpoints and the peer protocol. */
      port: z
        .number()
        .int()
        .min(0, 'must be a port between 1 and 65535 (or 0 for any free port)')
        .max(65535, 'must be a port between 1 and 65535 (or 0 for any free port)')
        .default(7650),
      /** Listen address; peers must reach it, so all interfaces by default. */
      host: z.string().min(1).default('0.0.0.0'),
    })
    .prefault({}),
  /** Where state lives (identity, registry). Default: the OS's per-user state directory. */
  dataDir: z.string().min(1).optional(),
  services: z
    .strictObject({
      ollama: z
        .strictObject({
          enabled: z.boolean().default(true),
          /** The local Ollama to probe. OLLAMA_HOST overrides it (Ollama's own parsing rules). */
          url: httpUrl.default('http://127.0.0.1:11434'),
        })
        .prefault({}),
      immichMl: z
        .strictObject({
          enabled: z.boolean().default(true),
          /** The local Immich machine-learning service (default port 3003, PROTOCOLS.md §2.1). */
          url: httpUrl.default('http://127.0.0.1:3003'),
        })
        .prefault({}),
    })
    .prefault({}),
  probes: z
    .strictObject({
      /** CPU, RAM and GPU inventory with VRAM use. */
      hardwareIntervalSec: seconds(1).default(60),
      /** Ollama and Immich ML reachability, models, loaded models. */
      servicesIntervalSec: seconds(1).default(10),
      /** Running game/app processes and GPU load: what the scheduler reacts to. */
      activityIntervalSec: seconds(1).default(10),
      /** Addresses and MACs per interface. */
      networkIntervalSec: seconds(5).default(300),
      /** Each probe call gives up after this long and reports a timeout. */
      timeoutMs: z.number().int().min(100).max(60_000).default(5000),
    })
    .prefault({}),
  /** When and how this node's services may be used (issue 4): windows, game rules, VRAM reserve. */
  offer: offerSchema.prefault({}),
  /** How this node, when clients route through it, orders the candidates. */
  placement: placementPolicySchema.prefault({}),
  /** Pause Immich's ML batch queues while no batch node is offered (optional). */
  immich: z
    .strictObject({
      serverUrl: httpUrl,
      /** An admin API key; prefer apiKeyFile so the key is not in this file. */
      apiKey: z.string().min(1).optional(),
      apiKeyFile: z.string().min(1).optional(),
      batchQueues: z.array(z.string().min(1)).default(['smartSearch', 'faceDetection', 'ocr']),
      /** After start, wait this long for peers to answer before pausing queues (no pause/resume blink on restart). */
      settleSec: z.number().int().min(0).max(600).default(15),
    })
    .refine((i) => (i.apiKey === undefined) !== (i.apiKeyFile === undefined), { message: 'needs exactly one of apiKey or apiKeyFile' })
    .optional(),
  /** The routed endpoints: /ollama/ and /immich-ml/ on the agent port, optional dedicated ports. */
  proxy: z
    .strictObject({
      /** A dedicated Ollama-compatible listener (e.g. 11434) for clients that cannot take a path prefix. */
      ollamaPort: z.number().int().min(1).max(65535).nullable().default(null),
      /** A dedicated Immich-ML-compatible listener (e.g. 3003). */
      immichMlPort: z.number().int().min(1).max(65535).nullable().default(null),
      /** Clients allowed to use the routed endpoints (default: loopback, private ranges, Tailscale). */
      allowedCidrs: z.array(cidrSchema).default([...DEFAULT_ALLOWED_CIDRS]),
      /** When set, clients must send `Authorization: Bearer <apiKey>`. */
      apiKey: z.string().min(8, 'must be at least 8 characters').nullable().default(null),
      /** When no offered node has a model, use this one instead: {"llama3.1:8b": "llama3.2:3b"}. */
      modelFallbacks: z.record(z.string().min(1), z.string().min(1)).default({}),
      /** Ollama: give up on a node that sends nothing for this long (model loading counts). */
      ollamaFirstByteTimeoutMs: z.number().int().min(100).max(3_600_000).default(120_000),
      /** Immich ML: per-request timeout (Immich sets none), then the next node. */
      immichTimeoutMs: z.number().int().min(100).max(3_600_000).default(60_000),
      /** Hold batch Immich work this long for a node that is waking (Wake-on-LAN sent). */
      holdForWakeSec: z.number().int().min(0).max(3600).default(120),
      /** A node that just failed a request is tried last for this long (passive health). */
      suspectSec: z.number().int().min(0).max(3600).default(15),
      maxBodyMb: z.number().int().min(1).max(1024).default(64),
    })
    .prefault({}),
  wakeOnLan: z
    .strictObject({
      /** Wake a sleeping node when its window opens (or batch work waits for it). */
      enabled: z.boolean().default(true),
      /** Where magic packets go: the LAN's broadcast address. */
      broadcastAddress: z.ipv4({ error: 'must be an IPv4 address' }).default('255.255.255.255'),
      port: z.number().int().min(1).max(65535).default(9),
      /** Give up (visibly, in history) when the node is not up this long after the packet. */
      waitUpSec: z.number().int().min(5).max(3600).default(180),
    })
    .prefault({}),
  discovery: z
    .strictObject({
      mdns: z
        .strictObject({
          enabled: z.boolean().default(true),
          /** IPv4 addresses of the interfaces to announce and browse on; empty = all. */
          interfaces: z.array(z.ipv4({ error: 'must be an IPv4 address' })).default([]),
        })
        .prefault({}),
      /** Agent URLs of peers to contact directly, for networks that block multicast. */
      peers: z.array(httpUrl).default([]),
      /** Ollama / Immich ML URLs on machines without the agent; each becomes a node with this name. */
      endpoints: z.array(serviceEndpointSchema).default([]),
      tailnet: z
        .strictObject({
          /** Find agents on the Tailscale tailnet (needs the `tailscale` CLI or its socket). */
          enabled: z.boolean().default(true),
          /** Only peers with one of these ACL tags, e.g. ["tag:ai"]; empty = any peer. */
          tags: z.array(z.string().regex(/^tag:[A-Za-z0-9-]+$/, 'must look like tag:name')).default([]),
          /** Only peers whose host name matches this glob, e.g. "gaming-*"; null = any. */
          hostnamePattern: z.string().min(1).nullable().default(null),
          intervalSec: z.number().int().min(5).default(30),
        })
        .prefault({}),
      /** How often each known peer is health-checked. */
      healthIntervalMs: z.number().int().min(100).max(60_000).default(1000),
      /** A peer call (health check, advert fetch) gives up after this long. */
      peerTimeoutMs: z.number().int().min(100).max(60_000).default(1000),
      /** A peer that has not answered for this long is down (connection refused: at once). */
      downAfterMs: z.number().int().min(500).max(600_000).default(3000),
    })
    .prefault({}),
  mesh: z
    .strictObject({
      /** The shared mesh key. Prefer INFERENCE_MESH_KEY or --key over writing it here. */
      key: z.string().min(16, 'must be at least 16 characters').optional(),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(logLevels).default('info'),
    })
    .prefault({}),
});

/** The configuration after defaults: what the agent runs with. */
export type AgentConfig = z.infer<typeof configSchema>;
/** The configuration as written in a file. */
export type AgentConfigInput = z.input<typeof configSchema>;
