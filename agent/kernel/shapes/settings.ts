/**
 * Settings changed from the web UI (issue 6 "Setup"): where this node's services are, its offer, and
 * the placement policy. Kept in state.json as an overlay on the config file, so a saved change is in
 * effect at once and survives a restart; the file itself is never rewritten.
 */
import { z } from 'zod';
import { KIND_IDS, perKind } from '../kinds.js';
import { httpUrlSchema } from './http-url.js';
import { offerSchema, placementPolicySchema } from './offer.js';

// One URL schema for every http(s) URL a user types (discovery/endpoint-schema.ts).
const httpUrl = httpUrlSchema;

export const settingsSchema = z.strictObject({
  services: z.strictObject(perKind(() => z.strictObject({ url: httpUrl }).optional())).optional(),
  offer: offerSchema.optional(),
  placement: placementPolicySchema.optional(),
});
export type Settings = z.infer<typeof settingsSchema>;

/** `POST /api/v1/settings/reset`: the overlay keys to drop (a key drops those under it); empty = all. */
export const settingsResetSchema = z.strictObject({
  keys: z.array(z.string().regex(/^(services|offer|placement)(\.[A-Za-z0-9-]+)*$/, 'must be a settings key such as offer.coolDownSec')).max(100).default([]),
});

export const testConnectionSchema = z.strictObject({
  kind: z.enum([...KIND_IDS, 'agent']),
  url: httpUrl,
});
export type TestConnectionRequest = z.infer<typeof testConnectionSchema>;

export const testConnectionResultSchema = z.object({
  ok: z.boolean(),
  reason: z.string().optional(),
  version: z.string().optional(),
  models: z.array(z.string()).optional(),
  gpu: z.string().nullable().optional(),
  name: z.string().optional(),
});
export type TestConnectionResult = z.infer<typeof testConnectionResultSchema>;

/** The settings as in effect now (GET /api/v1/settings). */
export const settingsViewSchema = z.object({
  services: z.object(perKind(() => z.object({ url: z.string(), enabled: z.boolean() }))),
  offer: offerSchema,
  placement: placementPolicySchema,
  overridden: z.array(z.string()).describe('Keys saved from the Setup page that override the config file, e.g. "offer.coolDownSec"; `inference-mesh settings reset [KEY]` drops them.'),
  immichKey: z.boolean().describe('An Immich API key is configured, so batch work can wait for a GPU node.'),
});
export type SettingsView = z.infer<typeof settingsViewSchema>;
