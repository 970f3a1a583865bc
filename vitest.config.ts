import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql ships CJS and ESM builds; Node loads the CJS one for Pothos and Yoga, so
    // tests must too, or schema objects "come from another realm".
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Starts throwaway PostgreSQL and Redis servers on loopback for the whole run.
    globalSetup: ['test/support/services.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
