/**
 * Jest glue for integration tests: starts the emulators once per test file on free
 * loopback ports, routes the SDK to them through the standard AWS_ENDPOINT_URL_* variables,
 * and stops them (restoring process.env) after the file, whether its tests passed or not.
 */
import { applyEnv, startLocalAws, type LocalAws, type StartOptions } from '../../local/emulators';

export function useLocalAws(options: StartOptions = {}): () => LocalAws {
  let aws: LocalAws | undefined;
  let restoreEnv: (() => void) | undefined;
  beforeAll(async () => {
    aws = await startLocalAws(options);
    restoreEnv = applyEnv(aws.env);
  }, 120_000);
  afterAll(async () => {
    restoreEnv?.();
    await aws?.stop();
  }, 30_000);
  return () => {
    if (!aws) throw new Error('local AWS is not started (useLocalAws must be called at file level)');
    return aws;
  };
}
