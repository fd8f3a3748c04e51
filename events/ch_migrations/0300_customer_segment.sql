-- Current RFM segment per customer, mirrored from Postgres (customers.CustomerProfile) so that
-- ClickHouse queries can filter events by segment without a round trip, e.g. the audience
-- compiler:  login_id IN (SELECT customer_key FROM customer_segment FINAL
--                         WHERE client_id = {client_id:Int32} AND segment = 'vip')
-- customer_key = the member's login_id, or the guest's uuid as a string when the shop includes
-- guests. ReplacingMergeTree keeps the latest row per customer (by updated_at); read with FINAL.
CREATE TABLE IF NOT EXISTS customer_segment
(
    client_id     Int32,
    customer_key  String,
    segment       LowCardinality(String),
    model_version UInt32,
    updated_at    DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (client_id, customer_key);
