/**
 * The lag metrics with a `table` dimension, for deployments that accept their cost (each
 * table adds one CloudWatch custom metric per lag metric). One EMF line per table and
 * invocation, next to the invocation's line without the dimension.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
import { METRICS_NAMESPACE } from '../src/observability/metrics';
import type { lagMetricValues } from './lag';

export type LagMetricValues = ReturnType<typeof lagMetricValues>;

/** Where per-table lag metrics go. */
export interface TableMetricsSink {
  write(table: string, values: LagMetricValues): void;
}

export interface EmfTableMetricsOptions {
  readonly service: string;
  readonly namespace?: string;
  readonly write?: (line: string) => void;
  readonly now?: () => number;
}

export function createEmfTableMetrics(options: EmfTableMetricsOptions): TableMetricsSink {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? Date.now;
  return {
    write(table, values) {
      if (values.length === 0) return;
      const document: Record<string, unknown> = {
        _aws: {
          Timestamp: now(),
          CloudWatchMetrics: [
            {
              Namespace: options.namespace ?? METRICS_NAMESPACE,
              Dimensions: [['service', 'table']],
              Metrics: values.map(({ name, unit }) => ({ Name: name, Unit: unit })),
            },
          ],
        },
        service: options.service,
        table,
      };
      for (const { name, value } of values) document[name] = value;
      write(JSON.stringify(document));
    },
  };
}
