import { z } from 'zod';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

/**
 * A plain service endpoint on a machine without the agent (an Ollama or Immich ML URL): it becomes a
 * node with the name an admin gave it, probed like the local services.
 */
export const serviceEndpointSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(63).describe('The node name for this endpoint (shown in the UI, usable in placement.*.prefer).'),
    ollamaUrl: httpUrl.optional().describe('The Ollama URL on that machine, e.g. http://192.168.1.30:11434.'),
    immichMlUrl: httpUrl.optional().describe('The Immich ML URL on that machine, e.g. http://192.168.1.30:3003.'),
  })
  .refine((e) => e.ollamaUrl !== undefined || e.immichMlUrl !== undefined, { message: 'needs ollamaUrl or immichMlUrl (or both)' });
export type ServiceEndpoint = z.infer<typeof serviceEndpointSchema>;

export const agentUrlSchema = httpUrl;
