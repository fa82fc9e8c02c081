import { z } from 'zod';
import { KIND_IDS, perKind } from '../agent/kernel/kinds.js';
import { httpUrlSchema as httpUrl } from '../agent/kernel/shapes/http-url.js';

/**
 * A plain service endpoint on a machine without the agent (an Ollama or Immich ML URL, …): it becomes
 * a node with the name an admin gave it, probed like the local services.
 */
const NEEDS_A_URL = `needs the URL of at least one kind under urls: ${KIND_IDS.join(', ')}`;

export const serviceEndpointSchema = z.strictObject({
  name: z.string().trim().min(1).max(63).describe('The node name for this endpoint (shown in the UI, usable in placement.*.prefer).'),
  urls: z
    .strictObject(
      perKind((_id, d) => httpUrl.optional().describe(`The ${d.label} URL on that machine, e.g. ${d.defaultUrl.replace('127.0.0.1', '192.168.1.30')}.`)),
      { error: (iss) => (iss.input === undefined ? NEEDS_A_URL : undefined) },
    )
    .refine((u) => Object.values(u).some((v) => v !== undefined), { message: NEEDS_A_URL })
    .describe('The URL of each service kind on that machine; at least one.'),
});
export type ServiceEndpoint = z.infer<typeof serviceEndpointSchema>;
