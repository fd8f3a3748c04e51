"""The JSON shapes insights answers with: an answer (DESIGN.md §6), a saved question and its
runs, a segment and its snapshots. The API, the pages' scripts and ``manage.py ask`` all read these."""
from __future__ import annotations

import uuid as uuid_mod
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tenants.facade import mask_member_id

from .audience.describe import describe
from .models import QueryRun, SavedQuery, Segment, SegmentSnapshot
from .store import rows_read_known


def jsonable(value: Any) -> Any:
    """UUIDs, dates and decimals as the strings/numbers a JSON reader expects."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, uuid_mod.UUID):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_none=True)
    if is_dataclass(value):
        return jsonable(asdict(value))
    return str(value)


def window_dict(window, *, label: bool = True) -> dict | None:
    """{"start", "end"} local dates of a window (+ "label" when the question named it, e.g. 최근 7일).

    The audience builder's windows leave the label out (``label=False``): its page shows dates.
    """
    if window is None:
        return None
    if isinstance(window, dict):
        return {"start": jsonable(window.get("start")), "end": jsonable(window.get("end"))}
    out = {"start": window.start.isoformat(), "end": window.end.isoformat()}
    if label and getattr(window, "label", ""):
        out["label"] = window.label
    return out


def _stored_window(start, end) -> dict | None:
    return window_dict({"start": start, "end": end}) if start and end else None


def answer_to_dict(ans) -> dict:
    """The DESIGN §6 shape: kind, sql, params, columns, rows, window, summary, ir (+ extras)."""
    ir = ans.ir
    if hasattr(ir, "model_dump"):
        ir = ir.model_dump(mode="json", exclude_none=True)
    return {
        "kind": ans.kind,
        "sql": ans.sql or "",
        "params": jsonable(ans.params or {}),
        "columns": list(ans.columns or []),
        "rows": jsonable(list(ans.rows or [])),
        "window": window_dict(ans.window),
        "summary": ans.summary or "",
        "ir": jsonable(ir or {}),
        "truncated": bool(getattr(ans, "truncated", False)),
        "engine": getattr(ans, "engine", ""),
        "reason": getattr(ans, "reason", None),
        "suggestion": getattr(ans, "suggestion", None),
        "elapsed_ms": round(float(getattr(ans, "elapsed_ms", 0) or 0), 1),
    }


def masked_for(body: dict, *, pii: bool) -> dict:
    """An answer (or a run's result page) as the reader's role may see it: for a viewer every
    member id, in a ``member_id`` column or in the ``member_ids`` map of a kind A page, is masked
    (tenants.privacy). The one place the ask and saved-question APIs (and so their pages) mask."""
    if pii:
        return body
    columns = list(body.get("columns") or [])
    if "member_id" in columns:
        i = columns.index("member_id")
        body["rows"] = [[*row[:i], mask_member_id(row[i]), *row[i + 1:]] if len(row) > i else row
                        for row in body.get("rows") or []]
    if body.get("member_ids"):
        body["member_ids"] = {k: mask_member_id(v) for k, v in body["member_ids"].items()}
    return body


def _local_text(run: QueryRun, value) -> str | None:
    # Shown as the shop's wall-clock time, the same way the server-rendered history shows it.
    return value.astimezone(run.client.tzinfo).strftime("%Y-%m-%d %H:%M:%S") if value else None


def run_to_dict(run: QueryRun) -> dict:
    return {
        "started_at_local": _local_text(run, run.started_at),
        "finished_at_local": _local_text(run, run.finished_at),
        "id": run.pk, "saved_query": run.saved_query_id, "status": run.status,
        "status_label": run.get_status_display(), "progress": run.progress, "trigger": run.trigger,
        "created_at": jsonable(run.created_at), "started_at": jsonable(run.started_at),
        "finished_at": jsonable(run.finished_at), "rows_read": run.rows_read if rows_read_known() else None, "row_count": run.row_count,
        "duration_ms": run.duration_ms, "error": run.error, "kind": run.kind, "summary": run.summary,
        "window": _stored_window(run.window_start, run.window_end),
        "result_table": run.result_table,
        "requested_by": run.requested_by.get_username() if run.requested_by_id else None,
    }


def saved_query_to_dict(sq: SavedQuery, *, last_run: QueryRun | None = None) -> dict:
    return {
        "id": sq.pk, "name": sq.name, "question": sq.question, "ir": sq.ir, "schedule": sq.schedule,
        "owner": sq.owner.get_username() if sq.owner_id else None,
        "created_at": jsonable(sq.created_at), "updated_at": jsonable(sq.updated_at),
        "last_run": run_to_dict(last_run) if last_run else None,
    }


def segment_to_dict(seg: Segment, *, snapshot: SegmentSnapshot | None = None) -> dict:
    return {"id": seg.pk, "name": seg.name, "description": seg.description, "rules": seg.rules, "ir": seg.ir,
            "text": describe(seg.rules), "schedule": seg.schedule, "webhook_url": seg.webhook_url,
            "latest_version": seg.latest_version, "owner": getattr(seg.owner, "email", None),
            "created_at": seg.created_at.isoformat(), "updated_at": seg.updated_at.isoformat(),
            "latest": snapshot_to_dict(snapshot) if snapshot else None}


def snapshot_to_dict(s: SegmentSnapshot) -> dict:
    return {"version": s.version, "status": s.status, "size": s.size, "members": s.members, "entered": s.entered,
            "left": s.left, "created_at": s.created_at.isoformat(), "duration_ms": s.duration_ms, "error": s.error,
            "trigger": s.trigger,
            "window": window_dict({"start": s.window_start, "end": s.window_end}) if s.window_start else None}
