/**
 * What a node knows about itself: one zod schema per shape (DESIGN.md §6.5). The same schemas
 * validate a peer's advert when it arrives over HTTP, so a field that is unknown is `null`, never 0
 * (a GPU whose utilisation the platform does not report is "unknown", not "idle").
 */
import { z } from 'zod';
import { KIND_IDS } from '../kinds.js';

export const gpuVendorSchema = z.enum(['nvidia', 'amd', 'intel', 'apple', 'other']);
export type GpuVendor = z.infer<typeof gpuVendorSchema>;

export const gpuFactsSchema = z.object({
  vendor: gpuVendorSchema,
  model: z.string(),
  /** PCI bus address when known, to match the same card across sources. */
  busId: z.string().nullable(),
  vramTotalMb: z.number().nonnegative().nullable(),
  vramUsedMb: z.number().nonnegative().nullable(),
  utilizationPct: z.number().min(0).max(100).nullable(),
  /** Where the live figures came from. */
  source: z.enum(['nvidia-smi', 'sysfs', 'systeminformation']),
});
export type GpuFacts = z.infer<typeof gpuFactsSchema>;

export const hardwareFactsSchema = z.object({
  cpu: z.object({
    model: z.string(),
    /** Logical cores (threads). */
    cores: z.number().int().nonnegative(),
    physicalCores: z.number().int().nonnegative().nullable(),
  }),
  memTotalMb: z.number().nonnegative(),
  os: z.object({
    platform: z.string(),
    distro: z.string().nullable(),
    release: z.string().nullable(),
    arch: z.string(),
  }),
  gpus: z.array(gpuFactsSchema),
});
export type HardwareFacts = z.infer<typeof hardwareFactsSchema>;

export const serviceStateSchema = z.enum(['up', 'down', 'unknown']);
export type ServiceState = z.infer<typeof serviceStateSchema>;

/** A model a service has; Ollama reports the details, other kinds only the name. */
export const serviceModelSchema = z.object({
  name: z.string(),
  sizeBytes: z.number().nonnegative().nullable(),
  family: z.string().nullable(),
  parameterSize: z.string().nullable(),
  quantization: z.string().nullable(),
});
export type ServiceModel = z.infer<typeof serviceModelSchema>;

/** A model loaded in memory now (Ollama's `/api/ps`). */
export const loadedModelSchema = z.object({
  name: z.string(),
  sizeBytes: z.number().nonnegative(),
  sizeVramBytes: z.number().nonnegative(),
  expiresAt: z.string().nullable(),
});
export type LoadedModel = z.infer<typeof loadedModelSchema>;

/** What the probe of a local service of any kind found (agent/probe/, one probe per kind). */
export const serviceFactsSchema = z.object({
  url: z.string(),
  state: serviceStateSchema,
  /** Why it is down (or null when up / not yet probed). */
  reason: z.string().nullable(),
  version: z.string().nullable().default(null),
  /** The models it has (model-aware kinds; empty for the others). */
  models: z.array(serviceModelSchema).max(1000).default([]),
  /** The models loaded in memory now, where the kind reports them. */
  loaded: z.array(loadedModelSchema).max(1000).default([]),
  checkedAtMs: z.number().nullable(),
  /** The owner exposed it to the LAN on purpose (`services.<kind>.direct`): peers may call it directly. */
  direct: z.boolean().optional(),
});
export type ServiceFacts = z.infer<typeof serviceFactsSchema>;

/** Probes one local service of a kind at `url` (agent/probe/services.ts holds one per kind). */
export type ServiceProbe = (deps: { fetch: typeof fetch; nowMs: () => number }, url: string, signal: AbortSignal) => Promise<ServiceFacts>;

export const activityFactsSchema = z.object({
  /** The configured process names that are running now. */
  runningProcesses: z.array(z.string()),
  /** Highest utilisation over this node's GPUs, null when no GPU reports it. */
  gpuUtilizationPct: z.number().min(0).max(100).nullable(),
  checkedAtMs: z.number().nullable(),
});
export type ActivityFacts = z.infer<typeof activityFactsSchema>;

export const networkInterfaceSchema = z.object({
  name: z.string(),
  /** Null for interfaces without a hardware address (loopback, tunnels). */
  mac: z.string().nullable(),
  addresses: z.array(z.object({ address: z.string(), family: z.enum(['IPv4', 'IPv6']), cidr: z.string().nullable() })),
  internal: z.boolean(),
});
export const networkFactsSchema = z.object({ interfaces: z.array(networkInterfaceSchema) });
export type NetworkFacts = z.infer<typeof networkFactsSchema>;

export const probeNameSchema = z.enum(['hardware', 'activity', 'network', ...KIND_IDS]);
export type ProbeName = z.infer<typeof probeNameSchema>;

/** How a probe's last run went: failures are contained and reported here, never fatal. */
export const probeStatusSchema = z.object({
  ok: z.boolean().nullable(),
  error: z.string().nullable(),
  lastRunAtMs: z.number().nullable(),
  durationMs: z.number().nullable(),
});
export type ProbeStatus = z.infer<typeof probeStatusSchema>;
