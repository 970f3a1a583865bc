import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { runWithStatementLog, type StatementLog } from '../db/statement-log.js';
import type { Metrics } from '../metrics.js';

const MAX_OPERATION_NAMES = 200;

/**
 * Counts each operation's SQL statements and time into the metrics, and serves them at
 * /metrics in Prometheus text format. Operation names are client-chosen, so only
 * well-formed ones become labels, and only so many.
 */
export function useGuildhallMetrics(metrics: Metrics): Plugin {
  const seen = new Set<string>();
  const label = (name: string | undefined) => {
    if (!name || !/^[A-Za-z_]\w{0,63}$/.test(name)) return 'anonymous';
    if (seen.has(name)) return name;
    if (seen.size >= MAX_OPERATION_NAMES) return 'other';
    seen.add(name);
    return name;
  };
  return {
    async onRequest({ url, endResponse }) {
      if (url.pathname !== '/metrics') return;
      endResponse(new Response(await metrics.registry.metrics(), { headers: { 'content-type': metrics.registry.contentType } }));
    },
    onExecute({ args, executeFn, setExecuteFn }) {
      const operation = label(getOperationAST(args.document, args.operationName)?.name?.value);
      const log: StatementLog = { statements: [] };
      const started = performance.now();
      setExecuteFn((executeArgs) => runWithStatementLog(log, () => executeFn(executeArgs)));
      return {
        onExecuteDone() {
          metrics.sqlStatements.observe({ operation }, log.statements.length);
          metrics.requestDuration.observe({ operation }, (performance.now() - started) / 1000);
        },
      };
    },
  };
}
