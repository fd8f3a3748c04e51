"""Deterministic shop traffic for two clients, as rows for chDB and dicts for the reference."""
import random
import uuid
from datetime import datetime, timedelta, timezone

from .conftest import COLUMNS, OTHER, SHOP, visitor

KEYWORDS = ["원피스", "셔츠", "shoes", "가방", "청바지"]


def make_rows(seed: int = 7, visitors: int = 80, base: int = 50_000) -> list[dict]:
    rnd = random.Random(seed)
    start = datetime(2025, 7, 25, tzinfo=timezone.utc)
    rows = []
    order_no = 0
    for client in (SHOP, OTHER):
        for v in range(visitors):
            who = visitor(base + v, client)
            sess = uuid.UUID(int=rnd.getrandbits(128))
            member = f"m{client}_{v}" if rnd.random() < 0.4 else None
            source = rnd.choice(["", "", "instagram", "kakao"])
            t = start + timedelta(seconds=rnd.randrange(0, 16 * 86400))
            for _ in range(rnd.randint(1, 25)):
                t += timedelta(seconds=rnd.randint(5, 40_000))
                code = rnd.choice([1, 31, 82, 82, 82, 21, 20, 41, 41, 42, 51, 61, 62, 63, 71, 73, 92, 101, 102, 10])
                r = {"event_id": uuid.UUID(int=rnd.getrandbits(128)), "client_id": client, "uuid": who,
                     "event_type": code, "created_at": t, "session_id": sess, "utm_source": source}
                if code in (82, 41, 42, 51, 73):
                    r["product_id"] = str(rnd.randint(1, 6))
                if code in (82, 21):
                    r["category_id"] = str(rnd.randint(1, 3))
                if code == 20:
                    r["keyword"] = rnd.choice(KEYWORDS)
                if code in (61, 62, 63):
                    order_no += 1
                    r["order_id"] = f"o{order_no // 2}"
                    r["amount"] = rnd.choice([9_000, 19_000, 45_000, 60_000, 120_000])
                if code == 62:
                    r["product_id"] = str(rnd.randint(1, 6))
                    r["product_quantity"] = rnd.randint(1, 3)
                if code in (31, 92):
                    r["page_url"] = "/" if code == 31 else rnd.choice(["/event/summer", "/board/notice"])
                if code in (71, 73):
                    r["board_id"] = str(rnd.randint(1, 2))
                if code == 102:
                    r["tracking_id"] = rnd.choice(["camp-a", "camp-b"])
                if code == 10:
                    if member is None:
                        continue
                    r["login_id"] = member
                rows.append(r)
                if code in (82, 31, 21, 71, 92):  # the matching *_end a few seconds later
                    end = dict(r, event_id=uuid.UUID(int=rnd.getrandbits(128)), event_type=code + 1,
                               created_at=t + timedelta(seconds=rnd.randint(3, 90)))
                    rows.append(end)
    return rows


def as_columns(rows: list[dict]) -> list[list]:
    return [[r.get(c, "" if c == "utm_source" else None) for c in COLUMNS] for r in rows]
