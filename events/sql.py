"""SQL over the event table that more than one app runs, written once (pure: no Django).

Codes come from the catalog; the client id is always a bound parameter.
"""
from __future__ import annotations

from .catalog import IDENTITY_CODES, Code, sql_codes

IDENTITY = sql_codes(IDENTITY_CODES)

# Cafe24 member id of each given visitor: the latest login_id it logged in or signed up with.
# Identity rows always carry login_id (catalog: required), so no NULL check is needed, and the
# filter is a slice of the sort key (client_id, event_type, ...).
MEMBER_IDS_OF_UUIDS = (
    "SELECT uuid, argMax(login_id, created_at) AS member_id FROM event "
    f"WHERE client_id = {{client_id:Int32}} AND event_type IN {IDENTITY} AND uuid IN {{uuids:Array(UUID)}} "
    "GROUP BY uuid"
)

# The visitor (browser) a member used last: where a server-side event of that member belongs.
LATEST_VISITOR_OF_MEMBER = (
    "SELECT argMax(uuid, created_at) FROM event "
    f"WHERE client_id = {{client_id:Int32}} AND event_type IN {IDENTITY} AND login_id = {{member_id:String}}"
)

# Whether an order is already recorded (the SDK saw the order page, or an earlier webhook).
ORDER_RECORDED = (
    "SELECT count() FROM event "
    f"WHERE client_id = {{client_id:Int32}} AND event_type = {Code.ORDER_COMPLETE} AND order_id = {{order_id:String}}"
)
