import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // Integration tests start real agents and child processes; 2 cores on CI.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // The json report feeds CI's closing line `N passed, N failed` (.ci/run).
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-result.json' },
  },
});
