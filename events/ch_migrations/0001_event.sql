-- The event table: the seed's columns and meanings (seeds/000-untitle.md), tuned types and codecs,
-- plus session/attribution columns. created_at is UTC. phone_number only ever holds a keyed hash.
CREATE TABLE IF NOT EXISTS event
(
    event_id           UUID,
    client_id          Int32,
    uuid               UUID,
    event_type         UInt8,
    order_id           Nullable(String) CODEC(ZSTD(3)),
    tracking_id        LowCardinality(Nullable(String)),
    product_id         LowCardinality(Nullable(String)),
    product_option_id1 LowCardinality(Nullable(String)),
    product_option_id2 LowCardinality(Nullable(String)),
    product_quantity   Nullable(UInt8),
    price              Nullable(UInt32) CODEC(ZSTD(3)),
    amount             Nullable(UInt32) CODEC(ZSTD(3)),
    keyword            LowCardinality(Nullable(String)),
    sort_by            LowCardinality(Nullable(String)),
    page               Nullable(UInt8),
    board_id           LowCardinality(Nullable(String)),
    article_id         Nullable(String) CODEC(ZSTD(3)),
    login_id           Nullable(String) CODEC(ZSTD(3)),
    phone_number       Nullable(String) CODEC(ZSTD(3)),
    page_url           Nullable(String) CODEC(ZSTD(3)),
    category_id        LowCardinality(Nullable(String)),
    scroll_bucket      Nullable(UInt8),
    session_id         UUID CODEC(ZSTD(3)),
    referrer           LowCardinality(String) DEFAULT '',
    utm_source         LowCardinality(String) DEFAULT '',
    utm_medium         LowCardinality(String) DEFAULT '',
    utm_campaign       LowCardinality(String) DEFAULT '',
    device_type        LowCardinality(String) DEFAULT '',
    created_at         DateTime64(6, 'UTC') CODEC(Delta, ZSTD(3))
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(created_at)
ORDER BY (client_id, event_type, created_at, uuid)
SETTINGS index_granularity = 8192;
