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
      origin: {
        attributes: { commitTime: 'dms_commit_timestamp', changeSequence: 'dms_change_seq', transactionId: 'dms_transaction_id', streamPosition: 'dms_stream_position' },
        keepAttributes: false,
      },
      lagMetricsPerTable: false,
      heartbeatTablePatterns: [],
      heartbeatPublish: true,
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
      ORIGIN_COMMIT_TIME_ATTRIBUTE: 'h_commit',
      ORIGIN_CHANGE_SEQUENCE_ATTRIBUTE: 'h_seq',
      ORIGIN_TRANSACTION_ID_ATTRIBUTE: 'h_tx',
      ORIGIN_STREAM_POSITION_ATTRIBUTE: 'h_pos',
      ORIGIN_KEEP_ATTRIBUTES: 'true',
      LAG_METRICS_PER_TABLE: 'true',
      HEARTBEAT_TABLE_PATTERNS: 'dms_heartbeat, *_hb',
      HEARTBEAT_PUBLISH: 'false',
    });
    // Assess
    expect(config).toMatchObject({ maxRecordBytes: 10 * 1_048_576, maxRequestBytes: 10 * 1_048_576, publishMaxAttempts: 9, logLevel: 'DEBUG', metricsNamespace: 'Acme/Events', serviceName: 'forwarder-eu' });
    expect(config).toMatchObject({
      origin: { attributes: { commitTime: 'h_commit', changeSequence: 'h_seq', transactionId: 'h_tx', streamPosition: 'h_pos' }, keepAttributes: true },
      lagMetricsPerTable: true,
      heartbeatTablePatterns: ['dms_heartbeat', '*_hb'],
      heartbeatPublish: false,
    });
    expect([...FORWARDER_ENV].sort()).toEqual([
      'HEARTBEAT_PUBLISH',
      'HEARTBEAT_TABLE_PATTERNS',
      'KINESIS_STREAM_NAME',
      'LAG_METRICS_PER_TABLE',
      'MAX_RECORD_SIZE_BYTES',
      'ORIGIN_CHANGE_SEQUENCE_ATTRIBUTE',
      'ORIGIN_COMMIT_TIME_ATTRIBUTE',
      'ORIGIN_KEEP_ATTRIBUTES',
      'ORIGIN_STREAM_POSITION_ATTRIBUTE',
      'ORIGIN_TRANSACTION_ID_ATTRIBUTE',
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
    [{ KINESIS_STREAM_NAME: 's', ORIGIN_CHANGE_SEQUENCE_ATTRIBUTE: 'dms_commit_timestamp' }, 'must name four different attributes'],
    [{ KINESIS_STREAM_NAME: 's', ORIGIN_KEEP_ATTRIBUTES: 'maybe' }, 'ORIGIN_KEEP_ATTRIBUTES must be true or false'],
  ])('rejects %j: %s', (env, message) => {
    // Act
    const act = () => loadForwarderConfig(env);
    // Assess
    expect(act).toThrow(ConfigurationError);
    expect(act).toThrow(message);
  });
});
