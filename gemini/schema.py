"""A pydantic JSON Schema in the subset Gemini's ``responseJsonSchema`` documents
(https://ai.google.dev/api/generate-content#generationconfig, "responseJsonSchema").

``oneOf`` becomes ``anyOf`` and ``const`` a one-value ``enum`` (both documented); keywords the
API does not take are dropped (unsupported keywords are silently ignored at best). The caller's
own model still validates the answer against the full schema.
"""
from __future__ import annotations

import copy
from typing import Any

DROPPED = ("title", "default")


def response_schema(schema: dict, *, drop: tuple[str, ...] = DROPPED) -> dict:
    def clean(node: Any, *, names: bool = False) -> Any:
        if isinstance(node, list):
            return [clean(v) for v in node]
        if not isinstance(node, dict):
            return node
        if names:  # a "properties" / "$defs" mapping: keys are names, not keywords
            return {k: clean(v) for k, v in node.items()}
        out = {}
        for k, v in node.items():
            if k in drop:
                continue
            if k == "oneOf":
                k = "anyOf"
            if k == "const":
                k, v = "enum", [v]
            out[k] = clean(v, names=k in ("properties", "$defs"))
        return out

    return clean(copy.deepcopy(schema))
