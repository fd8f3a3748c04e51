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
        if "$ref" in out and any(not k.startswith("$") for k in out):
            # "If $ref is set on a sub-schema, no other properties, except for than those starting
            # as a $, may be set" (responseJsonSchema, link above): keep the description beside it
            ref = {k: out.pop(k) for k in list(out) if k.startswith("$")}
            out = {"anyOf": [ref], **out}
        return out

    return clean(copy.deepcopy(schema))


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                found.add(v.rsplit("/", 1)[-1])
            else:
                found |= _refs(v)
    elif isinstance(node, list):
        for v in node:
            found |= _refs(v)
    return found


def _cyclic(defs: dict) -> set[str]:
    """The $defs that can reach themselves through $refs (members of a reference cycle)."""
    edges = {name: _refs(body) & defs.keys() for name, body in defs.items()}
    cyclic = set()
    for start in defs:
        seen, todo = set(), list(edges[start])
        while todo:
            n = todo.pop()
            if n == start:
                cyclic.add(start)
                break
            if n not in seen:
                seen.add(n)
                todo.extend(edges[n])
    return cyclic


def _level_name(name: str, level: int) -> str:
    # the outermost copy keeps the def's own name (what the prompt and the docs call it)
    return name if level == 1 else f"{name}_{level}"


def unroll(schema: dict, *, depth: int) -> dict:
    """Replace every reference cycle by ``depth`` nested copies, the last one without the recursion.

    The API unrolls cyclic references itself only through non-required properties and answers 400
    otherwise (https://ai.google.dev/api/generate-content#generationconfig, responseJsonSchema:
    "Cyclic references are unrolled to a limited degree and, as such, may only be used within
    non-required properties. (Nullable properties are not sufficient.)"). The IR's Not.item and
    Group.items are required, so we unroll here: ``Group`` may hold ``Group_2`` / ``Not_2`` ...
    and ``Group_<depth>`` holds only the non-recursive conditions. A recursive reference must be
    one alternative of an ``anyOf`` so the last level can drop it.
    """
    schema = copy.deepcopy(schema)
    defs = schema.get("$defs", {})
    cyclic = _cyclic(defs)
    if not cyclic:
        return schema

    def rewrite(node: Any, level: int) -> Any:
        """References to cyclic defs point at ``level``; past ``depth`` they are dropped."""
        if isinstance(node, list):
            return [rewrite(v, level) for v in node]
        if not isinstance(node, dict):
            return node
        out = {}
        for k, v in node.items():
            if k == "$ref":
                name = v.rsplit("/", 1)[-1]
                out[k] = f"#/$defs/{_level_name(name, level)}" if name in cyclic else v
            elif k == "anyOf":
                kept = [a for a in v if not (level > depth and isinstance(a, dict)
                                             and a.get("$ref", "").rsplit("/", 1)[-1] in cyclic)]
                out[k] = [rewrite(a, level) for a in kept]
            else:
                out[k] = rewrite(v, level)
        return out

    new_defs = {name: rewrite(body, 1) for name, body in defs.items() if name not in cyclic}
    for level in range(1, depth + 1):
        for name in sorted(cyclic):
            new_defs[_level_name(name, level)] = rewrite(defs[name], level + 1)
    root = {k: rewrite(v, 1) for k, v in schema.items() if k != "$defs"}
    root["$defs"] = new_defs
    dangling = _refs(root) - new_defs.keys()
    if dangling:  # a recursive reference that was not an anyOf alternative could not be cut
        raise ValueError(f"cannot unroll: references to {sorted(dangling)} remain")
    return root
