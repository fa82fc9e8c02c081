/**
 * Request bodies are parsed once, with zod, and a bad one is a 400 listing every problem as
 * `path: message` (union alternatives flattened so the message names the real field).
 */
import type { z } from 'zod';
import { BadRequestError } from '../agent/kernel/errors.js';

export async function parseBody<T>(req: Request, schema: z.ZodType<T>): Promise<T> {
  let json: unknown;
  try {
    json = await req.json();
  } catch {
    throw new BadRequestError('the body must be JSON');
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues.flatMap((i) =>
      i.code === 'invalid_union'
        ? i.errors.flat().map((e) => `${[...i.path, ...e.path].join('.') || '(body)'}: ${e.message}`)
        : [`${i.path.join('.') || '(body)'}: ${i.message}`],
    );
    const unique = [...new Set(issues)];
    throw new BadRequestError(`invalid body: ${unique.join('; ')}`, unique);
  }
  return result.data;
}
