-- Latest state of one source table from the change archive, DuckDB flavour.
-- The consumer merge rule of docs/change-events.md, rule by rule (numbers in the comments).
-- Placeholders: {{archive}} = the archive's root, the prefix before table=... (s3://BUCKET/changes, or a
-- local copy), {{table}} = the source table. Result: one row per item that exists, with its canonical key,
-- its key attributes, the item (JSON) and whether the winning event had its image truncated (oversize).
WITH events AS (
  SELECT
    id, operation, sequencenumber, approximatecreationtime, readat, truncated, keys, new, snapshot,
    -- 1: the stream generation is the label after /stream/; no stream (null) is the oldest
    coalesce(split_part(source.streamarn, '/stream/', 2), '') AS generation,
    -- the item key, canonical: attribute names sorted
    to_json(list_transform(list_sort(json_keys(keys)), k -> [k, keys ->> k])) AS item_key
  FROM read_json('{{archive}}/table={{table}}/*/*.gz',
    format = 'newline_delimited', compression = 'gzip', hive_partitioning = true,
    columns = {
      id: 'VARCHAR', operation: 'VARCHAR', sequenceNumber: 'VARCHAR', approximateCreationTime: 'VARCHAR',
      readAt: 'VARCHAR', truncated: 'VARCHAR[]', keys: 'JSON', new: 'JSON',
      source: 'STRUCT(streamArn VARCHAR)', snapshot: 'STRUCT(reason VARCHAR, runStartedAt VARCHAR)'
    })
  -- 6: unconvertible markers never change state
  WHERE "table" = '{{table}}' AND operation IN ('insert', 'modify', 'remove', 'snapshot')
),
current_generation AS (
  -- 5: the table's newest stream generation supersedes older ones as a whole
  SELECT * FROM events WHERE generation = (SELECT max(generation) FROM events)
),
latest_change AS (
  -- 2: stream events: the highest sequence number wins (a big integer: compared zero-padded)
  SELECT * FROM (
    SELECT *, row_number() OVER (PARTITION BY item_key ORDER BY lpad(sequencenumber, 64, '0') DESC) AS rank
    FROM current_generation WHERE operation <> 'snapshot'
  ) WHERE rank = 1
),
latest_snapshot AS (
  -- 4: snapshots: the later readAt wins
  SELECT * FROM (
    SELECT *, row_number() OVER (PARTITION BY item_key ORDER BY CAST(readat AS TIMESTAMPTZ) DESC) AS rank,
      -- 4: the snapshot kept also carries the latest heal cutoff of any snapshot of the key
      max(CASE WHEN snapshot.reason = 'heal' THEN CAST(snapshot.runstartedat AS TIMESTAMPTZ) END) OVER (PARTITION BY item_key) AS heal_started
    FROM current_generation WHERE operation = 'snapshot'
  ) WHERE rank = 1
),
decided AS (
  -- 3: the stream event wins over the snapshot, except against a heal snapshot when the event is
  -- older than the heal run's start minus the 15-minute heal margin
  SELECT c.*, s.operation AS s_operation, s.keys AS s_keys, s.new AS s_new, s.truncated AS s_truncated, s.item_key AS s_item_key,
    c.item_key IS NULL OR (
      s.item_key IS NOT NULL AND s.heal_started IS NOT NULL
      AND CAST(c.approximatecreationtime AS TIMESTAMPTZ) < s.heal_started - INTERVAL '15' MINUTE
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
-- 6: a remove is a tombstone: the item is absent
SELECT item_key, keys, item, list_contains(truncated, 'new') AS incomplete
FROM winner
WHERE operation <> 'remove'
ORDER BY item_key;
