import { timingSafeEqual } from 'node:crypto';
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { ExposureOptions } from '../config.js';
import type { Context } from '../context.js';
import type { Metrics } from '../metrics.js';

function tokenMatches(authorization: string | null, token: string): boolean {
  const sent = Buffer.from(authorization?.replace(/^Bearer\s+/i, '') ?? '');
  const expected = Buffer.from(token);
  return sent.length === expected.length && timingSafeEqual(sent, expected);
}

/**
 * Counts each operation's SQL statements and time into the metrics, and serves them at
 * /metrics in Prometheus text format. /metrics is open, needs the bearer token, or is off
 * (404), as configured.
 */
export function useGuildhallMetrics(metrics: Metrics, access: ExposureOptions['metrics'] = 'open'): Plugin {
  return {
    async onRequest({ request, url, endResponse }) {
      if (url.pathname !== '/metrics') return;
      if (access === 'off') return endResponse(new Response('Not found', { status: 404 }));
      if (access !== 'open' && !tokenMatches(request.headers.get('authorization'), access.token)) {
        return endResponse(new Response('Unauthorized', { status: 401, headers: { 'www-authenticate': 'Bearer' } }));
      }
      endResponse(new Response(await metrics.registry.metrics(), { headers: { 'content-type': metrics.registry.contentType } }));
    },
    onExecute({ args }) {
      const operation = getOperationAST(args.document, args.operationName)?.name?.value;
      // The request's database handle counts its statements (context.ts).
      const statements = (args.contextValue as Partial<Context>).statements ?? { count: 0 };
      const before = statements.count;
      const started = performance.now();
      return {
        onExecuteDone() {
          metrics.observeOperation(operation, statements.count - before, (performance.now() - started) / 1000);
        },
      };
    },
  };
}
