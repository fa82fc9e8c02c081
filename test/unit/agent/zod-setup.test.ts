/**
 * The agent's zod settings (agent/kernel/zod-setup.ts, issue 17): with them, parsing a peer advert
 * compiles no function (`new Function`), which zod otherwise does for each object schema on its
 * first parse. The control at the end shows the spy sees zod's compiling when it is allowed.
 */
import '../../../agent/kernel/zod-setup.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { config, z } from 'zod';
import { nodeAdvertSchema } from '../../../discovery/advert.js';
import { sampleAdvert } from '../../helpers/sample-advert.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('zod settings of the agent', () => {
  it('a peer advert is parsed, the same, without compiling a parser', () => {
    const compile = vi.spyOn(globalThis, 'Function');
    const advert = sampleAdvert({ name: 'beta' });
    const parsed = nodeAdvertSchema.parse(JSON.parse(JSON.stringify(advert)));
    expect(parsed).toEqual(advert);
    expect(nodeAdvertSchema.safeParse({ ...advert, nodeId: 42 }).success).toBe(false);
    expect(compile).not.toHaveBeenCalled();
  });

  it('control: a schema made with compiling allowed compiles on its first parse', () => {
    config({ jitless: false });
    try {
      const compile = vi.spyOn(globalThis, 'Function');
      expect(z.object({ a: z.string(), b: z.number() }).parse({ a: 'x', b: 1 })).toEqual({ a: 'x', b: 1 });
      expect(compile).toHaveBeenCalled();
    } finally {
      config({ jitless: true });
    }
  });
});
