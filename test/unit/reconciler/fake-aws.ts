/**
 * An in-memory model of the AWS control planes the reconciler uses, implementing its
 * ports with AWS's semantics where they matter (a second mapping on a stream is a
 * ResourceConflict, DeregisterScalableTarget removes the target's policies, enabling an
 * enabled stream is ResourceInUse, page sizes 100/100/50/10). Counts calls by operation,
 * and can add latency and throttle above a call rate (the benchmark uses both).
 * Streams, their records and Lambda's poller are modelled as AWS documents them in
 * `fake-streams.ts`.
 */
import { AwsCallError, ErrorKind } from '../../../reconciler/errors';
import type { MappingFields, ObservedMapping, ObservedPolicy, ObservedStream, ObservedTable, ObservedTarget } from '../../../reconciler/model';
import type { Announcement, AnnouncePort, BackfillStarter, Clock, MappingPort, Page, ScalingPort, StreamPort, TablePort } from '../../../reconciler/ports';
import { createBackfillStarter, type BackfillController } from '../../../reconciler/backfill/starter';
import type { BackfillStateStore } from '../../../src/backfill-state/state-store';
import { createLogger } from '../../../src/observability/logger';
import { FakeStore, TEST_SETTINGS } from '../snapshot/fakes';
import { FakeStreams, type DeliveredRecord, type FakeStream } from './fake-streams';

export interface FakeTable extends ObservedTable {
  tags: Record<string, string>;
}

export interface FakeAwsOptions {
  account?: string;
  region?: string;
  /** Added to every call (real time). */
  latencyMs?: number;
  /** Calls per second above which calls fail with ThrottlingException (sliding 1 s window). */
  maxCallsPerSecond?: number;
  /** AWS refuses a second mapping for the same stream and function; false mimics moto. */
  rejectDuplicateMappings?: boolean;
}

export class FakeAws {
  readonly tables = new Map<string, FakeTable>();
  readonly mappings = new Map<string, ObservedMapping>();
  readonly targets = new Map<string, ObservedTarget>();
  readonly policies = new Map<string, ObservedPolicy>();
  readonly announcements: Announcement[] = [];
  /** Backfill invocations the real starter made ('started' results), with the run's stream. */
  readonly backfills: { tableName: string; streamArn: string }[] = [];
  /** The backfill state table (in memory, with the real store's conditions); tests edit runs here. */
  readonly backfillStore = new FakeStore();
  /** Shared by the operator (helpers pass it) and the backfill starter, so both judge stalls alike. */
  readonly clock = fakeClock();
  private readonly streamModel = new FakeStreams(this.clock, (arn) => [...this.tables.values()].some((t) => t.stream.enabled && t.stream.latestArn === arn));
  calls: Record<string, number> = {};
  /** Operations that fail once with the given error kind/code (tests). */
  readonly failNext = new Map<string, { kind: string; code: string }[]>();
  /** Billing-mode switches AWS refuses (LimitExceeded). */
  refuseBillingSwitch = false;
  private uuidCounter = 0;
  private recentCalls: number[] = [];
  readonly account: string;
  readonly region: string;

  constructor(readonly options: FakeAwsOptions = {}) {
    this.account = options.account ?? '123456789012';
    this.region = options.region ?? 'eu-west-1';
  }

  tableArn(name: string): string {
    return `arn:aws:dynamodb:${this.region}:${this.account}:table/${name}`;
  }

  /** Every stream ever created, by ARN, as DynamoDB Streams keeps them. */
  get streams(): Map<string, FakeStream> {
    return this.streamModel.streams;
  }

  /** Records each mapping delivered to the forwarder (`pollMappings`). */
  get delivered(): DeliveredRecord[] {
    return this.streamModel.delivered;
  }

  /** A new stream of table `name`; its label is its creation time (unique per table, as AWS's are). */
  newStreamArn(name: string): string {
    return this.streamModel.create(this.tableArn(name), name);
  }

  /** DeleteTable: the table goes, its enabled stream turns DISABLED (deleted by DynamoDB 24 hours later). */
  deleteTable(name: string): void {
    const table = this.tables.get(name);
    if (!table) return;
    if (table.stream.enabled && table.stream.latestArn) this.streamModel.disable(table.stream.latestArn, { tableDeleted: true });
    this.tables.delete(name);
  }

  /** Writes `count` items to the table: one record each on its enabled stream. */
  writeRecords(name: string, count: number): void {
    const table = this.requireTable('PutItem', name);
    if (table.stream.enabled && table.stream.latestArn) this.streamModel.write(table.stream.latestArn, count);
  }

  /** Lambda's poller: every Enabled mapping reads what is still readable on its stream. */
  pollMappings(): void {
    this.streamModel.poll(this.mappings.values());
  }

  /** StreamStatus as DescribeStream reports it, GONE once DynamoDB deleted the stream (or never had it). */
  streamStatus(arn: string): ObservedStream['status'] {
    return this.streamModel.status(arn);
  }

  newUuid(): string {
    this.uuidCounter += 1;
    return `00000000-0000-4000-8000-${String(this.uuidCounter).padStart(12, '0')}`;
  }

  /** Adds a table (provisioned, ACTIVE, no stream unless given). */
  addTable(name: string, init: Partial<Omit<FakeTable, 'name' | 'arn'>> = {}): FakeTable {
    const table: FakeTable = {
      name, arn: this.tableArn(name), status: 'ACTIVE', billingMode: 'PROVISIONED', stream: { enabled: false }, indexes: [], tags: {}, ...init,
    };
    this.tables.set(name, table);
    return table;
  }

  /** Lets time pass: deletions in progress complete (mappings in state Deleting vanish). */
  settle(): void {
    for (const [uuid, m] of this.mappings) if (m.state === 'Deleting') this.mappings.delete(uuid);
  }

  totalCalls(): number {
    return Object.values(this.calls).reduce((a, b) => a + b, 0);
  }

  /** Counts accepted calls by operation; throttled attempts count under `Throttled` only. */
  private async call(operation: string): Promise<void> {
    if (this.options.latencyMs) await new Promise((resolve) => setTimeout(resolve, this.options.latencyMs));
    if (this.options.maxCallsPerSecond) {
      const now = Date.now();
      this.recentCalls = this.recentCalls.filter((t) => now - t < 1000);
      if (this.recentCalls.length >= this.options.maxCallsPerSecond) {
        this.calls.Throttled = (this.calls.Throttled ?? 0) + 1;
        throw new AwsCallError(ErrorKind.Retryable, operation, 'ThrottlingException', 'Rate exceeded');
      }
      this.recentCalls.push(now);
    }
    this.calls[operation] = (this.calls[operation] ?? 0) + 1;
    const failures = this.failNext.get(operation);
    const failure = failures?.shift();
    if (failure) throw new AwsCallError(failure.kind as ErrorKind, operation, failure.code, 'injected failure');
  }

  private page<T>(items: T[], size: number, next?: string): Page<T> {
    const start = next ? Number(next) : 0;
    const end = start + size;
    return { items: items.slice(start, end), ...(end < items.length ? { next: String(end) } : {}) };
  }

  private snapshotTable(table: FakeTable): ObservedTable {
    const { tags: _tags, ...rest } = structuredClone(table);
    return rest;
  }

  readonly tablePort: TablePort = {
    listTables: async (start) => {
      await this.call('ListTables');
      const names = [...this.tables.keys()].sort().filter((n) => start === undefined || n > start);
      const items = names.slice(0, 100);
      return { items, ...(names.length > 100 ? { next: items[items.length - 1] } : {}) };
    },
    describeTable: async (name) => {
      await this.call('DescribeTable');
      const table = this.tables.get(name);
      return table ? this.snapshotTable(table) : null;
    },
    enableStream: async (name, viewType) => {
      await this.call('UpdateTable');
      const table = this.requireTable('UpdateTable', name);
      if (table.stream.enabled) throw new AwsCallError(ErrorKind.Retryable, 'UpdateTable', 'ResourceInUseException', 'Table already has an enabled stream');
      const streamArn = this.newStreamArn(name);
      table.stream = { enabled: true, viewType, latestArn: streamArn };
      // UpdateTable's TableDescription names the new stream.
      return { streamArn, streamLabel: streamArn.split('/stream/')[1]! };
    },
    disableStream: async (name) => {
      await this.call('UpdateTable');
      const table = this.requireTable('UpdateTable', name);
      if (!table.stream.enabled) throw new AwsCallError(ErrorKind.Conflict, 'UpdateTable', 'ValidationException', 'Stream is already disabled');
      if (table.stream.latestArn) this.streamModel.disable(table.stream.latestArn);
      table.stream = { enabled: false, ...(table.stream.latestArn ? { latestArn: table.stream.latestArn } : {}) };
    },
    setBillingMode: async (name, mode) => {
      await this.call('UpdateTable');
      const table = this.requireTable('UpdateTable', name);
      if (this.refuseBillingSwitch) throw new AwsCallError(ErrorKind.RetryLater, 'UpdateTable', 'LimitExceededException', 'Subscriber limit exceeded: switch to on-demand limit');
      table.billingMode = mode;
    },
    tagTable: async (arn, tags) => {
      await this.call('TagResource');
      const table = [...this.tables.values()].find((t) => t.arn === arn);
      if (!table) throw new AwsCallError(ErrorKind.NotFound, 'TagResource', 'ResourceNotFoundException', arn);
      Object.assign(table.tags, tags);
    },
    untagTable: async (arn, keys) => {
      await this.call('UntagResource');
      const table = [...this.tables.values()].find((t) => t.arn === arn);
      for (const key of keys) if (table) delete table.tags[key];
    },
    listTags: async (arn) => {
      await this.call('ListTagsOfResource');
      return { ...([...this.tables.values()].find((t) => t.arn === arn)?.tags ?? {}) };
    },
  };

  readonly streamPort: StreamPort = {
    describeStream: async (arn) => {
      await this.call('DescribeStream');
      return { status: this.streamStatus(arn) };
    },
  };

  private requireTable(operation: string, name: string): FakeTable {
    const table = this.tables.get(name);
    if (!table) throw new AwsCallError(ErrorKind.NotFound, operation, 'ResourceNotFoundException', `table ${name}`);
    return table;
  }

  readonly mappingPort: MappingPort = {
    list: async (query, marker) => {
      await this.call('ListEventSourceMappings');
      const all = [...this.mappings.values()].filter((m) => query.eventSourceArn === undefined || m.streamArn === query.eventSourceArn);
      return this.page(structuredClone(all), 100, marker);
    },
    create: async (spec) => {
      await this.call('CreateEventSourceMapping');
      const streamLive = [...this.tables.values()].some((t) => t.stream.enabled && t.stream.latestArn === spec.streamArn);
      if (!streamLive) throw new AwsCallError(ErrorKind.Terminal, 'CreateEventSourceMapping', 'InvalidParameterValueException', `Stream not found: ${spec.streamArn}`);
      if (this.options.rejectDuplicateMappings !== false && [...this.mappings.values()].some((m) => m.streamArn === spec.streamArn)) {
        throw new AwsCallError(ErrorKind.Conflict, 'CreateEventSourceMapping', 'ResourceConflictException', 'mapping already exists');
      }
      const mapping = this.applyFields({ uuid: this.newUuid(), streamArn: spec.streamArn, state: 'Enabled', functionResponseTypes: [] }, spec);
      this.mappings.set(mapping.uuid, mapping);
      return structuredClone(mapping);
    },
    update: async (uuid, changes) => {
      await this.call('UpdateEventSourceMapping');
      const mapping = this.mappings.get(uuid);
      if (!mapping) throw new AwsCallError(ErrorKind.NotFound, 'UpdateEventSourceMapping', 'ResourceNotFoundException', uuid);
      this.mappings.set(uuid, this.applyFields(mapping, changes));
    },
    delete: async (uuid) => {
      await this.call('DeleteEventSourceMapping');
      this.mappings.delete(uuid);
    },
  };

  private applyFields(mapping: ObservedMapping, fields: Partial<MappingFields>): ObservedMapping {
    const next: ObservedMapping = { ...mapping };
    if (fields.batchSize !== undefined) next.batchSize = fields.batchSize;
    if (fields.batchingWindowSeconds !== undefined) next.batchingWindowSeconds = fields.batchingWindowSeconds;
    if (fields.parallelizationFactor !== undefined) next.parallelizationFactor = fields.parallelizationFactor;
    if (fields.maxRetryAttempts !== undefined) next.maxRetryAttempts = fields.maxRetryAttempts;
    if (fields.maxRecordAgeSeconds !== undefined) next.maxRecordAgeSeconds = fields.maxRecordAgeSeconds;
    if (fields.bisectOnError !== undefined) next.bisectOnError = fields.bisectOnError;
    if (fields.functionResponseTypes !== undefined) next.functionResponseTypes = [...fields.functionResponseTypes];
    if ('onFailureDestination' in fields) {
      if (fields.onFailureDestination === undefined) delete next.onFailureDestination;
      else next.onFailureDestination = fields.onFailureDestination;
    }
    if (fields.enabled !== undefined) next.state = fields.enabled ? 'Enabled' : 'Disabled';
    return next;
  }

  readonly scalingPort: ScalingPort = {
    listTargets: async (query, next) => {
      await this.call('DescribeScalableTargets');
      const all = [...this.targets.values()].filter((t) => query.resourceIds === undefined || query.resourceIds.includes(t.resourceId));
      return this.page(structuredClone(all), 50, next);
    },
    listPolicies: async (query, next) => {
      await this.call('DescribeScalingPolicies');
      const all = [...this.policies.values()].filter((p) => query.resourceId === undefined || p.resourceId === query.resourceId);
      return this.page(structuredClone(all), 10, next);
    },
    registerTarget: async (target) => {
      await this.call('RegisterScalableTarget');
      this.targets.set(`${target.resourceId}|${target.dimension}`, { ...target });
    },
    putPolicy: async (policy) => {
      await this.call('PutScalingPolicy');
      if (!this.targets.has(`${policy.resourceId}|${policy.dimension}`)) {
        throw new AwsCallError(ErrorKind.NotFound, 'PutScalingPolicy', 'ObjectNotFoundException', 'No scalable target registered');
      }
      this.policies.set(`${policy.resourceId}|${policy.dimension}|${policy.policyName}`, {
        policyName: policy.policyName, resourceId: policy.resourceId, dimension: policy.dimension, policyType: 'TargetTrackingScaling',
        targetValue: policy.targetValue, metricType: policy.metricType,
      });
    },
    deletePolicy: async (policy) => {
      await this.call('DeleteScalingPolicy');
      this.policies.delete(`${policy.resourceId}|${policy.dimension}|${policy.policyName}`);
    },
    deregisterTarget: async (target) => {
      await this.call('DeregisterScalableTarget');
      this.targets.delete(`${target.resourceId}|${target.dimension}`);
      for (const [key, p] of this.policies) if (p.resourceId === target.resourceId && p.dimension === target.dimension) this.policies.delete(key);
    },
  };

  readonly announcer: AnnouncePort = {
    announce: async (announcements) => {
      await this.call('PutEvents');
      this.announcements.push(...announcements);
    },
  };

  /** The state store as the starter sees it, each call counted (GetItem, PutItem, Scan) like the other APIs. */
  private readonly countedStore: BackfillStateStore = {
    get: async (name) => { await this.call('GetItem'); return this.backfillStore.get(name); },
    list: async (next) => { await this.call('Scan'); return this.backfillStore.list(next); },
    putRun: async (state, version) => { await this.call('PutItem'); return this.backfillStore.putRun(state, version); },
    fixReadBudget: async (...args) => { await this.call('UpdateItem'); return this.backfillStore.fixReadBudget(...args); },
    saveSegment: async (...args) => { await this.call('UpdateItem'); return this.backfillStore.saveSegment(...args); },
    finish: async (...args) => { await this.call('UpdateItem'); return this.backfillStore.finish(...args); },
  };

  /** The backfill module's real starter (create / resume / kick decisions) over the in-memory state table. */
  readonly backfill: BackfillStarter & BackfillController = (() => {
    let runs = 0;
    return createBackfillStarter({
      settings: TEST_SETTINGS,
      store: this.countedStore,
      invoker: {
        invoke: async (payload) => {
          await this.call('Invoke');
          const run = (await this.backfillStore.get(payload.tableName))!.value;
          this.backfills.push({ tableName: payload.tableName, streamArn: run.streamArn });
        },
      },
      logger: createLogger({ service: 'fake-backfill', level: 'ERROR', write: () => undefined }),
      clock: this.clock,
      newRunId: () => `run-${++runs}`,
    });
  })();

  /** Lets every backfill run finish (status done), as the backfill invocations would. */
  finishBackfills(status: 'done' | 'failed' = 'done'): void {
    for (const [name, row] of this.backfillStore.rows) {
      this.backfillStore.rows.set(name, { value: { ...row.value, status, updatedAt: this.clock.now(), finishedAt: this.clock.now() }, version: row.version + 1 });
    }
  }
}

/** A clock whose sleep advances time instantly. */
export function fakeClock(start = 1_700_000_000_000): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}
