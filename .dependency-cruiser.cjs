// Import rules, checked by `npm run lint` (and so by `npm test`).
const PLUMBING = '^src/(db|redis|cache)/|^src/(config|logger|errors|limits|paths|metrics|validation)\\.ts$';
const DOMAIN = '^src/(?!db/|redis/|cache/|graphql/|server/)[^/]+/';

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Files import each other in one direction only.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'plumbing-imports-no-domain',
      severity: 'error',
      comment: 'Shared plumbing serves every domain and knows none of them (the table registry is the one exception).',
      from: { path: PLUMBING, pathNot: '^src/db/(schema|relations)\\.ts$' },
      to: { path: [DOMAIN, '^src/graphql/', '^src/server/', '^src/(context|invalidation|loaders|app|main)\\.ts$'] },
    },
    {
      name: 'domain-rules-import-no-graphql',
      severity: 'error',
      comment: 'Domain functions take a db or tx and plain arguments; only a domain\'s graphql.ts knows GraphQL.',
      from: { path: DOMAIN, pathNot: '/graphql\\.ts$' },
      to: { path: ['^src/graphql/', '^src/server/', '/graphql\\.ts$', '^src/(app|main)\\.ts$'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    includeOnly: '^src/',
  },
};
