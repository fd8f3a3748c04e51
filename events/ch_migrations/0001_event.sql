-- The event table: the seed's columns and meanings (seeds/000-untitle.md) with tuned types and
-- codecs, plus session/attribution columns. created_at is UTC. phone_number only ever holds a
-- keyed hash (events/ingest/rows.py). Sizes: docs/benchmarks.md#storage.
--
-- Why these codecs: rows are sorted by (client_id, event_type, created_at, uuid), so created_at
-- climbs inside a run and Delta leaves small numbers; ZSTD squeezes what repeats in the ids
-- (visitor ids recur; event_id uses the compact minute-ordered layout of events/ingest/rows.py,
-- and session_id is the visit's start in ms, so it differs from its neighbours only in a few
-- low bytes: ~1.4 B/event where random session ids cost 6 at 10M events); strings that repeat (product and category ids, page URLs, member
-- logins, sources) become dictionary codes. ZSTD(9) finds far more of the id repeats than
-- level 3 (~2 bytes per event less, docs/benchmarks.md#storage) at an insert cost the flusher
-- can afford.
-- (Migration 0002 later kept the deep levels on uuid and session_id only: ZSTD(3) elsewhere.)
--
-- Deduplication: non_replicated_deduplication_window makes a retried INSERT carrying the same
-- insert_deduplication_token a no-op (flusher crash/retry); client retries of an event_id are
-- filtered by the writer against the table before insert (events/ingest/store.py).
CREATE TABLE IF NOT EXISTS event
(
    event_id           UUID CODEC(ZSTD(9)),
    client_id          Int32 CODEC(ZSTD(1)),
    -- A visitor's id recurs in every event type's run of the shop's rows, millions of rows
    -- apart once a shop has a few million events. Blocks this large (only for this column), a
    -- 64 MB ZSTD window and level 12's deeper match search let the compressor point back to it:
    -- 8.3 -> 4.1 B/event at 10M (level 9 with the same blocks: 6.5). Queries read uuid over
    -- whole time ranges, never a few rows, so the block size costs them little; the flusher's
    -- dedup lookup does not read it. Level 12 on a 100k-event insert: docs/benchmarks.md#flusher.
    uuid               UUID CODEC(ZSTD(12, 26))
                       SETTINGS (min_compress_block_size = 33554432, max_compress_block_size = 67108864),
    event_type         UInt8 CODEC(ZSTD(1)),
    order_id           Nullable(String) CODEC(ZSTD(9)),
    tracking_id        LowCardinality(Nullable(String)) CODEC(ZSTD(9)),
    product_id         LowCardinality(Nullable(String)) CODEC(ZSTD(9)),
    product_option_id1 LowCardinality(Nullable(String)) CODEC(ZSTD(9)),
    product_option_id2 LowCardinality(Nullable(String)) CODEC(ZSTD(9)),
    product_quantity   Nullable(UInt8) CODEC(ZSTD(9)),
    price              Nullable(UInt32) CODEC(ZSTD(9)),
    amount             Nullable(UInt32) CODEC(ZSTD(9)),
    keyword            LowCardinality(Nullable(String)) CODEC(ZSTD(9)),
    sort_by            LowCardinality(Nullable(String)) CODEC(ZSTD(9)),
    page               Nullable(UInt8) CODEC(ZSTD(9)),
    board_id           LowCardinality(Nullable(String)) CODEC(ZSTD(9)),
    article_id         Nullable(String) CODEC(ZSTD(9)),
    login_id           LowCardinality(Nullable(String)) CODEC(ZSTD(9)),
    phone_number       Nullable(String) CODEC(ZSTD(9)),
    page_url           LowCardinality(Nullable(String)) CODEC(ZSTD(9)),
    category_id        LowCardinality(Nullable(String)) CODEC(ZSTD(9)),
    scroll_bucket      Nullable(UInt8) CODEC(ZSTD(9)),
    session_id         Nullable(UUID) CODEC(ZSTD(9, 26))
                       SETTINGS (min_compress_block_size = 33554432, max_compress_block_size = 67108864),
    referrer           LowCardinality(String) DEFAULT '' CODEC(ZSTD(9)),
    utm_source         LowCardinality(String) DEFAULT '' CODEC(ZSTD(9)),
    utm_medium         LowCardinality(String) DEFAULT '' CODEC(ZSTD(9)),
    utm_campaign       LowCardinality(String) DEFAULT '' CODEC(ZSTD(9)),
    utm_content        LowCardinality(String) DEFAULT '' CODEC(ZSTD(9)),
    utm_term           LowCardinality(String) DEFAULT '' CODEC(ZSTD(9)),
    device_type        LowCardinality(String) DEFAULT '' CODEC(ZSTD(9)),
    created_at         DateTime64(6, 'UTC') CODEC(Delta, ZSTD(9))
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(created_at)
ORDER BY (client_id, event_type, created_at, uuid)
SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 10000,
         -- Larger compression blocks let ZSTD see a visitor's or session's id again and store a
         -- short back-reference instead of 16 fresh bytes (uuid 9.9 -> 2.8 B/event at 1M events).
         min_compress_block_size = 4194304, max_compress_block_size = 8388608;
