/** The local event source mapping poller (development tooling, never deployed). */
export * from './aws';
export * from './lambda-context';
export * from './lambda-event';
export * from './mapping-config';
export * from './on-failure';
export * from './poller';
export * from './shard-consumer';
export * from './shards';
