import { FORWARDER_ENV, loadForwarderConfig } from '../../../src/config/forwarder';
import { ConfigurationError } from '../../../src/errors';

describe('loadForwarderConfig', () => {
  it('applies the documented defaults', () => {
    // Act
    const config = loadForwarderConfig({ KINESIS_STREAM_NAME: 'changes' });
    // Assess
    expect(config).toEqual({
      streamName: 'changes',
      maxRecordBytes: 1_048_576,
      maxRequestBytes: 5 * 1_048_576,
      publishMaxAttempts: 6,
      logLevel: 'INFO',
      serviceName: 'forwarder',
      metricsNamespace: 'DmsEventBus',
      safetyMarginMs: 3_000,
    });
  });

  it('reads every variable it declares', () => {
    // Act
    const config = loadForwarderConfig({
      KINESIS_STREAM_NAME: 'changes',
      MAX_RECORD_SIZE_BYTES: String(10 * 1_048_576),
      PUBLISH_MAX_ATTEMPTS: '9',
      POWERTOOLS_LOG_LEVEL: 'debug',
      POWERTOOLS_METRICS_NAMESPACE: 'Acme/Events',
      POWERTOOLS_SERVICE_NAME: 'forwarder-eu',
    });
    // Assess
    expect(config).toMatchObject({ maxRecordBytes: 10 * 1_048_576, maxRequestBytes: 10 * 1_048_576, publishMaxAttempts: 9, logLevel: 'DEBUG', metricsNamespace: 'Acme/Events', serviceName: 'forwarder-eu' });
    expect([...FORWARDER_ENV].sort()).toEqual([
      'KINESIS_STREAM_NAME',
      'MAX_RECORD_SIZE_BYTES',
      'POWERTOOLS_LOG_LEVEL',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_SERVICE_NAME',
      'PUBLISH_MAX_ATTEMPTS',
    ]);
  });

  it.each([
    [{}, 'KINESIS_STREAM_NAME is required'],
    [{ KINESIS_STREAM_NAME: 's', MAX_RECORD_SIZE_BYTES: 'big' }, 'MAX_RECORD_SIZE_BYTES must be an integer'],
    [{ KINESIS_STREAM_NAME: 's', MAX_RECORD_SIZE_BYTES: String(11 * 1_048_576) }, 'MAX_RECORD_SIZE_BYTES must be <='],
    [{ KINESIS_STREAM_NAME: 's', PUBLISH_MAX_ATTEMPTS: '0' }, 'PUBLISH_MAX_ATTEMPTS must be >= 1'],
  ])('rejects %j: %s', (env, message) => {
    // Act
    const act = () => loadForwarderConfig(env);
    // Assess
    expect(act).toThrow(ConfigurationError);
    expect(act).toThrow(message);
  });
});
