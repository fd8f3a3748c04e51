"""The raw-SQL guard (DESIGN.md §3.2, §3.3): SQL from a power user or a model never runs unchecked.

Rules, checked on sqlglot's ClickHouse AST (no Django import):
- exactly one statement, and it is a SELECT (WITH / UNION / EXCEPT / INTERSECT of selects ok);
- the only table is ``event`` (no database qualifier, no system.*, no table functions); CTE names
  are resolved by scope so a name that is a CTE here cannot reach a real table elsewhere;
- every function is on an allow-list (aggregates, date/time, string, math, conditional, arrays);
  no dictGet/joinGet/url/file/remote/sleep & co;
- only columns of ``event`` or names the query itself defines (aliases, CTEs, lambda params);
- no SETTINGS, FORMAT, INTO OUTFILE, SAMPLE, placeholders other than ``{client_id:Int32}``.

Then every reference to ``event`` is REWRITTEN to ``(SELECT * FROM event WHERE client_id =
{client_id:Int32}) AS <same alias>``. A filtered derived table keeps the query's meaning exactly
(an outer-join's NULL side, anti-joins, IN-subqueries, CTEs, unions), which ANDing a predicate into
each WHERE would not. The output is re-parsed and proven: every ``event`` read sits directly in
such a subquery. The client id is always a bound parameter, so a literal ``client_id = 2`` in the
input can only narrow the client's own rows to nothing. The caller runs the result with readonly
settings (events.clickhouse.query), which is the last layer, not the first.
"""
from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.dialects.clickhouse import ClickHouse
from sqlglot.errors import SqlglotError

from events import catalog

MAX_SQL_CHARS = 20_000
ALLOWED_TABLES = frozenset({"event"})
CLIENT_PARAM = "client_id"
QUERY_SETTINGS = "SETTINGS join_use_nulls = 1"

# The columns raw SQL may name: the event table's, from the catalog (a test holds it equal to the DDL).
EVENT_COLUMNS = frozenset(catalog.COLUMNS)

# Functions by their ClickHouse name, lower-cased. Anything missing is refused: an allow-list
# cannot be bypassed by a function we forgot to forbid (dictGet, joinGet, file, url, sleep, ...).
_AGGREGATES = {
    "count", "sum", "avg", "min", "max", "any", "anylast", "anyheavy", "argmin", "argmax",
    "uniq", "uniqexact", "uniqcombined", "uniqcombined64", "uniqhll12", "uniqtheta",
    "grouparray", "groupuniqarray", "grouparraysorted", "topk", "topkweighted", "median",
    "quantile", "quantiles", "quantileexact", "quantiletiming", "quantiledeterministic",
    "stddevpop", "stddevsamp", "varpop", "varsamp", "corr", "covarpop", "covarsamp",
    "windowfunnel", "retention", "sequencematch", "sequencecount", "histogram", "sumwithoverflow",
    "countdistinct", "groupbitor", "groupbitand", "maxmap", "minmap", "summap", "avgweighted",
    "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "first_value",
    "last_value", "nth_value", "laginframe", "leadinframe", "lag", "lead",
}
_COMBINATORS = ("if", "distinct", "ornull", "ordefault", "array", "merge", "state", "foreach",
                "map", "resample")
_SCALARS = {
    # date and time
    "todate", "todate32", "todatetime", "todatetime64", "todateornull", "todatetimeornull",
    "parsedatetimebesteffort", "parsedatetimebesteffortornull", "parsedatetime64besteffort",
    "tostartofday", "tostartofhour", "tostartofminute", "tostartoffiveminutes",
    "tostartoffifteenminutes", "tostartofweek", "tostartofmonth", "tostartofquarter",
    "tostartofyear", "tostartofinterval", "tomonday", "tolastdayofmonth", "datetrunc",
    "date_trunc", "toyyyymm", "toyyyymmdd", "toyear", "toquarter", "tomonth", "toweek",
    "toisoweek", "todayofweek", "todayofmonth", "todayofyear", "tohour", "tominute", "tosecond",
    "totimezone", "totime", "tounixtimestamp", "fromunixtimestamp", "formatdatetime", "now",
    "now64", "today", "yesterday", "datediff", "date_diff", "dateadd", "date_add", "datesub",
    "date_sub", "timestampadd", "timestampsub", "age", "adddays", "addhours", "addminutes",
    "addseconds", "addweeks", "addmonths", "addyears", "subtractdays", "subtracthours",
    "subtractminutes", "subtractseconds", "subtractweeks", "subtractmonths", "subtractyears",
    "tointervalsecond", "tointervalminute", "tointervalhour", "tointervalday",
    "tointervalweek", "tointervalmonth", "tointervalyear", "torelativedaynum",
    "torelativehournum", "torelativeweeknum", "timeslot", "makedate", "makedatetime",
    # type conversion
    "tostring", "tofixedstring", "touuid", "toint8", "toint16", "toint32", "toint64",
    "touint8", "touint16", "touint32", "touint64", "tofloat32", "tofloat64", "todecimal32",
    "todecimal64", "toint32ornull", "toint64ornull", "tofloat64ornull", "touint32ornull",
    "toint32orzero", "toint64orzero", "touint32orzero", "tofloat64orzero", "tonullable",
    "assumenotnull", "tounixtimestamp64milli", "totypename",
    # null handling and conditionals
    "isnull", "isnotnull", "ifnull", "nullif", "coalesce", "if", "multiif", "greatest", "least",
    # strings
    "lower", "upper", "lowerutf8", "upperutf8", "length", "lengthutf8", "empty", "notempty",
    "concat", "concatwithseparator", "substring", "substr", "substringutf8", "left", "right",
    "leftutf8", "rightutf8", "trim", "trimboth", "trimleft", "trimright", "position",
    "positionutf8", "positioncaseinsensitive", "positioncaseinsensitiveutf8", "locate",
    "startswith", "endswith", "like", "ilike", "notlike", "notilike", "match", "extract",
    "extractall", "replaceall", "replaceone", "replaceregexpall", "replaceregexpone",
    "splitbychar", "splitbystring", "arraystringconcat", "reverse", "format", "repeat",
    "lpad", "rpad", "leftpad", "rightpad", "domain", "domainwithoutwww", "path", "protocol",
    "cutquerystring", "extracturlparameter", "decodeurlcomponent", "hasToken",
    # math
    "abs", "round", "roundbankers", "floor", "ceil", "ceiling", "trunc", "truncate", "intdiv",
    "intdivorzero", "modulo", "divide", "multiply", "plus", "minus", "negate", "exp", "log",
    "ln", "log2", "log10", "sqrt", "pow", "power", "sign",
    # comparison and logic written as functions
    "equals", "notequals", "less", "greater", "lessorequals", "greaterorequals", "and", "or",
    "not", "xor", "in", "notin",
    # arrays and tuples
    "array", "tuple", "tupleelement", "has", "hasany", "hasall", "indexof", "arrayelement",
    "arraymap", "arrayfilter", "arraycount", "arraysum", "arraysort", "arrayreversesort",
    "arraydistinct", "arrayuniq", "arrayjoin", "arrayslice", "arrayconcat", "arrayexists",
    "arrayall", "arrayfirst", "arraylast", "arrayenumerate", "arraycompact", "arrayzip",
    "arraymin", "arraymax", "arrayavg", "emptyarraystring", "emptyarrayuint8",
}
_ALLOWED_FUNCTIONS = frozenset(n.lower() for n in _AGGREGATES | _SCALARS)
# sqlglot turns some functions into typed nodes whose rendering is not ``name(``.
_ALLOWED_FUNC_CLASSES = (
    exp.Count, exp.If, exp.Case, exp.Cast, exp.TryCast, exp.StrPosition, exp.Substring,
    exp.Explode, exp.ArgMax, exp.ArgMin, exp.Quantile, exp.Median, exp.Array, exp.Tuple,
    exp.Exists, exp.Extract, exp.Ceil, exp.Floor, exp.Trim, exp.Lower, exp.Upper,
    exp.Coalesce, exp.Concat, exp.Round, exp.Abs, exp.Sum, exp.Avg, exp.Min, exp.Max,
    exp.ApproxDistinct, exp.RowNumber, exp.Nullif, exp.Greatest, exp.Least,
)

# Expression nodes that only compute values; statements, DDL and the like are all absent.
_STRUCTURAL = (
    exp.Select, exp.Union, exp.Except, exp.Intersect, exp.With, exp.CTE, exp.TableAlias,
    exp.Subquery, exp.From, exp.Join, exp.Where, exp.PreWhere, exp.Group, exp.Having,
    exp.Order, exp.Ordered, exp.Limit, exp.Offset, exp.Column, exp.Identifier, exp.Star,
    exp.Literal, exp.Alias, exp.Table, exp.Paren, exp.Null, exp.Boolean, exp.Placeholder,
    exp.Distinct, exp.Window, exp.WindowSpec, exp.Bracket, exp.Lambda, exp.DataType,
    exp.DataTypeParam, exp.Interval, exp.Var, exp.Tuple, exp.Array, exp.Final,
    exp.Binary, exp.Unary, exp.Predicate, exp.Connector,
)

_NAME_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(")


class GuardError(ValueError):
    """Refused SQL: a Korean message for the user and an English detail for logs and tests."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(f"{message} ({detail})" if detail else message)
        self.message = message
        self.detail = detail


class _Dialect(ClickHouse):
    # Parse functions as written so they are checked and re-emitted under their own names
    # (sqlglot would otherwise turn toStartOfDay into dateTrunc, which changes the result type).
    class Parser(ClickHouse.Parser):
        FUNCTIONS = {k: v for k, v in ClickHouse.Parser.FUNCTIONS.items() if k == "COUNT"}


def _parse(sql: str) -> list[exp.Expression]:
    try:
        return [s for s in sqlglot.parse(sql, read=_Dialect) if s is not None]
    except SqlglotError as exc:
        raise GuardError("SQL을 해석할 수 없습니다. SELECT 문 하나만 입력하세요.",
                         f"parse error: {str(exc).splitlines()[0]}") from exc


def _func_name(node: exp.Func) -> str | None:
    if isinstance(node, (exp.Anonymous, exp.AnonymousAggFunc, exp.CombinedAggFunc,
                         exp.CombinedParameterizedAgg, exp.ParameterizedAgg)):
        return str(node.name)
    m = _NAME_RE.match(node.sql(dialect=_Dialect))
    return m.group(1) if m else None


def _is_combined_aggregate(name: str) -> bool:
    """uniqExactIf, sumIfOrNull, countDistinct: an allowed aggregate plus combinator suffixes."""
    for _ in range(4):
        if name in _AGGREGATES:
            return True
        suffix = next((s for s in _COMBINATORS if name.endswith(s) and len(name) > len(s)), None)
        if suffix is None:
            return False
        name = name[: -len(suffix)]
    return False


def _function_allowed(node: exp.Func) -> bool:
    name = _func_name(node)
    if name is not None and (name.lower() in _ALLOWED_FUNCTIONS or _is_combined_aggregate(name.lower())):
        return True
    if isinstance(node, (exp.Anonymous, exp.AnonymousAggFunc, exp.CombinedAggFunc)):
        return False
    return isinstance(node, _ALLOWED_FUNC_CLASSES)


def _table_ctes(ctes) -> set[str]:
    # ClickHouse's scalar form ``WITH <expr> AS name`` is a value, not a table: ``FROM name``
    # would read a real table of that name, so only ``name AS (SELECT ...)`` counts as a source.
    return {c.alias_or_name for c in ctes if not c.args.get("scalar")}


def _visible_ctes(table: exp.Table) -> set[str]:
    """Table CTE names in scope at ``table``: outer WITHs fully, the enclosing WITH up to itself."""
    names: set[str] = set()
    node: exp.Expression = table
    while node.parent is not None:
        parent = node.parent
        if isinstance(parent, exp.With):
            idx = next(i for i, c in enumerate(parent.expressions) if c is node)
            names.update(_table_ctes(parent.expressions[:idx]))
        else:
            w = parent.args.get("with_") if isinstance(parent, exp.Query) else None
            if w is not None and w is not node:
                names.update(_table_ctes(w.expressions))
        node = parent
    return names


def _check(tree: exp.Expression) -> list[tuple[exp.Expression, str | None]]:
    """Validate the whole tree; return (node to replace, alias) for each read of ``event``."""
    if not isinstance(tree, (exp.Select, exp.SetOperation)):
        raise GuardError("SELECT 문만 실행할 수 있습니다.", f"statement is {type(tree).__name__}")

    defined: set[str] = set(EVENT_COLUMNS)
    relation_names: set[str] = set(ALLOWED_TABLES)
    for node in tree.walk():
        if isinstance(node, exp.Alias) and node.alias:
            defined.add(node.alias)
        elif isinstance(node, exp.TableAlias) and node.name:
            relation_names.add(node.name)
            if node.columns:
                raise GuardError("테이블 별칭에 열 목록은 쓸 수 없습니다.", "table alias with column list")
        elif isinstance(node, exp.CTE):
            name = node.alias_or_name
            if name.casefold() in {t.casefold() for t in ALLOWED_TABLES}:
                raise GuardError("WITH 절 이름으로 event를 쓸 수 없습니다.", f"CTE shadows table {name}")
            defined.add(name)
            relation_names.add(name)
        elif isinstance(node, exp.Lambda):
            defined.update(p.name for p in node.expressions)

    event_tables: list[tuple[exp.Expression, str | None]] = []
    for node in tree.walk():
        if isinstance(node, (exp.Select, exp.SetOperation)):
            for arg in ("settings", "format", "into", "sample", "locks", "kind", "options"):
                if node.args.get(arg):
                    raise GuardError("SETTINGS, FORMAT, INTO 같은 절은 쓸 수 없습니다.",
                                     f"{arg.upper()} clause")
        if isinstance(node, exp.Func) and not isinstance(node, (exp.Connector, exp.Binary)):
            if not _function_allowed(node):
                raise GuardError("허용되지 않은 함수입니다.", f"function {_func_name(node) or type(node).__name__}")
            continue
        if isinstance(node, exp.Placeholder):
            if node.name != CLIENT_PARAM:
                raise GuardError("쿼리 매개변수는 {client_id:Int32}만 쓸 수 있습니다.",
                                 f"placeholder {node.sql(dialect=_Dialect)}")
            continue
        if isinstance(node, exp.Table):
            event_tables.extend(_check_table(node))
            continue
        if isinstance(node, exp.Column):
            if node.args.get("db") or node.args.get("catalog"):
                raise GuardError("다른 데이터베이스를 참조할 수 없습니다.", f"qualified column {node.sql()}")
            if node.table and node.table not in relation_names:
                raise GuardError("알 수 없는 테이블 이름입니다.", f"column qualifier {node.table}")
            if not isinstance(node.this, exp.Star) and node.name not in defined:
                raise GuardError("event 테이블에 없는 열입니다.", f"column {node.name}")
            continue
        if not isinstance(node, _STRUCTURAL):
            raise GuardError("허용되지 않은 SQL 구문입니다.", f"node {type(node).__name__}")
    return event_tables


def _check_table(node: exp.Table) -> list[tuple[exp.Expression, str | None]]:
    if not isinstance(node.this, exp.Identifier):
        raise GuardError("테이블 함수는 쓸 수 없습니다.", f"table function {node.this.sql()}")
    if node.args.get("db") or node.args.get("catalog"):
        raise GuardError("event 테이블만 조회할 수 있습니다.", f"qualified table {node.sql()}")
    for arg in ("sample", "joins", "pivots", "laterals", "version", "when", "partition"):
        if node.args.get(arg):
            raise GuardError("허용되지 않은 테이블 옵션입니다.", f"table {arg}")
    holder = node.parent if isinstance(node.parent, exp.Final) else node
    if not isinstance(holder.parent, (exp.From, exp.Join)):
        raise GuardError("테이블은 FROM이나 JOIN에서만 쓸 수 있습니다.",
                         f"table in {type(node.parent).__name__}")
    name = node.name
    if name in _visible_ctes(node):
        return []
    if name in ALLOWED_TABLES:
        # FINAL is dropped with the table node: it means nothing for a plain MergeTree.
        return [(holder, node.alias or None)]
    raise GuardError("event 테이블만 조회할 수 있습니다.", f"table {name}")


_SCOPED_TEMPLATE = "(SELECT * FROM event WHERE client_id = {client_id:Int32}) AS event"


def _scoped_event(alias: str | None) -> exp.Subquery:
    sub = sqlglot.parse_one(f"SELECT * FROM {_SCOPED_TEMPLATE}", read=_Dialect).args["from_"].this
    sub.set("alias", exp.TableAlias(this=exp.to_identifier(alias or "event")))
    return sub


def _merge_prewhere(tree: exp.Expression) -> None:
    # PREWHERE cannot apply to a derived table; ClickHouse moves WHERE filters to PREWHERE itself.
    for select in list(tree.find_all(exp.Select)):
        pre = select.args.get("prewhere")
        if pre is not None:
            select.set("prewhere", None)
            select.where(pre.this, copy=False)


def _cap_limit(tree: exp.Expression, max_limit: int) -> exp.Expression:
    limit = tree.args.get("limit")
    if limit is None:
        tree.set("limit", exp.Limit(expression=exp.Literal.number(max_limit)))
        return tree
    if limit.expressions:  # LIMIT n BY ...: cap the rows of the whole result from outside
        return exp.select(exp.Star()).from_(tree.subquery("capped")).limit(max_limit)
    value = limit.expression
    if not (isinstance(value, exp.Literal) and value.is_int):
        raise GuardError("LIMIT에는 숫자만 쓸 수 있습니다.", f"LIMIT {value.sql()}")
    if int(value.this) > max_limit:
        limit.set("expression", exp.Literal.number(max_limit))
    return tree


def _prove_scoped(sql: str) -> None:
    """Re-parse what will run and check every read of ``event`` is the client-scoped subquery."""
    for node in _parse(sql)[0].find_all(exp.Table):
        if node.name not in ALLOWED_TABLES or _visible_ctes(node):
            continue
        select = node.parent.parent if isinstance(node.parent, exp.From) else None
        where = select.args.get("where") if isinstance(select, exp.Select) else None
        ok = (
            where is not None
            and isinstance(select.parent, exp.Subquery)
            and not select.args.get("joins")
            and isinstance(where.this, exp.EQ)
            and isinstance(where.this.this, exp.Column) and where.this.this.name == CLIENT_PARAM
            and not where.this.this.table
            and isinstance(where.this.expression, exp.Placeholder)
            and where.this.expression.name == CLIENT_PARAM
        )
        if not ok:  # pragma: no cover - a bug in the rewrite, never the user's fault
            raise GuardError("쿼리를 안전하게 변환하지 못했습니다.", "unscoped event reference after rewrite")


def guard_sql(sql: str, *, client_id: int, max_limit: int = 10_000) -> tuple[str, dict]:
    """Check ``sql`` and return (rewritten SQL, parameters) that can only read ``client_id``'s rows."""
    if not isinstance(sql, str) or not sql.strip():
        raise GuardError("SQL이 비어 있습니다.", "empty SQL")
    if len(sql) > MAX_SQL_CHARS:
        raise GuardError(f"SQL이 너무 깁니다 (최대 {MAX_SQL_CHARS:,}자).", f"{len(sql)} chars")
    if not isinstance(client_id, int) or isinstance(client_id, bool):
        raise TypeError("client_id must be an int")
    statements = _parse(sql)
    if len(statements) != 1:
        raise GuardError("SELECT 문 하나만 실행할 수 있습니다.", f"{len(statements)} statements")
    tree = statements[0]
    while isinstance(tree, exp.Subquery) and not tree.alias:
        tree = tree.this
    for holder, alias in _check(tree):
        holder.replace(_scoped_event(alias))
    _merge_prewhere(tree)
    tree = _cap_limit(tree, max_limit)
    # Comments are dropped, not re-emitted: a comment holding "*/" must never become SQL.
    out = tree.sql(dialect=_Dialect, comments=False)
    _prove_scoped(out)
    # Our own setting, never the user's: the seed's anti-join style (LEFT JOIN ... IS NULL) only
    # finds the unmatched rows when they are NULL, not ClickHouse's default zero values.
    return f"{out}\n{QUERY_SETTINGS}", {CLIENT_PARAM: client_id}
