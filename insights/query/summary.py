"""One Korean sentence that answers the question, with the window it used.

"최근 7일 방문자 중 90.9%가 메인 페이지를 조회했습니다." The sentence is built from the IR (what
was asked) and the rows (what came back), never from the question text, so it states exactly
what was computed.
"""
from __future__ import annotations

from datetime import date

from events import catalog

from . import ir

# verb stem, and whether it conjugates as "X하다" (조회한/조회하고/조회했습니다) or like 담다.
_VERBS: dict[str, tuple[str, str, bool]] = {
    # event: (object phrase template, stem, hada)
    "product_view": ("{obj}", "조회", True),
    "category_view": ("{obj}", "조회", True),
    "main_view": ("메인 페이지", "조회", True),
    "board_view": ("{obj}", "조회", True),
    "page_view": ("페이지", "조회", True),
    "cart_add": ("장바구니에 {obj}", "담", False),
    "cart_remove": ("장바구니에서 {obj}", "삭제", True),
    "wishlist_add": ("관심상품에 {obj}", "담", False),
    "checkout_start": ("주문서", "작성", True),
    "order_complete": ("{obj}", "구매", True),
    "order_cancel": ("주문", "취소", True),
    "search": ("{obj}", "검색", True),
    "review_write": ("리뷰", "작성", True),
    "login": ("", "로그인", True),
    "signup": ("", "회원가입", True),
    "push_subscribe": ("푸시 알림", "구독", True),
    "message_click": ("{obj}", "클릭", True),
    "session_start": ("", "방문", True),
    "any_event": ("", "방문", True),
    "scroll": ("", "스크롤", True),
}
_NOUN = {**catalog.NOUN_KO, "any_event": "방문"}  # "any event" reads as a visit
_BY = {"product": "상품별", "category": "카테고리별", "keyword": "검색어별", "event_type": "이벤트별",
       "hour": "시간대별", "day": "일별", "week": "주별"}
_DIM = {"product": "상품", "category": "카테고리", "keyword": "검색어", "event_type": "이벤트", "hour": "시간대",
        "day": "날", "week": "주"}


def has_final_consonant(word: str) -> bool:
    """Whether the last syllable ends in a consonant (받침): picks 을/를, 이/가, 은/는."""
    for ch in reversed(word.strip("'\" )")):
        if "가" <= ch <= "힣":
            return (ord(ch) - 0xAC00) % 28 != 0
        if ch.isdigit():
            return ch in "013678"  # 영, 일, 삼, 육, 칠, 팔 end in a consonant
        if ch.isalpha():
            return ch.lower() in "lmnr"
    return False


def josa(word: str, pair: str) -> str:
    with_c, without = pair.split("/")
    return word + (with_c if has_final_consonant(word) else without)


def _obj(event: str, f: ir.EventFilters) -> str:
    parts = []
    if f.product_id:
        parts.append("상품 " + "·".join(f.product_id))
    if f.category_id:
        parts.append("카테고리 " + "·".join(f.category_id))
    if f.board_id:
        parts.append("게시판 " + "·".join(f.board_id))
    if f.article_id:
        parts.append("게시글 " + "·".join(f.article_id))
    if f.keyword:
        parts.append("·".join(f"'{k}'" for k in f.keyword))
    if f.keyword_contains:
        parts.append(f"'{f.keyword_contains}'가 들어간 검색어")
    if f.tracking_id:
        parts.append("메시지 " + "·".join(f.tracking_id))
    if not parts:
        default = {"product_view": "상품", "category_view": "카테고리", "board_view": "게시글",
                   "order_complete": "", "search": "", "message_click": "메시지", "cart_add": "",
                   "wishlist_add": "", "cart_remove": ""}
        return default.get(event, "")
    return " ".join(parts)


_DEVICE_KO = {"mobile": "모바일", "desktop": "PC", "tablet": "태블릿"}


def _context(f: ir.EventFilters) -> str:
    """Where the visit came from and on what device: '모바일에서 instagram 유입으로 '."""
    out = ""
    if f.device_type:
        out += "·".join(_DEVICE_KO.get(d, d) for d in f.device_type) + "에서 "
    src = [*(f.utm_source or []), *(f"{c} 캠페인" for c in (f.utm_campaign or [])), *(f.utm_medium or [])]
    if src:
        out += "·".join(src) + " 유입으로 "
    if f.page_url_contains:
        out += f"주소에 '{f.page_url_contains}'가 들어간 "
    return out


def _amount(f: ir.EventFilters) -> str:
    r = f.order_total or f.amount
    if r is None:
        return ""
    lead = "주문 합계 " if f.order_total else ""
    if r.gte is not None and r.lte is not None:
        return f"{lead}{r.gte:,}~{r.lte:,}원 "
    return f"{lead}{r.gte:,}원 이상 " if r.gte is not None else f"{lead}{r.lte:,}원 이하 "


def _count(c: ir.Count | None) -> str:
    if c is None or (c.op == ">=" and c.value == 1):
        return ""
    if c.op == "between":
        return f"{c.value}~{c.value2}회 "
    return f"{c.value}회" + {">=": " 이상 ", "<=": " 이하 ", "=": " "}[c.op]


def _phrase(event: str, f: ir.EventFilters, count: ir.Count | None, form: str, negated: bool = False) -> str:
    """'상품 3을 2회 이상 조회한' in the asked form: rel (한), conn (하고), past (했습니다)."""
    tmpl, stem, hada = _VERBS[event]
    obj = tmpl.format(obj=_obj(event, f)).strip()
    if obj and not obj.endswith(("에", "에서")):
        obj = josa(obj, "을/를")
    obj = (_context(f) + obj).strip()
    pre = " ".join(x for x in (obj, _amount(f).strip(), _count(count).strip()) if x)
    if negated:
        verb = stem + ("하지 " if hada else "지 ") + {"rel": "않은", "conn": "않고", "past": "않았습니다", "or": "않았거나"}[form]
    elif hada:
        verb = stem + {"rel": "한", "conn": "하고", "past": "했습니다", "or": "했거나"}[form]
    else:  # 담다
        verb = stem + {"rel": "은", "conn": "고", "past": "았습니다", "or": "았거나"}[form]
    return f"{pre} {verb}".strip()


def describe(node, form: str = "rel", negated: bool = False) -> str:
    """A per-visitor condition tree in Korean, ending in the asked verb form."""
    if isinstance(node, ir.EventCondition):
        return _phrase(node.event, node.filters, node.count, form, negated)
    if isinstance(node, ir.SequenceCondition):
        firsts = " ".join(f"{_phrase(s.event, s.filters, None, 'rel')} 뒤" for s in node.steps[:-1])
        within = ""
        if node.within:
            unit = {"minute": "분", "hour": "시간", "day": "일"}[node.within.unit]
            within = f"{node.within.value}{unit} 이내에 "
        last = _phrase(node.steps[-1].event, node.steps[-1].filters, None, form, negated)
        return f"{firsts} {within}{last}"
    if isinstance(node, ir.Not):
        return describe(node.item, form, not negated)
    if isinstance(node, ir.Group):
        joiner = "conn" if node.op == "and" else "or"
        if negated:  # "not (A and B)" reads badly; say it plainly
            return "다음 조건에 해당하지 " + {"rel": "않은", "conn": "않고", "past": "않았습니다", "or": "않았거나"}[form]
        parts = [describe(i, joiner) for i in node.items[:-1]] + [describe(node.items[-1], form)]
        return " ".join(parts)
    return "조건에 맞는"


def window_text(w) -> str:
    return w.label or w.dates_text()


def _num(v) -> str:
    if isinstance(v, float):
        return f"{v:,.1f}" if v != int(v) else f"{int(v):,}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _key(v) -> str:
    if isinstance(v, date):
        return v.isoformat()
    s = str(v)
    if len(s) == 19 and s.endswith(":00:00"):  # an hour bucket
        return f"{s[:10]} {int(s[11:13])}시"
    return s


def summarize(q: ir.Query, compiled, columns: list[str], rows: list[tuple], *, truncated: bool = False) -> str:
    if q.kind == "C":
        return q.reason or "답할 수 없는 질문입니다."
    win = window_text(compiled.window)
    if q.kind == "A":
        who = describe(q.audience, "rel")
        n = len(rows)
        if n == 0:
            return f"{win} {who} 방문자는 없습니다."
        members = sum(1 for r in rows if len(r) > 1 and r[1])
        more = f" 이상(처음 {n:,}명만 표시)" if truncated else ""
        tail = f", 그중 회원 ID가 확인된 사람은 {members:,}명입니다." if members else "입니다."
        return f"{win} {who} 방문자는 {n:,}명{more}{tail}"
    a = q.aggregate
    pop = f"{describe(q.audience, 'rel')} 방문자의 " if q.audience is not None else ""
    if a.metric == "ratio":
        num, den, ratio = rows[0] if rows else (0, 0, 0)
        base = f"{describe(a.denominator, 'rel')} 방문자" if a.denominator is not None else "방문자"
        if not den:
            return f"{win} {base}가 없어 비율을 구할 수 없습니다."
        pct = round(100 * num / den, 1)
        return f"{win} {base} 중 {pct:g}%({num:,}명/{den:,}명)가 {describe(a.numerator, 'past')}."
    if a.metric == "funnel":
        names = " → ".join(_NOUN[s.event] + (f"({_obj(s.event, s.filters)})" if not s.filters.is_empty() else "")
                           for s in a.steps)
        if not rows or not rows[0][1]:
            return f"{win} {names} 퍼널의 첫 단계에 도달한 방문자가 없습니다."
        first, last = rows[0][1], rows[-1][1]
        return (f"{win} {names} 퍼널에서 첫 단계 {first:,}명 중 {last:,}명({round(100 * last / first, 1):g}%)이 "
                f"마지막 단계까지 갔습니다.")
    label, unit = _metric_label(a)
    mcol = len(columns) - 1 if a.metric != "aov" else columns.index("aov")
    if not a.group_by:
        v = rows[0][mcol] if rows else 0
        v = v or 0
        if a.metric == "aov" and rows:
            orders, revenue = rows[0][0], rows[0][1]
            return f"{win} {pop}객단가는 {_num(v)}원입니다(주문 {orders:,}건, 매출 {revenue:,}원)."
        return f"{win} {pop}{label}{'은' if has_final_consonant(label) else '는'} {_num(v)}{unit}입니다."
    dims = [_DIM[g] for g in a.group_by]
    by = "·".join(_BY[g] for g in a.group_by)
    if not rows:
        return f"{win} {pop}{by} {label} 결과가 없습니다."
    if a.group_by[0] in ("hour", "day", "week") and a.top_n is None:
        total = sum((r[mcol] or 0) for r in rows)
        best = max(rows, key=lambda r: r[mcol] or 0)
        topic = josa(dims[0], "은/는")
        if a.metric in ("visitors", "aov"):  # visitors of different days do not add up
            return f"{win} {pop}{by} {label}{josa(label, '이/가')[len(label):]} 가장 많은 {topic} {_key(best[0])}({_num(best[mcol])}{unit})입니다."
        return (f"{win} {pop}{by} {label} 합계는 {_num(total)}{unit}이며, 가장 많은 {topic} "
                f"{_key(best[0])}({_num(best[mcol])}{unit})입니다.")
    top = rows[0]
    most = "가장 적은" if a.order == "asc" and a.top_n else "가장 많은"
    dim = dims[0]
    return (f"{win} {pop}{label}{'이' if has_final_consonant(label) else '가'} {most} {dim}{'은' if has_final_consonant(dim) else '는'} "
            f"{_dim_value(a.group_by[0], top[0])}({_num(top[mcol])}{unit})입니다.")


def _dim_value(g: str, v) -> str:
    if v is None or v == "":
        return "(없음)"
    if g in ("product", "category"):
        return f"{_DIM[g]} {v}"
    if g == "keyword":
        return f"'{v}'"
    if g == "event_type":
        from events import catalog
        try:
            return catalog.get(int(v)).label_ko
        except (KeyError, ValueError):
            return str(v)
    return _key(v)


def _metric_label(a: ir.Aggregate) -> tuple[str, str]:
    ev = a.event
    what = noun = ""
    if ev is not None:
        noun = _NOUN[ev.event]
        if not ev.filters.is_empty():
            what = (_context(ev.filters) + _obj(ev.event, ev.filters) + " " + _amount(ev.filters)).strip() + " "
            if what.split() and what.split()[0] == noun.split()[0]:  # "카테고리 5 조회", not "카테고리 5 카테고리 조회"
                noun = noun.split()[-1]
    if a.metric == "events":
        return (f"{what}{noun} 수" if ev else "이벤트 수"), "회"
    if a.metric == "visitors":
        return (f"{_phrase(ev.event, ev.filters, None, 'rel')} 방문자 수" if ev else "방문자 수"), "명"
    if a.metric == "orders":
        return f"{what}주문 수", "건"
    if a.metric == "revenue":
        return f"{what}매출", "원"
    return f"{what}객단가", "원"
