/**
 * Announcements of a table's reconcile on the event bus: ready, conflict, resources
 * removed. A lost announcement is logged, never retried into the table's outcome.
 */
import { describeError } from '../src/errors';
import type { OperatorContext } from './context';
import type { Conflict, Observed } from './model';
import { AnnouncementType, type Announcement } from './ports';
import { Outcome, type TableResult } from './results';
import type { Applied } from './apply';

const CONFLICT_ANNOUNCE_TTL_MS = 24 * 3600_000;

export type Announce = (result: TableResult, observed: Observed | undefined, extra: Applied, trigger: string) => Promise<void>;

export function createAnnouncer(ctx: OperatorContext): Announce {
  const { deps, clock } = ctx;
  const announcedConflicts = new Map<string, number>();

  function shouldAnnounceConflict(tableName: string, conflicts: Conflict[], trigger: string): boolean {
    const key = `${tableName}|${conflicts.map((c) => c.kind).sort().join(',')}`;
    const last = announcedConflicts.get(key);
    // Sweeps run every few minutes: announce a standing conflict once a day per container, events always.
    if (trigger === 'sweep' && last !== undefined && clock.now() - last < CONFLICT_ANNOUNCE_TTL_MS) return false;
    announcedConflicts.set(key, clock.now());
    return true;
  }

  function announcementsOf(result: TableResult, observed: Observed | undefined, extra: Applied, trigger: string): Announcement[] {
    const announcements: Announcement[] = [];
    const base = { tableName: result.table, tableArn: observed?.table?.arn, trigger };
    if (result.conflicts.length > 0 && shouldAnnounceConflict(result.table, result.conflicts, trigger)) {
      announcements.push({ detailType: AnnouncementType.TableConflict, detail: { ...base, conflicts: result.conflicts, policy: deps.config.streamConflictPolicy } });
    }
    if (result.outcome === Outcome.Changed) {
      announcements.push({
        detailType: AnnouncementType.TableReady,
        detail: { ...base, streamArn: extra.streamArn, mappingUuid: extra.mappingUuid, capacityMode: deps.config.capacity.mode, actions: result.actions.map((a) => a.type) },
      });
    }
    if (result.outcome === Outcome.Removed && result.actions.length > 0) {
      announcements.push({
        detailType: AnnouncementType.TableResourcesRemoved,
        detail: {
          ...base,
          deletedMappings: result.actions.flatMap((a) => (a.type === 'delete-mapping' ? [a.uuid] : [])),
          deregisteredTargets: result.actions.flatMap((a) => (a.type === 'deregister-target' ? [{ resourceId: a.resourceId, dimension: a.dimension }] : [])),
        },
      });
    }
    return announcements;
  }

  return async (result, observed, extra, trigger) => {
    const announcements = announcementsOf(result, observed, extra, trigger);
    if (announcements.length === 0) return;
    try {
      await deps.announcer.announce(announcements);
      deps.metrics.add('Announcements', announcements.length);
    } catch (error) {
      // The table is converged; a lost announcement must not undo or retry that.
      deps.logger.warn('announcement failed', { table: result.table, error: describeError(error) });
      deps.metrics.add('AnnouncementErrors');
    }
  };
}
