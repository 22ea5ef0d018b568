/** EventBridge announcer: PutEvents with source `dms-event-bus`, 10 entries per call. */
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { awsCall, AwsCallError, ErrorKind } from '../errors';
import type { AnnouncePort } from '../ports';

export const ANNOUNCEMENT_SOURCE = 'dms-event-bus';

export function createEventBridgeAnnouncer(client: EventBridgeClient, eventBusName: string): AnnouncePort {
  return {
    async announce(announcements) {
      for (let i = 0; i < announcements.length; i += 10) {
        const entries = announcements.slice(i, i + 10).map((a) => ({
          EventBusName: eventBusName, Source: ANNOUNCEMENT_SOURCE, DetailType: a.detailType, Detail: JSON.stringify(a.detail),
        }));
        const out = await awsCall('PutEvents', () => client.send(new PutEventsCommand({ Entries: entries })));
        if ((out.FailedEntryCount ?? 0) > 0) {
          const failed = (out.Entries ?? []).find((e) => e.ErrorCode);
          throw new AwsCallError(ErrorKind.Retryable, 'PutEvents', failed?.ErrorCode ?? 'FailedEntry', `${out.FailedEntryCount} of ${entries.length} events not accepted: ${failed?.ErrorMessage ?? ''}`);
        }
      }
    },
  };
}
