/**
 * Why a node serves or not, as data (issue 12, DESIGN.md §3 "Reasons are data"): a stable `code`
 * that actions and change detection switch on, and `params` that the edges (API, CLI, web UI) turn
 * into words in one place (`reason-words.ts`). Times are instants (ms), never formatted text, so
 * the election needs no display zone.
 */
import { kindIdSchema } from '../kinds.js';
import { z } from 'zod';
import { timeWindowSchema } from './time-window.js';

const r = <C extends string, P extends z.ZodRawShape>(code: C, params: P) => z.object({ code: z.literal(code), params: z.object(params) });
const windowSchema = z.object({ days: timeWindowSchema.shape.days, from: z.string(), to: z.string() });

/** What the owner's machine is busy with (advertised by the node itself). */
export const busyReasonSchema = z.discriminatedUnion('code', [
  r('game', { process: z.string() }),
  r('gpu-busy', { pct: z.number().nullable(), sinceMs: z.number(), forSec: z.number() }),
]);
export type BusyReason = z.infer<typeof busyReasonSchema>;

const ownerReasons = [
  r('down', { sinceMs: z.number().nullable() }),
  r('suspect', {}),
  r('no-service', { kind: kindIdSchema }),
  r('service-down', { kind: kindIdSchema, state: z.string(), detail: z.string().nullable() }),
  r('taken-out', { untilMs: z.number().nullable() }),
  ...busyReasonSchema.options,
  r('outside-window', { window: windowSchema.nullable(), opensAtMs: z.number().nullable() }),
  r('cooling-down', { untilMs: z.number(), after: busyReasonSchema.nullable() }),
  r('vram-low', { freeMb: z.number(), reserveMb: z.number() }),
  r('no-model', { model: z.string() }),
  r('always-offered', {}),
  r('offered-manually', { untilMs: z.number().nullable() }),
  r('window-open', { window: windowSchema.nullable(), closesAtMs: z.number().nullable() }),
  r('pinned', { untilMs: z.number().nullable() }),
  r('no-eligible', {}),
] as const;

/** Everything eligibility says about one node, without pins. */
export const nodeReasonSchema = z.discriminatedUnion('code', ownerReasons);
export type NodeReason = z.infer<typeof nodeReasonSchema>;

export const reasonSchema = z.discriminatedUnion('code', [
  ...ownerReasons,
  /**
   * Measured faster than the other nodes of equal `prefer` position and priority (issue 15), for a
   * model (Ollama) or an Immich ML task: its figure and theirs, in `unit`.
   */
  r('fastest', {
    subject: z.string(),
    unit: z.enum(['tok/s', 'prompt tok/s', 'ms']),
    value: z.number(),
    others: z.array(z.object({ name: z.string(), value: z.number() })),
  }),
  /** A pin to `pinnedTo` that does not apply now because of `because` (the owner's rules, or down). */
  r('pin-waiting', { pinnedTo: z.string(), pinnedName: z.string(), untilMs: z.number().nullable(), because: nodeReasonSchema }),
]);
export type Reason = z.infer<typeof reasonSchema>;
export type ReasonCode = Reason['code'];

/** Why batch work goes where it goes when that is not the plain election (issue 12 "never fail an Immich job"). */
export const batchReasonSchema = z.discriminatedUnion('code', [r('batch-unpausable', {}), r('batch-any-node', {})]);
export type BatchReason = z.infer<typeof batchReasonSchema>;

/** Builds a reason with its params type-checked: `reason('game', { process: 'cs2.exe' })`. */
export function reason<C extends ReasonCode>(code: C, params: Extract<Reason, { code: C }>['params']): Extract<Reason, { code: C }> {
  return { code, params } as Extract<Reason, { code: C }>;
}

/** Codes that say the node or its service is gone: nothing to unload, nothing the owner does. */
export const GONE_CODES: ReadonlySet<ReasonCode> = new Set(['down', 'suspect', 'no-service', 'service-down']);

/**
 * Codes a pin may override: the offer's schedule and ranking. Everything else (the owner's game, GPU
 * load, `offer out`, cool-down, VRAM reserve, a node that is down) beats the pin (issue 12).
 */
export const PIN_OVERRIDES: ReadonlySet<ReasonCode> = new Set(['outside-window', 'always-offered', 'window-open', 'offered-manually']);

/**
 * The part of a reason that decides behaviour and change events: the code, and for a waiting pin
 * the code it waits on. Params such as a GPU percentage change with every probe and are words only.
 */
export function reasonKey(r: Reason): string {
  return r.code === 'pin-waiting' ? `${r.code}:${r.params.pinnedTo}:${r.params.because.code}` : r.code;
}
