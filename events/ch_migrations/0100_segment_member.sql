-- Segment membership snapshots (insights/segments.py): one version per refresh, so "who entered
-- and who left" is an anti-join between two versions of the same segment. Rows are written once
-- and dropped by version when a segment keeps more than its last N snapshots.
CREATE TABLE IF NOT EXISTS segment_member
(
    client_id   Int32,
    segment_id  Int64,
    version     UInt32,
    uuid        UUID,
    member_id   String DEFAULT '' CODEC(ZSTD(3)),
    created_at  DateTime DEFAULT now()
)
ENGINE = MergeTree
ORDER BY (client_id, segment_id, version, uuid);
