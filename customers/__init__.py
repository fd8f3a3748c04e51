"""Customer intelligence: RFM + GMM segments kept current per order, and grounded Q&A (issue 7).

For other apps (audiences, campaigns), through ``customers.facade`` only:

- ``customer_keys_in_segment(*, client, segment_name) -> list[str]``
  the customer keys currently in a segment. ``segment_name`` is a code ("vip", "mid", "low",
  "dormant") or the client's display name (default 우수 VIP / 중고가치 일반 / 저가치 일반 /
  휴면 이탈). A key is the Cafe24 member id (login_id) or, for guests when the client includes
  them, the browser uuid (36-char string). Unknown segment -> [].
- ``rfm_scored(*, client) -> bool``: whether the shop's segments have been fitted yet.
- ClickHouse table ``customer_segment`` (client_id, customer_key, segment, model_version,
  updated_at; ReplacingMergeTree, read with FINAL): the same current segments, mirrored after each
  commit, for queries that filter events by segment (``login_id IN (SELECT customer_key FROM
  customer_segment FINAL WHERE client_id = {client_id:Int32} AND segment = 'vip')``).

Real time: ``events.ingest.flusher`` calls ``customers.hooks.on_events_inserted`` after each
committed batch (settings.EVENT_INSERTED_HOOKS); the hook enqueues one Celery task per batch.
"""
