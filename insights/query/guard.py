"""The raw-SQL guard (DESIGN.md §3.2, §3.3): SQL from a power user or a model never runs unchecked.

Rules, checked on sqlglot's ClickHouse AST (no Django import):
- exactly one statement, and it is a SELECT (WITH / UNION / EXCEPT / INTERSECT of selects ok);
- the only table is ``event`` (no database qualifier, no system.*, no table functions); CTE names
  are resolved by scope so a name that is a CTE here cannot reach a real table elsewhere;
- every function is on an allow-list (aggregates, date/time, string, math, conditional, arrays);
  no dictGet/joinGet/url/file/remote/sleep & co;
- only columns of ``event`` or names the query itself defines (aliases, CTEs, lambda params),
  resolved per SELECT the way ClickHouse sees them: a name is looked up in its own SELECT's
  sources and aliases, then in the enclosing SELECTs', never in a sibling UNION branch;
- the right side of IN / NOT IN / GLOBAL IN is only constants, the ``{client_id:Int32}``
  parameter, a subquery (checked like the rest), a CTE of the query, or a column / alias of the
  IN's own SELECT: ClickHouse reads any other name there as a TABLE ("UserID IN users" means
  "IN (SELECT * FROM users)", https://clickhouse.com/docs/sql-reference/operators/in) and
  resolves it as an expression only within that SELECT, so ``x IN system.numbers`` or
  ``x IN segment_member`` must never pass on the strength of a same-named alias elsewhere;
- no SETTINGS, FORMAT, INTO OUTFILE, SAMPLE, placeholders other than ``{client_id:Int32}``;
- bounded nesting: deep SQL is refused before sqlglot recurses into it.

Fail closed: a construct the checker does not know is refused, never waved through.

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
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.dialects.clickhouse import ClickHouse
from sqlglot.errors import SqlglotError
from sqlglot.tokens import TokenType

from events import catalog

MAX_SQL_CHARS = 20_000
# Brackets open at once, and depth of the parsed tree: far beyond hand-written or generated
# analytics SQL, far below what makes sqlglot's recursive parser and printer overflow the stack.
MAX_NESTING = 64
MAX_TREE_DEPTH = 256
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
    "not", "xor",
    # (no in/notIn & co: their second argument may be a table name; IN is written as IN)
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


_TOO_DEEP = "SQL이 너무 깊게 중첩되어 있습니다. 괄호와 하위 쿼리를 줄여 주세요."
_OPENERS = {TokenType.L_PAREN, TokenType.L_BRACKET, TokenType.L_BRACE}
_CLOSERS = {TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.R_BRACE}


def _check_nesting(sql: str) -> None:
    # The tokenizer is a loop, the parser a recursion: measure with the first before the second.
    try:
        tokens = _Dialect().tokenize(sql)
    except SqlglotError as exc:
        raise GuardError("SQL을 해석할 수 없습니다. SELECT 문 하나만 입력하세요.",
                         f"tokenize error: {str(exc).splitlines()[0]}") from exc
    depth = 0
    for token in tokens:
        if token.token_type in _OPENERS:
            depth += 1
            if depth > MAX_NESTING:
                raise GuardError(_TOO_DEEP, f"more than {MAX_NESTING} open brackets")
        elif token.token_type in _CLOSERS:
            depth -= 1


def _check_tree_depth(tree: exp.Expression) -> None:
    # Long operator chains (a + a + ...) and NOT NOT ... nest without brackets.
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_TREE_DEPTH:
            raise GuardError(_TOO_DEEP, f"tree deeper than {MAX_TREE_DEPTH}")
        stack.extend((child, depth + 1) for child in node.iter_expressions())


def _parse(sql: str) -> list[exp.Expression]:
    try:
        return [s for s in sqlglot.parse(sql, read=_Dialect) if s is not None]
    except SqlglotError as exc:
        raise GuardError("SQL을 해석할 수 없습니다. SELECT 문 하나만 입력하세요.",
                         f"parse error: {str(exc).splitlines()[0]}") from exc
    except RecursionError as exc:
        raise GuardError(_TOO_DEEP, "parser recursion limit") from exc


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


@dataclass(frozen=True)
class _Relation:
    """What a FROM source or a query outputs: the names it surely has; ``open`` when it may have
    more we cannot list (``* EXCEPT``, unnamed expressions, names that occur twice)."""

    columns: frozenset[str]
    open: bool = False


_EVENT = _Relation(EVENT_COLUMNS)


@dataclass(eq=False)
class _Scope:
    """One SELECT as ClickHouse resolves it: its sources and aliases, then its parent's."""

    parent: _Scope | None
    ctes: dict[str, _Relation]                     # table CTEs visible here (outer ones too)
    values: dict[str, list[exp.Expression]]        # scalar WITH names, visible in subqueries too
    sources: dict[str, _Relation] = field(default_factory=dict)
    aliases: dict[str, list[exp.Expression]] = field(default_factory=dict)  # outside lambdas
    names: set[str] = field(default_factory=set)   # every name the SELECT defines

    def chain(self):
        scope: _Scope | None = self
        while scope is not None:
            yield scope
            scope = scope.parent

    def source(self, name: str) -> _Relation | None:
        return next((s.sources[name] for s in self.chain() if name in s.sources), None)

    def knows(self, name: str) -> bool:
        return any(name in s.names or name in s.values
                   or any(name in r.columns or r.open for r in s.sources.values())
                   for s in self.chain())


_QUERY = (exp.Select, exp.SetOperation)
_BANNED_CLAUSES = ("settings", "format", "into", "sample", "locks", "kind", "options")


def _banned_clauses(node: exp.Expression) -> None:
    for arg in _BANNED_CLAUSES:
        if node.args.get(arg):
            raise GuardError("SETTINGS, FORMAT, INTO 같은 절은 쓸 수 없습니다.", f"{arg.upper()} clause")


def _contains(tree: exp.Expression, node: exp.Expression) -> bool:
    return any(n is node for n in tree.walk())


def _is_constant(node: exp.Expression) -> bool:
    """Values only: no name anywhere (in ClickHouse a lone name in IN's parentheses is a table)."""
    for n in node.walk():
        if isinstance(n, (exp.Column, exp.Identifier, exp.Table, exp.Query, exp.Star)):
            return False
        if isinstance(n, exp.Placeholder) and n.name != CLIENT_PARAM:
            return False
    return True


_IN_RIGHT = ("IN의 오른쪽에는 값 목록, 하위 쿼리, WITH 절 이름, 같은 SELECT의 열만 쓸 수 있습니다.")


class _Checker:
    """Walks the query once, SELECT by SELECT; collects each read of ``event`` for the rewrite."""

    def __init__(self) -> None:
        self.event_tables: list[tuple[exp.Expression, str | None]] = []

    # --- queries ---------------------------------------------------------------------------
    def query(self, node: exp.Expression, parent: _Scope | None, ctes: dict, values: dict) -> _Relation:
        if isinstance(node, exp.Subquery):
            if any(v for k, v in node.args.items() if k not in ("this", "alias")):
                raise GuardError("허용되지 않은 SQL 구문입니다.", "clauses on a parenthesised query")
            return self.query(node.this, parent, ctes, values)
        if isinstance(node, exp.SetOperation):
            _banned_clauses(node)
            ctes, values = self.with_clause(node, parent, ctes, values)
            left = self.query(node.left, parent, ctes, values)
            self.query(node.right, parent, ctes, values)
            # ORDER BY / LIMIT of the whole union see its output names
            outer = _Scope(parent, ctes, values, sources={"\0union": left}, names=set(left.columns))
            for arg in ("order", "limit", "offset"):
                if node.args.get(arg) is not None:
                    self.expression(node.args[arg], outer)
            return left
        if isinstance(node, exp.Select):
            return self.select(node, parent, ctes, values)
        raise GuardError("SELECT 문만 실행할 수 있습니다.", f"statement is {type(node).__name__}")

    def with_clause(self, node: exp.Expression, parent: _Scope | None, ctes: dict, values: dict):
        with_ = node.args.get("with_")
        if with_ is None:
            return ctes, values
        if with_.args.get("recursive"):
            raise GuardError("WITH RECURSIVE는 쓸 수 없습니다.", "recursive CTE")
        ctes, values = dict(ctes), dict(values)
        for cte in with_.expressions:
            name = cte.alias_or_name
            if name.casefold() in {t.casefold() for t in ALLOWED_TABLES}:
                raise GuardError("WITH 절 이름으로 event를 쓸 수 없습니다.", f"CTE shadows table {name}")
            alias = cte.args.get("alias")
            if isinstance(alias, exp.TableAlias) and alias.columns:
                raise GuardError("테이블 별칭에 열 목록은 쓸 수 없습니다.", "table alias with column list")
            if cte.args.get("scalar"):
                # ``WITH <expr> AS name`` is a value, not a table: ``FROM name`` would read a real one
                self.expression(cte.this, _Scope(parent, ctes, values))
                values.setdefault(name, []).append(cte.this)
            else:
                # a CTE sees the ones before it only: ``FROM later_name`` would be a real table
                ctes[name] = self.query(cte.this, parent, ctes, values)
        return ctes, values

    def select(self, sel: exp.Select, parent: _Scope | None, ctes: dict, values: dict) -> _Relation:
        _banned_clauses(sel)
        ctes, values = self.with_clause(sel, parent, ctes, values)
        scope = _Scope(parent, ctes, values)
        from_ = sel.args.get("from_")
        if from_ is not None:
            self.source(from_.this, scope)
        array_joins = []
        for join in sel.args.get("joins") or []:
            if str(join.args.get("kind") or "").upper() == "ARRAY":
                array_joins.append(join.this)
            else:
                self.source(join.this, scope)
        self.collect_names(sel, scope)
        for key, value in sel.args.items():
            if key in ("with_", "from_", "joins") or value is None:
                continue
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, exp.Expression):
                    self.expression(item, scope)
        for join in sel.args.get("joins") or []:
            for key, value in join.args.items():
                if key in ("this", "kind", "side", "method", "global_") or value is None:
                    if key == "this" and join.this in array_joins:
                        self.expression(join.this, scope)
                    continue
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, exp.Expression) and not isinstance(item, exp.Identifier):
                        self.expression(item, scope)
        return self.output(sel, scope)

    def source(self, node: exp.Expression, scope: _Scope) -> None:
        alias_node = node.args.get("alias")
        if isinstance(alias_node, exp.TableAlias) and alias_node.columns:
            raise GuardError("테이블 별칭에 열 목록은 쓸 수 없습니다.", "table alias with column list")
        holder = node
        if isinstance(node, exp.Final):
            node = node.this
        if isinstance(node, exp.Table):
            relation = self.table(node, holder, scope)
            scope.sources[node.alias or node.name] = relation
        elif isinstance(node, exp.Subquery):
            # a derived table cannot see its neighbours in FROM (no LATERAL in ClickHouse)
            relation = self.query(node, scope.parent, scope.ctes, scope.values)
            scope.sources[node.alias or f"\0derived{len(scope.sources)}"] = relation
        else:
            raise GuardError("FROM에는 event 테이블이나 하위 쿼리만 쓸 수 있습니다.",
                             f"source {type(node).__name__}")

    def table(self, node: exp.Table, holder: exp.Expression, scope: _Scope) -> _Relation:
        if not isinstance(node.this, exp.Identifier):
            raise GuardError("테이블 함수는 쓸 수 없습니다.", f"table function {node.this.sql()}")
        if node.args.get("db") or node.args.get("catalog"):
            raise GuardError("event 테이블만 조회할 수 있습니다.", f"qualified table {node.sql()}")
        for arg in ("sample", "joins", "pivots", "laterals", "version", "when", "partition"):
            if node.args.get(arg):
                raise GuardError("허용되지 않은 테이블 옵션입니다.", f"table {arg}")
        name = node.name
        if name in scope.ctes:
            return scope.ctes[name]
        if name in ALLOWED_TABLES:
            # FINAL is dropped with the table node: it means nothing for a plain MergeTree.
            self.event_tables.append((holder, node.alias or None))
            return _EVENT
        raise GuardError("event 테이블만 조회할 수 있습니다.", f"table {name}")

    def collect_names(self, sel: exp.Select, scope: _Scope) -> None:
        """Aliases anywhere in this SELECT (ClickHouse lets WHERE use the projection's), not in
        nested queries; aliases inside a lambda count for lookups but not for IN (lambda scope)."""
        stack: list[tuple[exp.Expression, bool]] = [
            (item, False) for key, value in sel.args.items() if key not in ("with_", "from_")
            for item in (value if isinstance(value, list) else [value]) if isinstance(item, exp.Expression)]
        while stack:
            node, in_lambda = stack.pop()
            if isinstance(node, _QUERY) or isinstance(node, exp.Subquery):
                continue
            if isinstance(node, exp.Join) and str(node.args.get("kind") or "").upper() != "ARRAY":
                continue
            if isinstance(node, exp.Alias) and node.alias:
                scope.names.add(node.alias)
                if not in_lambda:
                    scope.aliases.setdefault(node.alias, []).append(node.this)
            elif isinstance(node, exp.Lambda):
                scope.names.update(p.name for p in node.expressions)
                in_lambda = True
            stack.extend((child, in_lambda) for child in node.iter_expressions())

    def output(self, sel: exp.Select, scope: _Scope) -> _Relation:
        names: list[str] = []
        open_ = False
        for item in sel.expressions:
            if isinstance(item, exp.Alias):
                names.append(item.alias)
            elif isinstance(item, exp.Column) and isinstance(item.this, exp.Star):
                relation = scope.source(item.table)
                names.extend(relation.columns if relation else ())
                open_ = open_ or relation is None or relation.open
            elif isinstance(item, exp.Column):
                names.append(item.name)
            elif isinstance(item, exp.Star) and not any(item.args.get(a) for a in ("except_", "replace", "rename")):
                for relation in scope.sources.values():
                    names.extend(relation.columns)
                    open_ = open_ or relation.open
            else:
                open_ = True
        once = {n for n in names if names.count(n) == 1}
        # A name output twice comes out once as itself and once renamed: neither is certain.
        return _Relation(frozenset(once), open_ or len(once) != len(names))

    # --- expressions -----------------------------------------------------------------------
    def expression(self, root: exp.Expression, scope: _Scope) -> None:
        stack = [root]
        while stack:
            node = stack.pop()
            if isinstance(node, _QUERY):
                self.query(node, scope, scope.ctes, scope.values)
                continue
            if isinstance(node, exp.Func) and not isinstance(node, (exp.Connector, exp.Binary)):
                if not _function_allowed(node):
                    raise GuardError("허용되지 않은 함수입니다.",
                                     f"function {_func_name(node) or type(node).__name__}")
            elif isinstance(node, exp.Placeholder):
                if node.name != CLIENT_PARAM:
                    raise GuardError("쿼리 매개변수는 {client_id:Int32}만 쓸 수 있습니다.",
                                     f"placeholder {node.sql(dialect=_Dialect)}")
            elif isinstance(node, exp.Table):
                raise GuardError("테이블은 FROM이나 JOIN에서만 쓸 수 있습니다.",
                                 f"table in {type(node.parent).__name__}")
            elif isinstance(node, exp.Column):
                self.column(node, scope)
                continue
            elif isinstance(node, exp.TableAlias) and node.columns:
                raise GuardError("테이블 별칭에 열 목록은 쓸 수 없습니다.", "table alias with column list")
            elif not isinstance(node, _STRUCTURAL):
                raise GuardError("허용되지 않은 SQL 구문입니다.", f"node {type(node).__name__}")
            children = list(node.iter_expressions())
            if isinstance(node, exp.In):
                self.in_right_side(node, scope)
                # a name there was resolved just now (it may be a CTE, which is not a column)
                right = node.args.get("field")
                if isinstance(right, (exp.Column, exp.Identifier)):
                    children = [c for c in children if c is not right]
            stack.extend(children)

    def column(self, node: exp.Column, scope: _Scope) -> None:
        if node.args.get("db") or node.args.get("catalog"):
            raise GuardError("다른 데이터베이스를 참조할 수 없습니다.", f"qualified column {node.sql()}")
        star = isinstance(node.this, exp.Star)
        if node.table:
            relation = scope.source(node.table)
            if relation is None:
                raise GuardError("알 수 없는 테이블 이름입니다.", f"column qualifier {node.table}")
            if not star and node.name not in relation.columns and not relation.open:
                raise GuardError("event 테이블에 없는 열입니다.", f"column {node.table}.{node.name}")
        elif not star and not scope.knows(node.name):
            raise GuardError("event 테이블에 없는 열입니다.", f"column {node.name}")
        if star:
            self.expression(node.this, scope)

    def in_right_side(self, node: exp.In, scope: _Scope) -> None:
        if node.args.get("unnest") is not None:
            raise GuardError(_IN_RIGHT, "IN UNNEST")
        for item in node.expressions:
            if not _is_constant(item):
                raise GuardError(_IN_RIGHT, f"IN ({item.sql(dialect=_Dialect)})")
        right = node.args.get("field")
        if right is None or isinstance(right, exp.Placeholder) or _is_constant(right):
            return
        if isinstance(right, exp.Identifier):  # a lambda's parameter (sqlglot leaves it bare)
            if any(isinstance(a, exp.Lambda) and right.name in {p.name for p in a.expressions}
                   for a in _ancestors(node)):
                return
        elif isinstance(right, exp.Column) and not isinstance(right.this, exp.Star):
            if self.resolves_in_own_select(right, node, scope):
                return
        raise GuardError(_IN_RIGHT, f"IN {right.sql(dialect=_Dialect)}")

    def resolves_in_own_select(self, right: exp.Column, node: exp.In, scope: _Scope) -> bool:
        if right.args.get("db") or right.args.get("catalog"):
            return False
        name = right.name
        if right.table:
            relation = scope.sources.get(right.table)  # this SELECT's, not an outer one's
            return relation is not None and name in relation.columns
        definitions = scope.aliases.get(name, []) + scope.values.get(name, [])
        if definitions:
            # an alias whose own definition holds this IN is cyclic: ClickHouse skips it
            return not self.cyclic(name, node, scope)
        if name in scope.names:  # defined only inside a lambda: not visible here
            return False
        return name in scope.ctes or any(name in r.columns for r in scope.sources.values())

    @staticmethod
    def cyclic(name: str, node: exp.In, scope: _Scope) -> bool:
        seen, todo = set(), [name]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            for definition in scope.aliases.get(current, []) + scope.values.get(current, []):
                if _contains(definition, node):
                    return True
                todo.extend(c.name for c in definition.find_all(exp.Column) if not c.table)
        return False


def _ancestors(node: exp.Expression):
    while node.parent is not None:
        node = node.parent
        yield node


def _check(tree: exp.Expression) -> list[tuple[exp.Expression, str | None]]:
    """Validate the whole tree; return (node to replace, alias) for each read of ``event``."""
    if not isinstance(tree, _QUERY):
        raise GuardError("SELECT 문만 실행할 수 있습니다.", f"statement is {type(tree).__name__}")
    checker = _Checker()
    checker.query(tree, None, {}, {})
    return checker.event_tables


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


def _guard(sql: str, max_limit: int) -> str:
    _check_nesting(sql)
    statements = _parse(sql)
    if len(statements) != 1:
        raise GuardError("SELECT 문 하나만 실행할 수 있습니다.", f"{len(statements)} statements")
    tree = statements[0]
    _check_tree_depth(tree)
    while isinstance(tree, exp.Subquery) and not tree.alias:
        tree = tree.this
    for holder, alias in _check(tree):
        holder.replace(_scoped_event(alias))
    _merge_prewhere(tree)
    tree = _cap_limit(tree, max_limit)
    # Comments are dropped, not re-emitted: a comment holding "*/" must never become SQL.
    out = tree.sql(dialect=_Dialect, comments=False)
    _prove_scoped(out)
    return out


def guard_sql(sql: str, *, client_id: int, max_limit: int = 10_000) -> tuple[str, dict]:
    """Check ``sql`` and return (rewritten SQL, parameters) that can only read ``client_id``'s rows."""
    if not isinstance(sql, str) or not sql.strip():
        raise GuardError("SQL이 비어 있습니다.", "empty SQL")
    if len(sql) > MAX_SQL_CHARS:
        raise GuardError(f"SQL이 너무 깁니다 (최대 {MAX_SQL_CHARS:,}자).", f"{len(sql)} chars")
    if not isinstance(client_id, int) or isinstance(client_id, bool):
        raise TypeError("client_id must be an int")
    try:
        out = _guard(sql, max_limit)
    except GuardError:
        raise
    except RecursionError as exc:
        raise GuardError(_TOO_DEEP, "recursion limit") from exc
    except Exception as exc:  # fail closed: SQL the checker trips over is refused, not run
        raise GuardError("이 SQL은 검사할 수 없습니다. 더 단순한 SELECT 문으로 바꿔 주세요.",
                         f"guard failed: {type(exc).__name__}: {exc}"[:300]) from exc
    # Our own setting, never the user's: the seed's anti-join style (LEFT JOIN ... IS NULL) only
    # finds the unmatched rows when they are NULL, not ClickHouse's default zero values.
    return f"{out}\n{QUERY_SETTINGS}", {CLIENT_PARAM: client_id}
