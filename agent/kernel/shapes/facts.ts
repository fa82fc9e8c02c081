/**
 * What a node knows about itself: one zod schema per shape (DESIGN.md §6.5). The same schemas
 * validate a peer's advert when it arrives over HTTP, so a field that is unknown is `null`, never 0
 * (a GPU whose utilisation the platform does not report is "unknown", not "idle").
 */
import { z } from 'zod';

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

export const ollamaModelSchema = z.object({
  name: z.string(),
  sizeBytes: z.number().nonnegative(),
  family: z.string().nullable(),
  parameterSize: z.string().nullable(),
  quantization: z.string().nullable(),
});
export type OllamaModel = z.infer<typeof ollamaModelSchema>;

export const ollamaLoadedModelSchema = z.object({
  name: z.string(),
  sizeBytes: z.number().nonnegative(),
  sizeVramBytes: z.number().nonnegative(),
  expiresAt: z.string().nullable(),
});
export type OllamaLoadedModel = z.infer<typeof ollamaLoadedModelSchema>;

export const ollamaFactsSchema = z.object({
  url: z.string(),
  state: serviceStateSchema,
  /** Why it is down (or null when up / not yet probed). */
  reason: z.string().nullable(),
  version: z.string().nullable(),
  models: z.array(ollamaModelSchema),
  loaded: z.array(ollamaLoadedModelSchema),
  checkedAtMs: z.number().nullable(),
  /** The owner exposed it to the LAN on purpose (`services.ollama.direct`): peers may call it directly. */
  direct: z.boolean().optional(),
});
export type OllamaFacts = z.infer<typeof ollamaFactsSchema>;

export const immichMlFactsSchema = z.object({
  url: z.string(),
  state: serviceStateSchema,
  reason: z.string().nullable(),
  checkedAtMs: z.number().nullable(),
  /** The owner exposed it to the LAN on purpose (`services.immichMl.direct`): peers may call it directly. */
  direct: z.boolean().optional(),
});
export type ImmichMlFacts = z.infer<typeof immichMlFactsSchema>;

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

export const probeNameSchema = z.enum(['hardware', 'ollama', 'immichMl', 'activity', 'network']);
export type ProbeName = z.infer<typeof probeNameSchema>;

/** How a probe's last run went: failures are contained and reported here, never fatal. */
export const probeStatusSchema = z.object({
  ok: z.boolean().nullable(),
  error: z.string().nullable(),
  lastRunAtMs: z.number().nullable(),
  durationMs: z.number().nullable(),
});
export type ProbeStatus = z.infer<typeof probeStatusSchema>;
