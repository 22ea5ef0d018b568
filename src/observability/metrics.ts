/**
 * CloudWatch metrics in the embedded metric format (EMF) on Powertools for AWS Lambda
 * (TypeScript) Metrics: counters are summed in memory during an invocation and written as
 * one log line by `flush()`, so publishing metrics costs no API call and no latency.
 * Namespace `DmsEventBus` and one dimension `service`: what the dashboard and alarms read.
 *
 * @see https://docs.powertools.aws.dev/lambda/typescript/latest/core/metrics/
 */
import { Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { lineConsole, redirectOutput } from './logger';

/** The namespace of every metric the functions emit. */
export const METRICS_NAMESPACE = 'DmsEventBus';

/** The metric Powertools emits once per execution environment, on its first invocation. */
export const COLD_START_METRIC = 'ColdStart';

export type MetricUnit = 'Count' | 'Milliseconds' | 'Bytes' | 'Seconds';

/** The metrics every module takes; `createMetrics` makes the real one. */
export interface Metrics {
  add(name: string, value?: number, unit?: MetricUnit): void;
  /** Current totals (tests and summaries read them). */
  snapshot(): Record<string, number>;
  /** Writes the totals as one EMF line and clears them; writes nothing when empty. */
  flush(): void;
  /** Emits `ColdStart` (dimensions service, function_name) on the first call only. */
  captureColdStart?(context: Context): void;
}

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /** The `service` dimension. */
  service: string;
  namespace?: string;
  /** Where EMF lines go; stdout by default. */
  write?: (line: string) => void;
  /** Clock for the EMF timestamp (milliseconds); the real time by default. */
  now?: () => number;
}

/** Powertools Metrics with its once-per-environment cold-start flag readable. */
class FunctionMetrics extends PowertoolsMetrics {
  /** True on the first call in an on-demand execution environment, false afterwards. */
  takeColdStart(): boolean {
    return this.getColdStart();
  }
}

function powertoolsMetrics(options: MetricsOptions, singleMetric = false): FunctionMetrics {
  const metrics = new FunctionMetrics({
    namespace: options.namespace ?? METRICS_NAMESPACE,
    serviceName: options.service,
    singleMetric,
    // Powertools' own warnings (e.g. an out-of-range timestamp) go where the metrics go.
    ...(options.write ? { logger: lineConsole(options.write) } : {}),
  });
  redirectOutput(metrics, options.write);
  return metrics;
}

/** The functions' metrics: sums per name (Powertools alone would emit each value separately). */
export function createMetrics(options: MetricsOptions): Metrics {
  const metrics = powertoolsMetrics(options);
  let values = new Map<string, { value: number; unit: MetricUnit }>();
  return {
    add(name, value = 1, unit = 'Count') {
      const current = values.get(name);
      values.set(name, { value: (current?.value ?? 0) + value, unit });
    },
    snapshot() {
      return Object.fromEntries([...values].map(([name, metric]) => [name, metric.value]));
    },
    flush() {
      if (values.size === 0) return;
      const entries = [...values];
      values = new Map();
      for (const [name, metric] of entries) metrics.addMetric(name, metric.unit, metric.value);
      if (options.now) metrics.setTimestamp(options.now());
      metrics.publishStoredMetrics();
    },
    captureColdStart(context) {
      // Powertools' own captureColdStartMetric writes through a fresh instance's stdout, so the
      // same metric is written here through the configured output. getColdStart() is Powertools'
      // flag: true once, and only when AWS_LAMBDA_INITIALIZATION_TYPE is on-demand (a provisioned
      // concurrency environment is initialised before any request, so it has no cold start).
      if (!metrics.takeColdStart()) return;
      const single = powertoolsMetrics(options, true);
      if (context.functionName) single.addDimension('function_name', context.functionName);
      single.addMetric(COLD_START_METRIC, 'Count', 1);
    },
  };
}
