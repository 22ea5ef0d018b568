/** What cli/main.ts hands a command in cli/commands/: output, the parsed options and the shared dependencies. */
import type { ReconcilerConfig } from '../../src/config/reconciler';
import type { Logger } from '../../src/observability/logger';
import type { Metrics } from '../../src/observability/metrics';

export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

export interface CommandContext {
  io: CommandIo;
  /** The reconciler configuration (FORWARDER_FUNCTION_ARN or --forwarder, filters, ...). */
  config(): Promise<ReconcilerConfig>;
  logger: Logger;
  metrics: Metrics;
  json: boolean;
  dryRun: boolean;
}
