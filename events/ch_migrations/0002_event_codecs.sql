-- Insert-time CPU: every column but the two whose long-range repeats need a deep search
-- (uuid at ZSTD(12, 26) and session_id at ZSTD(9, 26), both in 32-64 MB blocks) drops from
-- ZSTD(9) to ZSTD(3). The flusher is CPU-bound on two cores: each event is compressed once at
-- insert and again in every merge, and level 9 costs ~3x level 3 there for a small gain in size
-- (docs/benchmarks.md#flusher and #storage: measured on the same rows, side by side).
-- A codec change applies to parts written from now on (inserts and merges); MODIFY COLUMN
-- with only a CODEC keeps each column's type, default and settings.
ALTER TABLE event MODIFY COLUMN event_id CODEC(ZSTD(3));
ALTER TABLE event MODIFY COLUMN order_id CODEC(ZSTD(3));
ALTER TABLE event MODIFY COLUMN tracking_id CODEC(ZSTD(3));
ALTER TABLE event MODIFY COLUMN product_id CODEC(ZSTD(3));
ALTER TABLE event MODIFY COLUMN product_option_id1 CODEC(ZSTD(3));
ALTER TABLE event MODIFY COLUMN product_option_id2 CODEC(ZSTD(3));
ALTER TABLE event MODIFY COLUMN product_quantity CODEC(ZSTD(3));
ALTER TABLE event MODIFY COLUMN price CODEC(ZSTD(3));
ALTER TABLE event MODIFY COLUMN amount CODEC(ZSTD(3));
ALTER TABLE event MODIFY COLUMN keyword CODEC(ZSTD(3));
ALTER TABLE event MODIFY COLUMN sort_by CODEC(ZSTD(3));
ALTER TABLE event MODIFY COLUMN page CODEC(ZSTD(3));
ALTER TABLE event MODIFY COLUMN board_id CODEC(ZSTD(3));
ALTER TABLE event MODIFY COLUMN article_id CODEC(ZSTD(3));
ALTER TABLE event MODIFY COLUMN login_id CODEC(ZSTD(3));
ALTER TABLE event MODIFY COLUMN phone_number CODEC(ZSTD(3));
ALTER TABLE event MODIFY COLUMN page_url CODEC(ZSTD(3));
ALTER TABLE event MODIFY COLUMN category_id CODEC(ZSTD(3));
ALTER TABLE event MODIFY COLUMN scroll_bucket CODEC(ZSTD(3));
ALTER TABLE event MODIFY COLUMN referrer CODEC(ZSTD(3));
ALTER TABLE event MODIFY COLUMN utm_source CODEC(ZSTD(3));
ALTER TABLE event MODIFY COLUMN utm_medium CODEC(ZSTD(3));
ALTER TABLE event MODIFY COLUMN utm_campaign CODEC(ZSTD(3));
ALTER TABLE event MODIFY COLUMN utm_content CODEC(ZSTD(3));
ALTER TABLE event MODIFY COLUMN utm_term CODEC(ZSTD(3));
ALTER TABLE event MODIFY COLUMN device_type CODEC(ZSTD(3));
ALTER TABLE event MODIFY COLUMN created_at CODEC(Delta, ZSTD(3));
