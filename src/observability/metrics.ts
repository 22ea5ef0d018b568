/**
 * CloudWatch metrics in the embedded metric format (EMF): counters are summed in memory
 * during an invocation and written as one log line by `flush()`, so publishing metrics
 * costs no API call and no latency.
 */
export const METRICS_NAMESPACE = 'DmsEventBus';

export type MetricUnit = 'Count' | 'Milliseconds' | 'Bytes' | 'Seconds';

export interface Metrics {
  add(name: string, value?: number, unit?: MetricUnit): void;
  /** Current totals (tests and summaries read them). */
  snapshot(): Record<string, number>;
  /** Writes the totals as one EMF line and clears them; writes nothing when empty. */
  flush(): void;
}

export interface MetricsOptions {
  service: string;
  namespace?: string;
  write?: (line: string) => void;
  now?: () => number;
}

export function createMetrics(options: MetricsOptions): Metrics {
  const namespace = options.namespace ?? METRICS_NAMESPACE;
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? Date.now;
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
      const document: Record<string, unknown> = {
        _aws: {
          Timestamp: now(),
          CloudWatchMetrics: [
            {
              Namespace: namespace,
              Dimensions: [['service']],
              Metrics: entries.map(([name, metric]) => ({ Name: name, Unit: metric.unit })),
            },
          ],
        },
        service: options.service,
      };
      for (const [name, metric] of entries) document[name] = metric.value;
      write(JSON.stringify(document));
    },
  };
}
