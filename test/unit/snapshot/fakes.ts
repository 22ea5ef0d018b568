/**
 * In-memory fakes of the backfill's ports, with the same conditional-write semantics as
 * the DynamoDB state store, a source table that scans parallel segments with real
 * pagination, a recording publisher, a queueing invoker and a clock that advances
 * without waiting.
 */
import type { EncodedChangeEvent } from '../../../src/change-event';
import { createLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import type { BackfillState, ItemKey } from '../../../src/backfill-state/checkpoint';
import type { BackfillDeps, BackfillInvocation, BackfillSettings } from '../../../snapshot/deps';
import { StateConflictError } from '../../../src/backfill-state/errors';
import type { SnapshotPublisher } from '../../../snapshot/snapshot-publisher';
import type { Item, ScanPage, ScanPageRequest, SourceTable, SourceTableInfo } from '../../../snapshot/source-table';
import type { BackfillStateStore, Versioned } from '../../../src/backfill-state/state-store';
import { toRunSummary } from '../../../src/backfill-state/state-store';
import type { StarterDeps } from '../../../reconciler/backfill/starter';

export class FakeStore implements BackfillStateStore {
  readonly rows = new Map<string, Versioned<BackfillState>>();
  writes = 0;
  /** Called before every write; a test may throw from it. */
  beforeWrite: () => void = () => undefined;

  async get(tableName: string) {
    return structuredClone(this.rows.get(tableName));
  }

  /** Pages of `pageSize` rows, like a Scan (the token is the last table name of the page). */
  pageSize = 100;
  listCalls = 0;

  async list(next?: string) {
    this.listCalls++;
    const names = [...this.rows.keys()].sort().filter((name) => next === undefined || name > next);
    const page = names.slice(0, this.pageSize);
    return {
      items: page.map((name) => toRunSummary(this.rows.get(name)!.value)),
      ...(names.length > this.pageSize ? { next: page[page.length - 1] } : {}),
    };
  }

  async putRun(state: BackfillState, expectedVersion: number | undefined) {
    this.beforeWrite();
    const current = this.rows.get(state.tableName);
    if (current?.version !== expectedVersion) throw new StateConflictError('putRun condition failed');
    this.writes++;
    this.rows.set(state.tableName, { value: structuredClone(state), version: (expectedVersion ?? 0) + 1 });
  }

  async fixReadBudget(tableName: string, runId: string, budgetRcu: number, now: number) {
    this.beforeWrite();
    const current = this.rows.get(tableName);
    if (!current || current.value.runId !== runId || current.value.status !== 'running') throw new StateConflictError('fixReadBudget condition failed');
    this.writes++;
    const readBudgetRcu = current.value.readBudgetRcu ?? budgetRcu;
    this.rows.set(tableName, { value: { ...structuredClone(current.value), readBudgetRcu, updatedAt: now }, version: current.version + 1 });
    return readBudgetRcu;
  }

  async saveSegment(tableName: string, runId: string, segment: BackfillState['segments'][number], expectedVersion: number, now: number) {
    this.beforeWrite();
    const current = this.rows.get(tableName);
    const stored = current?.value.segments[segment.segment];
    if (!current || current.value.runId !== runId || current.value.status !== 'running' || stored?.version !== expectedVersion) {
      throw new StateConflictError('saveSegment condition failed');
    }
    this.writes++;
    const segments = [...current.value.segments];
    segments[segment.segment] = structuredClone(segment);
    const next = { value: { ...current.value, segments, updatedAt: now }, version: current.version + 1 };
    this.rows.set(tableName, next);
    return structuredClone(next);
  }

  async finish(tableName: string, runId: string, status: 'done' | 'failed', error: string | undefined, now: number) {
    this.beforeWrite();
    const current = this.rows.get(tableName);
    if (!current || current.value.runId !== runId || current.value.status !== 'running') throw new StateConflictError('finish condition failed');
    this.writes++;
    this.rows.set(tableName, {
      value: { ...current.value, status, error, finishedAt: now, updatedAt: now },
      version: current.version + 1,
    });
  }
}

const keyText = (key: ItemKey) => String(key.id?.S);

/** Segment of an item: a stable hash of its key, like DynamoDB's. */
export function segmentOf(id: string, totalSegments: number): number {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % totalSegments;
}

export class FakeSource implements SourceTable {
  readonly items = new Map<string, Item>();
  scans: ScanPageRequest[] = [];
  /** ConsumedCapacity each page reports. */
  consumedRcu: number | undefined = 1;
  /** Called before every scan; a test may throw from it. */
  beforeScan: (request: ScanPageRequest) => void = () => undefined;
  info: SourceTableInfo = {
    tableName: 'orders',
    tableArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/orders',
    keyAttributeNames: ['id'],
    capacity: { billingMode: 'PROVISIONED', readCapacityUnits: 400 },
    latestStreamArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/orders/stream/1',
  };

  constructor(count = 0) {
    for (let i = 0; i < count; i++) this.put(`item-${String(i).padStart(5, '0')}`, i);
  }

  put(id: string, value: number) {
    this.items.set(id, { id: { S: id }, value: { N: String(value) } });
  }

  async describe() {
    return this.info;
  }

  async scanPage(request: ScanPageRequest): Promise<ScanPage> {
    this.beforeScan(request);
    this.scans.push(request);
    const start = request.exclusiveStartKey ? keyText(request.exclusiveStartKey) : undefined;
    const candidates = [...this.items.keys()]
      .sort()
      .filter((id) => segmentOf(id, request.totalSegments) === request.segment && (start === undefined || id > start));
    const page = candidates.slice(0, request.limit);
    const more = candidates.length > page.length;
    return {
      items: page.map((id) => structuredClone(this.items.get(id) as Item)),
      lastKey: more ? { id: { S: page[page.length - 1] as string } } : undefined,
      consumedRcu: this.consumedRcu,
    };
  }
}

export class FakePublisher implements SnapshotPublisher {
  readonly published: EncodedChangeEvent[] = [];
  /** Called after the events are "on the stream"; a test may throw from it to simulate a crash. */
  afterPublish: (events: readonly EncodedChangeEvent[]) => void = () => undefined;

  async publish(events: readonly EncodedChangeEvent[]) {
    this.published.push(...events);
    this.afterPublish(events);
  }

  /** Parsed events. */
  events(): Array<{ operation: string; keys: Record<string, unknown>; new: Record<string, unknown>; readAt: string; id: string; origin?: Record<string, string | null>; snapshot?: { reason: string; runStartedAt: string } }> {
    return this.published.map((event) => JSON.parse(Buffer.from(event.data).toString('utf8')));
  }
}

export class QueueInvoker {
  readonly queue: BackfillInvocation[] = [];
  async invoke(payload: BackfillInvocation) {
    this.queue.push(payload);
  }
}

export class FakeClock {
  constructor(public time = 1_700_000_000_000) {}
  readonly sleeps: number[] = [];
  now = () => this.time;
  sleep = async (ms: number) => {
    this.sleeps.push(ms);
    this.time += ms;
  };
}

export const TEST_SETTINGS: BackfillSettings = {
  segments: 4,
  pageLimit: 25,
  readCapacityFraction: 0.25,
  onDemandMaxRcu: 100,
  stopMarginMs: 1_000,
  maxSegmentAttempts: 3,
  maxRecordSizeBytes: 1_048_576,
  staleAfterMs: 900_000,
};

export interface Harness {
  /** The runner's ports plus what the starter needs, so one harness starts and runs. */
  deps: BackfillDeps & StarterDeps & { settings: BackfillSettings };
  store: FakeStore;
  source: FakeSource;
  publisher: FakePublisher;
  invoker: QueueInvoker;
  clock: FakeClock;
  logs: string[];
  metricLines: string[];
}

export function harness(options: { items?: number; settings?: Partial<BackfillSettings> } = {}): Harness {
  const store = new FakeStore();
  const source = new FakeSource(options.items ?? 0);
  const publisher = new FakePublisher();
  const invoker = new QueueInvoker();
  const clock = new FakeClock();
  const logs: string[] = [];
  const metricLines: string[] = [];
  let runs = 0;
  const deps: Harness['deps'] = {
    settings: { ...TEST_SETTINGS, ...options.settings },
    store,
    source,
    publisher,
    invoker,
    region: 'us-east-1',
    logger: createLogger({ service: 'test', level: 'DEBUG', write: (line) => logs.push(line) }),
    metrics: createMetrics({ service: 'test', write: (line) => metricLines.push(line) }),
    clock,
    random: () => 0.5,
    newRunId: () => `run-${++runs}`,
  };
  return { deps, store, source, publisher, invoker, clock, logs, metricLines };
}
