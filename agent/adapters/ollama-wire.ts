/**
 * The parts of Ollama's answers the probe relies on (PROTOCOLS.md §1.8), checked with zod even
 * though they arrive through the official client: the client types them but does not validate, and
 * an upstream format change must fail loudly in the contract tests, not as `undefined` in the UI.
 */
import { z } from 'zod';

const details = z
  .looseObject({
    family: z.string().optional(),
    parameter_size: z.string().optional(),
    quantization_level: z.string().optional(),
  })
  .optional();

export const ollamaVersionWire = z.looseObject({ version: z.string() });

export const ollamaTagsWire = z.looseObject({
  models: z.array(z.looseObject({ name: z.string(), size: z.number(), details })).nullable(),
});

export const ollamaPsWire = z.looseObject({
  models: z
    .array(
      z.looseObject({
        name: z.string(),
        size: z.number(),
        size_vram: z.number(),
        // The client turns expires_at into a Date; the wire has an RFC 3339 string.
        expires_at: z.union([z.string(), z.date()]).optional(),
        details,
      }),
    )
    .nullable(),
});
