import type { CodegenConfig } from '@graphql-codegen/cli';

// Types every operation the tests (our reference client) send, against the committed
// schema.graphql: a schema change that breaks a client breaks the type check.
const config: CodegenConfig = {
  schema: './schema.graphql',
  documents: ['test/operations/**/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    './test/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: { useTypeImports: true, enumsAsTypes: true, importExtension: '.js', scalars: { DateTime: 'string' } },
    },
  },
};

export default config;
