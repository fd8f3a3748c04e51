"""A Gemini generateContent double that refuses what the real API refuses.

Used as a respx side effect: ``respx.post(url(MODEL)).mock(side_effect=gemini_fake.serve(resp, ...))``
checks EACH request (model path, responseJsonSchema) before answering with the given response(s).
Every rule cites the page it comes from; the error bodies follow
https://ai.google.dev/gemini-api/docs/troubleshooting#error-codes and the google.rpc.Status
envelope ({"error": {"code", "message", "status", "details"?}}).
"""
from __future__ import annotations

import json
import re
from datetime import date

import httpx

BASE = "https://generativelanguage.googleapis.com/v1beta/models/"

# https://ai.google.dev/api/generate-content#generationconfig (responseJsonSchema): "only the
# following properties are supported: $id, $defs, $ref, $anchor, type, format, title,
# description, enum (for strings and numbers), items, prefixItems, minItems, maxItems, minimum,
# maximum, anyOf, oneOf (interpreted the same as anyOf), properties, additionalProperties,
# required. The non-standard propertyOrdering property may also be set."
KEYWORDS = frozenset({"$id", "$defs", "$ref", "$anchor", "type", "format", "title", "description", "enum",
                      "items", "prefixItems", "minItems", "maxItems", "minimum", "maximum", "anyOf", "oneOf",
                      "properties", "additionalProperties", "required", "propertyOrdering"})

# https://ai.google.dev/gemini-api/docs/deprecations (read 2026-12-04): shutdown dates. A model
# past its date, or not listed on https://ai.google.dev/gemini-api/docs/models, is NOT_FOUND.
AS_OF = date(2026, 12, 4)
SHUTDOWN = {
    "gemini-2.0-flash": date(2026, 2, 1), "gemini-2.0-flash-lite": date(2026, 2, 1),
    "gemini-2.5-flash": date(2026, 6, 17), "gemini-2.5-pro": date(2026, 6, 17),
    "gemini-2.5-flash-lite": date(2026, 7, 22), "gemini-3-pro-preview": date(2026, 3, 9),
    "gemini-3.1-flash-lite": date(2027, 5, 7),
}
CURRENT = {"gemini-3.5-flash", "gemini-3.1-flash-lite", "gemini-3-flash-preview", "gemini-3.1-pro-preview"}


def error(code: int, status: str, message: str, details: list | None = None) -> httpx.Response:
    body = {"code": code, "message": message, "status": status}
    if details is not None:
        body["details"] = details
    return httpx.Response(code, json={"error": body})


def not_found(model: str) -> httpx.Response:
    # the NOT_FOUND text the API gives for an unknown or shut-down model id
    return error(404, "NOT_FOUND", f"models/{model} is not found for API version v1beta, or is not supported "
                                   "for generateContent. Call ListModels to see the list of available models "
                                   "and their supported methods.")


def rate_limited(delay: str = "2s") -> httpx.Response:
    # 429 RESOURCE_EXHAUSTED carries a google.rpc.RetryInfo detail (retryDelay, a Duration string)
    # https://ai.google.dev/gemini-api/docs/rate-limits , https://cloud.google.com/apis/design/errors
    return error(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota, please check your plan and billing "
                 "details.", details=[{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}])


def unavailable() -> httpx.Response:
    return error(503, "UNAVAILABLE", "The model is overloaded. Please try again later.")


def schema_problems(schema: dict) -> list[str]:
    """What the API would refuse in a responseJsonSchema (empty = accepted)."""
    problems: list[str] = []
    defs = schema.get("$defs", {}) if isinstance(schema, dict) else {}

    def walk(node, path: str, names: bool = False):
        if isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")
            return
        if not isinstance(node, dict):
            return
        if names:
            for k, v in node.items():
                walk(v, f"{path}.{k}")
            return
        for k in node:
            if k not in KEYWORDS:
                problems.append(f"{path}: unsupported keyword {k!r}")
        if "$ref" in node:
            if any(not k.startswith("$") for k in node):
                # "If $ref is set on a sub-schema, no other properties, except for than those
                # starting as a $, may be set." (same page)
                problems.append(f"{path}: $ref with sibling keywords {sorted(node)}")
            target = str(node["$ref"]).rsplit("/", 1)[-1]
            if target not in defs:
                problems.append(f"{path}: unresolved $ref {node['$ref']}")
        if "enum" in node and not all(isinstance(v, (str, int, float)) for v in node["enum"]):
            problems.append(f"{path}: enum only for strings and numbers")
        for k, v in node.items():
            if k != "$ref":
                walk(v, f"{path}.{k}", names=k in ("properties", "$defs"))

    walk(schema, "$")

    # "Cyclic references are unrolled to a limited degree and, as such, may only be used within
    # non-required properties. (Nullable properties are not sufficient.)" (same page). Edges: a $ref
    # reached from a def through required properties only (items / anyOf do not make it optional).
    def required_refs(node, out: set[str]):
        if isinstance(node, list):
            for v in node:
                required_refs(v, out)
        elif isinstance(node, dict):
            if "$ref" in node:
                out.add(str(node["$ref"]).rsplit("/", 1)[-1])
            required = set(node.get("required", []))
            for name, prop in (node.get("properties") or {}).items():
                if name in required:
                    required_refs(prop, out)
            for k in ("items", "anyOf", "oneOf", "prefixItems"):
                if k in node:
                    required_refs(node[k], out)

    edges = {}
    for name, body in defs.items():
        out: set[str] = set()
        required_refs(body, out)
        edges[name] = out & defs.keys()
    for start in defs:
        seen, todo = set(), list(edges[start])
        while todo:
            n = todo.pop()
            if n == start:
                problems.append(f"ref loop of required fields through #/$defs/{start}")
                break
            if n not in seen:
                seen.add(n)
                todo.extend(edges[n])
    return problems


def check(request: httpx.Request) -> httpx.Response | None:
    """The documented error the API answers this request with, or None when it would serve it."""
    m = re.search(r"/models/([^/:]+):generateContent$", request.url.path)
    model = m.group(1) if m else ""
    if model not in CURRENT or (model in SHUTDOWN and SHUTDOWN[model] <= AS_OF):
        return not_found(model)
    sent = json.loads(request.content)
    schema = (sent.get("generationConfig") or {}).get("responseJsonSchema")
    if schema is not None:
        problems = schema_problems(schema)
        if problems:
            return error(400, "INVALID_ARGUMENT",
                         "* GenerateContentRequest.generation_config.response_json_schema: "
                         + "; ".join(problems[:5]))
    return None


def serve(*responses: httpx.Response | Exception):
    """A respx side effect: validate each request, then give the next response (the last repeats)."""
    queue = list(responses)
    calls = {"n": 0}

    def respond(request: httpx.Request):
        refused = check(request)
        if refused is not None:
            return refused
        i = min(calls["n"], len(queue) - 1)
        calls["n"] += 1
        item = queue[i]
        if isinstance(item, Exception):
            raise item
        return item

    return respond


def url(model: str) -> str:
    return f"{BASE}{model}:generateContent"
