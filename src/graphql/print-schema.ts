// npm run schema:print: rewrites schema.graphql from the Pothos schema.
import { writeFileSync } from 'node:fs';
import { printSortedSchema } from './schema.js';

writeFileSync(new URL('../../schema.graphql', import.meta.url), printSortedSchema());
console.log('schema.graphql written');
