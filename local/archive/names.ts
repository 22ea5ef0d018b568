/** Names of the local archive (development tooling only). */
export const LOCAL_ARCHIVE_BUCKET = 'dms-event-bus-archive';
export const LOCAL_ARCHIVE_STREAM = 'dms-event-bus-archive';
