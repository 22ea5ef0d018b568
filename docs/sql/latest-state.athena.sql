-- Latest state of one source table from the change archive, Athena (Trino) flavour: the same query as
-- latest-state.duckdb.sql (which the tests run), over the Glue table the template creates.
-- Replace dms_event_bus with the ArchiveDatabaseName parameter and 'orders' with the source table; the
-- "table" condition is required (partition projection injects it). See docs/data-lake.md for the differences.
WITH events AS (
  SELECT
    id, operation, sequencenumber, approximatecreationtime, readat, truncated, keys, new, snapshot,
    coalesce(split_part(source.streamarn, '/stream/', 2), '') AS generation,
    json_format(CAST(transform(array_sort(map_keys(CAST(json_parse(keys) AS map(varchar, varchar)))),
      k -> ARRAY[k, element_at(CAST(json_parse(keys) AS map(varchar, varchar)), k)]) AS json)) AS item_key
  FROM dms_event_bus.changes
  WHERE "table" = 'orders' AND operation IN ('insert', 'modify', 'remove', 'snapshot')
),
current_generation AS (
  SELECT * FROM events WHERE generation = (SELECT max(generation) FROM events)
),
latest_change AS (
  SELECT * FROM (
    SELECT *, row_number() OVER (PARTITION BY item_key ORDER BY lpad(sequencenumber, 64, '0') DESC) AS rank
    FROM current_generation WHERE operation <> 'snapshot'
  ) WHERE rank = 1
),
latest_snapshot AS (
  SELECT * FROM (
    SELECT *, row_number() OVER (PARTITION BY item_key ORDER BY from_iso8601_timestamp(readat) DESC) AS rank,
      -- 4: the snapshot kept also carries the latest heal cutoff of any snapshot of the key
      max(CASE WHEN snapshot.reason = 'heal' THEN from_iso8601_timestamp(snapshot.runstartedat) END) OVER (PARTITION BY item_key) AS heal_started
    FROM current_generation WHERE operation = 'snapshot'
  ) WHERE rank = 1
),
decided AS (
  SELECT c.*, s.operation AS s_operation, s.keys AS s_keys, s.new AS s_new, s.truncated AS s_truncated, s.item_key AS s_item_key,
    c.item_key IS NULL OR (
      s.item_key IS NOT NULL AND s.heal_started IS NOT NULL
      AND from_iso8601_timestamp(c.approximatecreationtime) < s.heal_started - INTERVAL '15' MINUTE
    ) AS snapshot_wins
  FROM latest_change c FULL OUTER JOIN latest_snapshot s ON c.item_key = s.item_key
),
winner AS (
  SELECT
    CASE WHEN snapshot_wins THEN s_item_key ELSE item_key END AS item_key,
    CASE WHEN snapshot_wins THEN s_operation ELSE operation END AS operation,
    CASE WHEN snapshot_wins THEN s_keys ELSE keys END AS keys,
    CASE WHEN snapshot_wins THEN s_new ELSE new END AS item,
    CASE WHEN snapshot_wins THEN s_truncated ELSE truncated END AS truncated
  FROM decided
)
SELECT item_key, keys, item, contains(truncated, 'new') AS incomplete
FROM winner
WHERE operation <> 'remove'
ORDER BY item_key;
