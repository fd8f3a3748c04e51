"""The offline engine: Korean and English marketer questions -> IR, by rules (no network, no key).

How it reads a question:
1. refuse what we never record or cannot do (age, gender, weather, predictions, writes);
2. take out the period (``dates_ko``);
3. find event mentions (verbs and nouns such as 봤/조회/장바구니/구매/검색, viewed/bought) and,
   around each, its object (상품 3, 메인, 카테고리 5), count (두 번 이상), negation (안 한,
   한 번도, did not) and amount;
4. read the shape: audience words (사람, 목록, who) -> A; numbers (몇 명, 비율, 매출, 일별,
   가장 많이, top) -> B;
5. every character must be accounted for: if a meaningful word is left that no rule used, the
   answer is C with that word named — the parser never guesses.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from pydantic import ValidationError

from . import ir
from .dates_ko import _NUMW, find_window, to_int

MAX_QUESTION = 500

SUGGEST = "예: '최근 7일 동안 상품 3을 2회 이상 조회한 사람', '어제 방문자 중 메인 페이지를 본 비율', '이번 달 일별 주문 수'"


def _c(reason: str, suggestion: str = SUGGEST) -> ir.Query:
    return ir.Query(kind="C", reason=reason[:500], suggestion=suggestion[:500])


# --- things we refuse outright -----------------------------------------------------------------
_NOT_RECORDED = re.compile(
    r"나이|연령|연령대|성별|남성|여성|남자|여자|날씨|기온|지역|도시|주소|거주|직업|소득|연봉|생일|"
    r"\b(?:age|ages|gender|male|female|men|women|weather|city|region|income|birthday|address)\b")
_WRITE = re.compile(r"삭제해|지워|지우|수정해|바꿔|업데이트|초기화|"
                    r"\b(?:delete|drop|truncate|insert|update|alter|grant)\b|;")
_PREDICT = re.compile(r"예측|예상|할\s*것\s*같은|할\s*사람|살\s*것|\b(?:predict|forecast|likely to|will buy)\b")
_VAGUE = re.compile(r"잘\s*팔리|인기|핫한|트렌드|\b(?:popular|best[- ]?sell\w*|trending|hot)\b")
_COMPARE = re.compile(r"비교|대비|\bvs\.?\b|\bcompare\w*|\bversus\b")
_OUT_OF_SCOPE = re.compile(r"재고|(?<!회)원가|마진|이익|배송|환불|쿠폰|적립금|광고비|\b(?:stock|inventory|margin|profit|shipping|refund|coupon)\b")


# --- event vocabulary ----------------------------------------------------------------------------
# (regex, event) in priority order; "view" is resolved by its object (상품/메인/카테고리...).
_EVENTS: list[tuple[str, str]] = [
    (r"장바구니\s*에서\s*(?:삭제\w*|뺀|빼\w*|제거\w*)?|장바구니\s*(?:삭제|제거)\w*|(?<![가-힣])(?:삭제|제거)(?:한|했\w*|된)|(?<![가-힣])(?:뺀|뺐\w*)|remov(?:ed|es|e|ing)\b(?=\s+(?:\w+\s+){0,3}from\s+(?:the\s+)?cart)|from\s+(?:the\s+)?(?:shopping\s+)?cart", "cart_remove"),
    (r"관심\s*상품\s*(?:에)?\s*(?:담\w*|등록\w*|추가\w*)?|찜\w*|위시\s*리스트\w*|wish\s*list\w*|wishlist\w*", "wishlist_add"),
    (r"장바구니\s*(?:에|에다|에다가)?\s*(?:담\w*|넣\w*|추가\w*)?|카트\s*(?:에)?\s*(?:담\w*|넣\w*)?|(?<![가-힣])담(?:은|았\w*|고|기|지|는|아)"
     r"|(?<![가-힣])넣(?:은|었\w*|고|기|지|는)|담(?:긴|겼\w*)"
     r"|add(?:ed|s|ing)?\b(?=\s+(?:\w+\s+){0,3}to\s+(?:the\s+|their\s+|a\s+)?(?:shopping\s+)?cart)|to\s+(?:the\s+|their\s+|a\s+)?(?:shopping\s+)?cart|cart\s*adds?|carted", "cart_add"),
    (r"주문서\s*(?:를|을)?\s*(?:작성\w*|쓴|쓰\w*|썼\w*)?|checkout\w*|check(?:ed)?\s*out", "checkout_start"),
    (r"(?:주문|구매|결제)\s*(?:을|를)?\s*취소\w*|취소\w*|cancel\w*", "order_cancel"),
    (r"매출|revenue|sales", "revenue"),
    (r"객단가|평균\s*주문\s*금액|\baov\b|average\s+order\s+(?:value|amount)", "aov"),
    (r"(?:구매|주문|결제)\s*완료\w*|구매\w*|구입\w*|주문\w*|결제\w*|팔린|판매\w*|(?<![가-힣])(?:산|샀\w*)(?![가-힣])"
     r"|bought|buy\w*|purchas\w*|order\w*|paid|sold", "order_complete"),
    (r"검색\w*|(?<![가-힣])찾(?:은|았\w*|아본|는)|search\w*|looked\s+for", "search"),
    (r"(?:리뷰|후기)\w*\s*(?:를|을)?\s*(?:작성\w*|남긴|남겼\w*|쓴|썼\w*|등록\w*|올린|올렸\w*)?|review\w*|wrote\s+(?:a\s+)?reviews?", "review_write"),
    (r"(?<![가-힣])(?:작성\w*|남긴|남겼\w*|쓴|썼\w*|올린|올렸\w*)", "review_verb"),
    (r"회원\s*가입\w*|가입\w*|sign(?:ed|s)?\s*up|signups?|registered|registration", "signup"),
    (r"로그인\w*|log(?:ged|s)?\s*in|logins?", "login"),
    (r"(?:웹\s*)?푸시\s*(?:알림)?\s*(?:을|를)?\s*구독\w*|알림\s*구독\w*|구독\w*|subscri\w*(?:\s+to\s+(?:web\s+)?push(?:\s+notifications?)?)?|push\s+subscri\w*", "push_subscribe"),
    (r"(?:메시지|캠페인|문자|푸시|알림)\s*(?:을|를)?\s*(?:클릭\w*|누른|눌렀\w*)|클릭\w*|click\w*(?:\s+(?:on\s+)?(?:a|the|our|any)?\s*(?:messages?|campaigns?|push(?:es)?|notifications?|links?))?", "message_click"),
    (r"조회\w*|열람\w*|(?<![가-힣])(?:본|봤\w*|보고|보았\w*|보는|보신)(?![가-힣])|방문\w*|들어온|들어간|들어와\w*|유입\w*|접속\w*|"
     r"view\w*|saw|seen|see|visit\w*|looked\s+at|landed", "view"),
]
_EVENT_RX = [(re.compile(p), e) for p, e in _EVENTS]

_OBJECTS = [
    (re.compile(r"메인\s*(?:페이지|화면)?|홈\s*(?:페이지|화면)?|첫\s*화면|main\s*page|home\s*page|homepage|main|home"), "main_view"),
    (re.compile(r"카테고리\s*(?:페이지|화면|목록)?|category\s*pages?|category|categories"), "category_view"),
    (re.compile(r"(?:상품|제품)\s*(?:상세\s*)?(?:페이지|화면)?|product\s*(?:detail\s*)?pages?|products?|items?"), "product_view"),
    (re.compile(r"게시글|게시판|(?<![가-힣])글(?![가-힣])|글(?=을|이)|board|posts?|articles?"), "board_view"),
    (re.compile(r"페이지|pages?"), "page_view"),
]

# --- entities ------------------------------------------------------------------------------------
_LIST = r"(\d+(?:\s*(?:,|이나|나|또는|혹은|or|,\s*or)\s*\d+)*)"
_ENTITIES = [
    ("product_id", re.compile(r"(?:상품|제품)\s*(?:번호|id|아이디)?\s*#?" + _LIST + r"\s*번?|(\d+)\s*번\s*(?:상품|제품)"
                              r"|(?:products?|items?)\s*(?:id|no\.?|number|#)?\s*#?" + _LIST)),
    ("category_id", re.compile(r"카테고리\s*(?:번호|id)?\s*#?" + _LIST + r"\s*번?|(\d+)\s*번\s*카테고리"
                               r"|categor(?:y|ies)\s*(?:id|no\.?|#)?\s*#?" + _LIST)),
    ("board_id", re.compile(r"게시판\s*(?:번호|id)?\s*#?" + _LIST + r"\s*번?|(\d+)\s*번\s*게시판|board\s*(?:id|#)?\s*#?" + _LIST)),
    ("article_id", re.compile(r"게시글\s*(?:번호|id)?\s*#?" + _LIST + r"\s*번?|(?:article|post)\s*(?:id|#)?\s*#?" + _LIST)),
]
# Visit context recorded on every event of a visit: device and where the visit came from.
_DEVICE = [(re.compile(r"모바일|휴대폰|스마트폰|핸드폰|\bmobile\b|\bphones?\b"), "mobile"),
           (re.compile(r"\bpc\b|데스크톱|데스크탑|컴퓨터|\bdesktop\b"), "desktop"),
           (re.compile(r"태블릿|\btablets?\b"), "tablet")]
_SOURCE = [(re.compile(r"인스타그램|인스타|\binstagram\b"), "instagram"),
           (re.compile(r"카카오톡|카카오|카톡|\bkakao(?:talk)?\b"), "kakao"),
           (re.compile(r"네이버|\bnaver\b"), "naver")]
_UTM_CAMPAIGN = re.compile(r"([a-z0-9][a-z0-9_-]{1,40})\s*캠페인\s*(?=으로|을\s*통해|를\s*통해|에서|로)|"
                           r"\b(?:utm_campaign|campaign)\s+([a-z0-9][a-z0-9_-]{1,40})\b(?!\s*(?:messages?|clicks?))")
_TRACKING = re.compile(r"([a-z0-9][a-z0-9_-]{0,40}[-_0-9][a-z0-9_-]*)\s*(?=(?:메시지|문자|푸시|알림|캠페인|messages?|campaigns?)\s*"
                       r"(?:을|를)?\s*(?:클릭|누른|눌렀|clicks?))|(?:clicked|clicks?\s+(?:on\s+)?)\s*(?:message|campaign)\s+([a-z0-9][a-z0-9_-]{1,40})")
_NOT_KEYWORD = re.compile(r"keywords?|terms?|queries|words?|items?|products?|anything|something|검색어|키워드")
_QUOTED = re.compile(r"[\"'“”‘’「『]([^\"'“”‘’」』]{1,60})[\"'“”‘’」』]")
_KEYWORD_BEFORE = re.compile(r"([가-힣a-z0-9]{1,20}?)\s*(?:을|를|이라고|라고|로)?\s*(?=검색)")
_KEYWORD_AFTER_EN = re.compile(r"search(?:ed|es|ing)?\s+(?:for\s+)?([a-z0-9가-힣]{1,30})")
_CONTAINS = re.compile(r"(?:검색어|키워드)\s*(?:에|에는)\s*([가-힣a-z0-9]{1,20}?)\s*(?:이|가)?\s*(?:들어간|포함된|포함한|들어가는|있는)"
                       r"|([가-힣a-z0-9]{1,20}?)\s*(?:이|가)?\s*(?:들어간|포함된|포함한|들어가는)\s*(?:검색어|키워드)"
                       r"|(?:keyword|search(?:es)?|query)\s+contain(?:s|ing)\s+([a-z0-9가-힣]{1,30})")
_AMOUNT = re.compile(r"(?:금액\s*(?:이|가)?\s*)?(\d[\d,]*(?:\.\d+)?)\s*(만|천)?\s*원\s*(이상|이하|넘게|초과|미만|넘는|넘은|보다\s*많이|보다\s*적게)(?:인)?"
                     r"|(over|more than|at least|above|under|below|less than|at most)\s*(?:₩\s*|krw\s*)(\d[\d,]*)\s*(k)?"
                     r"|(over|more than|at least|above|under|below|less than|at most)\s*(\d[\d,]*)\s*(k)?\s*(?:won|krw)\b")

# --- counts --------------------------------------------------------------------------------------
_NEVER = re.compile(r"한\s*번도|한\s*차례도|전혀|never")
_NEG_AFTER = re.compile(r"\s*(?:하지|지|은\s*적이?|한\s*적이?|을\s*적이?)?\s*(?:않\w*|안\s*\w*|없\w*|못\w*)")
_NEG_BEFORE = re.compile(r"(?:(?<![가-힣])안|did\s*n[o']t|didn't|have\s*n[o']t|haven't|has\s*n[o']t|hasn't|not|never|without|no)\s*$")
_COUNT_KO = [
    (re.compile(_NUMW + r"\s*(?:번|회|차례)\s*(?:에서|~|-)\s*" + _NUMW + r"\s*(?:번|회|차례)\s*(?:사이)?"), "between"),
    (re.compile(_NUMW + r"\s*(?:~|-)\s*" + _NUMW + r"\s*(?:번|회)"), "between"),
    (re.compile(_NUMW + r"\s*(?:번|회|차례)\s*(?:이상|넘게|초과|이하|미만|까지|만)?"), "op"),
    (re.compile(r"여러\s*(?:번|차례)"), "many"),
    (re.compile(r"between\s+" + _NUMW + r"\s+and\s+" + _NUMW + r"\s+times"), "between"),
    (re.compile(r"(at least|at most|more than|fewer than|less than|no more than|exactly|over)?\s*"
                r"(once|twice|thrice|(?:" + _NUMW[1:-1] + r")\s*(?:times|x)|(?:" + _NUMW[1:-1] + r")\+)"
                r"(\s*or\s+more|\s*or\s+(?:fewer|less)|\s*\+)?"), "en"),
    (re.compile(r"multiple\s+times|more\s+than\s+once|repeatedly"), "many"),
]

# --- shape words ---------------------------------------------------------------------------------
_GROUP_WORDS = [
    (re.compile(r"일별|날짜별|하루\s*별|매일|일자별|\bdaily\b|\bper\s+day\b|\bby\s+day\b|\beach\s+day\b|\bby\s+date\b"), "day"),
    (re.compile(r"시간대\s*별|시간별|시간대|\bhourly\b|\bper\s+hour\b|\bby\s+hour\b"), "hour"),
    (re.compile(r"주별|주간\s*별|주차별|\bweekly\b|\bper\s+week\b|\bby\s+week\b"), "week"),
    (re.compile(r"(?:상품|제품)\s*별|\bby\s+product\b|\bper\s+product\b|\beach\s+product\b"), "product"),
    (re.compile(r"카테고리\s*별|\bby\s+category\b|\bper\s+category\b"), "category"),
    (re.compile(r"(?:검색어|키워드)\s*별|\bby\s+(?:search\s+)?(?:keyword|term)\b|\bper\s+keyword\b"), "keyword"),
    (re.compile(r"이벤트\s*(?:유형|종류|타입)?\s*별|\bby\s+event(?:\s+type)?\b|\bper\s+event(?:\s+type)?\b"), "event_type"),
]
_TOP = re.compile(r"(?:가장|제일)\s*(많이|적게|많은|적은|높은|낮은)|상위\s*(\d+)?|하위\s*(\d+)?|\btop\s*(\d+)?|\bbottom\s*(\d+)?|"
                  r"(?<!at )\bmost\b|(?<!at )\bleast\b|\bhighest\b|\blowest\b|순위|랭킹|\branking\b")
_TOP_N = re.compile(r"(\d+)\s*(?:개|가지|위|곳|건)(?:\s*(?:만|까지))?|(?<![a-z])(\d+)\s+(?=\w)")
_DIM_NOUN = [
    (re.compile(r"상품|제품|products?|items?"), "product"),
    (re.compile(r"카테고리|categor(?:y|ies)"), "category"),
    (re.compile(r"검색어|키워드|keywords?|search\s+terms?|terms?|queries"), "keyword"),
    (re.compile(r"시간대|hours?"), "hour"),
    (re.compile(r"날짜|요일|날|days?|dates?"), "day"),
]
_RATIO = re.compile(r"비율|비중|몇\s*%|몇\s*퍼센트|퍼센트|%|점유율|전환율|\bratio\b|\bpercent(?:age)?\b|\bshare\b|\brate\b|\bfraction\b|\bproportion\b")
_AMONG = re.compile(r"중(?:에서|에)?\s*(?=몇|비율|얼마)|중(?:에서|에)?(?=\s|$)|가운데|\bamong\b|\bof\s+(?:the\s+)?(?:those|people|visitors|users|customers)\b")
_FUNNEL = re.compile(r"퍼널|단계별|funnel|(?:전환|이어진|넘어간|이탈)")
_SEQ = re.compile(r"(?:한\s*)?(?:후|뒤|다음)(?:에)?|하고\s*나서|고\s*나서|\bthen\b|\bafter(?:wards)?\b|\band\s+then\b|\bfollowed\s+by\b")
_WITHIN = re.compile(r"(\d+)\s*(분|시간|일)\s*(?:이내|안|내|만)\s*(?:에)?|\bwithin\s+(\d+|an?|one)\s*(minutes?|mins?|hours?|days?)\b")
_COUNT_OF_PEOPLE = re.compile(r"몇\s*명|몇\s*분|인원|사람\s*수|(?<=방문자)\s*수|고객\s*수|회원\s*수|사용자\s*수|유저\s*수|명수|"
                              r"\bhow\s+many\s+(?:people|visitors|users|customers|shoppers|members)\b|"
                              r"\bnumber\s+of\s+(?:people|visitors|users|customers|shoppers)\b|\b(?:visitors|users)\s+count\b|\bunique\s+visitors\b|\bcount\s+(?:the\s+)?(?:people|visitors|users)\b")
_COUNT_OF_EVENTS = re.compile(r"몇\s*번|몇\s*회|몇\s*건|횟수|건수|\bhow\s+many\s+times\b|\bnumber\s+of(?=\s+(?:views|searches|clicks|events|times|adds|reviews|logins|signups|cart\s+adds)\b)|\bviews?\s+count\b|\bcount\s+of\b|\bhow\s+many(?=\s+(?:views|searches|clicks|events|adds|reviews|logins|signups|cart\s+adds)\b)")
_ORDERS = re.compile(r"주문\s*(?:수|건수|몇\s*건|량)|주문수|구매\s*(?:수|건수)|\bnumber\s+of\s+orders\b|\bhow\s+many\s+orders\b|\border\s+count\b|\borders\b")
_AUDIENCE = re.compile(r"사람|사용자|고객|방문자|회원|유저|손님|목록|명단|리스트|누구|누가|\buuids?\b|\busers\b|\bpeople\b|\bvisitors\b|"
                       r"\bcustomers\b|\bshoppers\b|\bwho\b|\blist\b|\baudience\b|\bmembers\b|\bthose\b")
_VISIT_NOUN = re.compile(r"방문자|방문한|방문\b|visitors|visited|visits?")

# Words that carry no meaning of their own here; anything else left over makes the answer C.
_FILLER = set("""
사람 사람들 사용자 사용자들 고객 고객들 방문자 방문자들 회원 회원들 유저 유저들 손님 목록 명단 리스트 누구 누가 누군지 누구인지
알려줘 알려 알려주세요 알려줄래 보여줘 보여 보여주세요 뽑아줘 뽑아 뽑아주세요 추출 추출해줘 추출해 찾아줘 줘 주세요 줄래 해줘 해주세요 해 한 했 했던 하는 할 하고 했고 한번
중 중에 중에서 의 은 는 이 가 을 를 에 에서 으로 로 도 만 과 와 및 그리고 하지만 지만 는데 인데 까지 부터 동안 기간 사이 간 몇 명 수 건 개 번 회 얼마 얼마나 얼마야 얼마인가요
인가요 인가 이야 야 지 요 라고 이라고 이라는 라는 있는 있나요 있어 된 되는 됐 총 전체 모든 모두의 각 기준 기준으로 데이터 수치 값 정도 대략 약 좀 혹시 그 이번 지난 최근 일 뽑기 구해줘 구해 계산해줘 계산
분 분들 들 이상인 이하인 이상 이하 했는지 하였는지 했나요 했어 했나 였나 인지 인지요 되나요 되나 될까 볼까 싶어 싶다 궁금해 궁금 궁금합니다 확인 확인해줘 어떻게 되나요 됩니까 입니까 습니까 니까
a an the of in on for to from but however yet 것 거 we our us get got did received have had has been during over at by with and or who which that those people users visitors customers shoppers members list show me give tell get find
all any what is are was were did do does have has had how many much number count please uuid uuids ids id their them they it its
whose each per total overall between since within time times period days day anything something
""".split())
_PARTICLES = re.compile(r"(?:들|이|가|을|를|은|는|의|에|에서|으로|로|도|만|과|와|께서|께|에게|한테|이나|나|랑|이랑|요|야|이야|인가요|인지|까지|부터)+$")


@dataclass
class Mention:
    event: str  # logical IR event name, or "view" before resolution, or revenue/aov metrics
    span: tuple[int, int]
    filters: dict = field(default_factory=dict)
    count: ir.Count | None = None
    negated: bool = False
    obj_span: tuple[int, int] | None = None


class _Unclear(Exception):
    def __init__(self, reason: str, suggestion: str = SUGGEST):
        super().__init__(reason)
        self.reason, self.suggestion = reason, suggestion


def normalize(question: str) -> str:
    s = unicodedata.normalize("NFKC", question).lower()
    s = re.sub(r"[?!？！。]+", " ", s)
    s = re.sub(r"(?<=\S)\.(?=\s|$)", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def parse(question: str, *, today: date | None = None) -> ir.Query:
    """The IR for a question, or kind C with a Korean reason and a suggested rephrasing."""
    today = today or date.today()
    if question is None or not question.strip():
        return _c("질문이 비어 있습니다.")
    if len(question) > MAX_QUESTION:
        return _c(f"질문이 너무 깁니다({len(question)}자). {MAX_QUESTION}자 이내로 한 가지씩 물어 주세요.")
    text = normalize(question)
    try:
        return _Parser(text, today).run()
    except _Unclear as exc:
        return _c(exc.reason, exc.suggestion)
    except ValidationError as exc:
        first = exc.errors()[0].get("msg", "")
        return _c(f"질문을 올바른 조건으로 바꾸지 못했습니다: {first.removeprefix('Value error, ')}")


class _Parser:
    def __init__(self, text: str, today: date):
        self.t = text
        self.today = today
        self.used = [False] * len(text)

    def use(self, a: int, b: int) -> None:
        for i in range(a, b):
            self.used[i] = True

    def free(self, a: int, b: int) -> bool:
        return not any(self.used[a:b])

    def finditer_free(self, rx: re.Pattern, a: int = 0, b: int | None = None):
        b = len(self.t) if b is None else b
        pos = a
        while pos <= b:
            m = rx.search(self.t, pos, b)
            if not m:
                return
            if m.end() > m.start() and self.free(*m.span()):
                yield m
                pos = m.end()
            else:  # overlaps a word already read: try again one character later
                pos = m.start() + 1

    # ------------------------------------------------------------------------------------------
    def run(self) -> ir.Query:
        t = self.t
        for rx, reason, sug in (
            (_WRITE, "데이터를 바꾸거나 지우는 요청은 할 수 없습니다. 조회만 할 수 있습니다.", SUGGEST),
            (_NOT_RECORDED, "나이·성별·지역·날씨 같은 정보는 기록하지 않아 답할 수 없습니다. 쇼핑몰 안의 행동(조회, 장바구니, 구매, 검색 등)으로 물어 주세요.", SUGGEST),
            (_PREDICT, "앞으로의 행동을 예측하는 질문에는 답할 수 없습니다. 지금까지 기록된 행동으로 물어 주세요.",
             "예: '최근 14일 동안 장바구니에 담았지만 구매하지 않은 사람'"),
            (_VAGUE, "'잘 팔리는/인기' 같은 표현은 기준이 정해지지 않았습니다. 조회 수, 주문 수, 매출 중 하나로 물어 주세요.",
             "예: '지난주 주문이 가장 많은 상품 5개', '최근 7일 가장 많이 본 상품 10개'"),
            (_COMPARE, "기간이나 대상을 비교하는 질문은 아직 한 번에 답하지 못합니다. 각각 따로 물어 주세요.",
             "예: '지난주 일별 주문 수'와 '이번 주 일별 주문 수'를 따로 물어 보세요"),
            (_OUT_OF_SCOPE, "재고·원가·배송·쿠폰 같은 정보는 행동 데이터에 없어 답할 수 없습니다.", SUGGEST),
        ):
            m = rx.search(t)
            if m:
                raise _Unclear(f"{reason} (‘{m.group(0).strip()}’)", sug)

        windows, errors = find_window(t, self.today)
        if errors:
            raise _Unclear(errors[0] + ". 날짜를 확인해 주세요.")
        if len({w for w, _ in windows}) > 1:
            raise _Unclear("기간이 두 개 이상 들어 있습니다. 한 번에 한 기간만 물어 주세요.",
                           "예: '2025-08-01~2025-08-08 상품 3을 조회한 사람'")
        window = windows[0][0] if windows else ir.Window()
        for _, span in windows:
            self.use(*span)

        self.take(re.compile(r"한\s*번에|한꺼번에|한\s*주문에|\bat\s+once\b|\bin\s+(?:a\s+)?single\s+order\b|\bin\s+one\s+order\b"))
        within = self.take_within()
        group_by = self.group_by = self.take_groups()
        top = self.take_top()
        ratio = self.take(_RATIO)
        funnel_word = self.take(_FUNNEL)
        among = self.peek(_AMONG)
        orders_word = self.take(_ORDERS)
        people = self.take(_COUNT_OF_PEOPLE)
        times = self.take(_COUNT_OF_EVENTS)
        self.literals = self.take_literals()
        mentions = self.take_events()
        if orders_word is not None and not any(m.event == "order_complete" for m in mentions):
            # "상품 7 주문 수": the ids before 주문 수 belong to the orders counted
            mentions.append(Mention("order_complete", orders_word.span()))
            mentions.sort(key=lambda m: m.span)
        for m in mentions:  # "조회수", "회원가입 수": the event word carries the count-of-events marker
            if m.event in ("revenue", "aov"):
                continue
            word = self.t[m.span[0]:m.span[1]]
            if re.search(r"(?:수|횟수|건수)$", word):
                times = times or True
            x = re.compile(r"\s*(?:수|횟수|건수)(?![가-힣])").match(self.t, m.span[1])
            if x and self.free(*x.span()):
                self.use(*x.span())
                if re.search(r"자$", word):  # "구독자 수", "구매자 수": people, not events
                    people = people or x
                else:
                    times = times or True
        self.attach(mentions)
        seen, unique = set(), []
        for m in mentions:  # "캠페인으로 들어온 방문자": two words for the same visit
            key = (m.event, repr(sorted(m.filters.items())), repr(m.count), m.negated)
            if key not in seen or m.event in ("revenue", "aov"):
                seen.add(key)
                unique.append(m)
        mentions = unique
        amount_metrics = [m for m in mentions if m.event in ("revenue", "aov")]
        self.metric_filters = dict(amount_metrics[0].filters) if amount_metrics else {}
        events = [m for m in mentions if m.event not in ("revenue", "aov")]
        seq = self.take(_SEQ)
        if top is not None:
            top["dim"] = self.dimension(top, events)
        audience_word = self.take(_AUDIENCE) or next(
            (m for m in mentions if m.event == "visit" and re.match(r"방문자|visitors", self.t[m.span[0]:m.span[1]])), None)
        self.check_leftovers()

        if len(amount_metrics) > 1:
            raise _Unclear("매출과 객단가를 한 번에 물었습니다. 하나씩 물어 주세요.")
        metric = amount_metrics[0].event if amount_metrics else None
        if metric is None and orders_word is not None:
            metric = "orders"

        # ---- the shape of the answer ----
        if funnel_word is not None and len(events) >= 2 and not ratio or (funnel_word is not None and ratio and len(events) >= 3):
            return self.funnel(window, events, within)
        if ratio is None and people is not None and among is not None and re.match(r"중", among.group(0)) \
                and any(m.span[0] > among.start() for m in events) and any(m.span[0] < among.start() for m in events):
            ratio = among  # "상품 3을 본 사람 중 몇 명이 구매했어": the share answers it, with both counts
        if ratio is not None:
            return self.ratio(window, events, among)
        if top is not None or group_by:
            return self.breakdown(window, events, metric, group_by, top, people, times)
        if metric is not None:
            return self.measure(window, events, metric, [])
        if people is not None:
            return self.count_visitors(window, events, seq, within)
        if times is not None:
            return self.count_events(window, events, [])
        if audience_word is not None or any(m.count or m.negated for m in events):
            if not events:
                raise _Unclear("어떤 행동을 한 사람인지 알 수 없습니다.")
            return ir.Query(kind="A", window=window, audience=self.tree(events, seq, within))
        if not events:
            raise _Unclear("질문에서 쇼핑몰 행동(조회, 장바구니, 구매, 검색 등)을 찾지 못했습니다.")
        raise _Unclear("사람 목록을 원하는지, 숫자(몇 명, 몇 번, 비율)를 원하는지 알 수 없습니다.",
                       "예: '... 한 사람 목록' 또는 '... 한 사람은 몇 명'처럼 물어 주세요")

    # --- small helpers -------------------------------------------------------------------------
    def take(self, rx: re.Pattern):
        first = None
        for m in self.finditer_free(rx):
            self.use(*m.span())
            first = first or m
        return first

    def peek(self, rx: re.Pattern):
        return next(self.finditer_free(rx), None)

    def take_within(self) -> ir.Duration | None:
        m = next(self.finditer_free(_WITHIN), None)
        if not m:
            return None
        self.use(*m.span())
        if m[1]:
            return ir.Duration(value=int(m[1]), unit={"분": "minute", "시간": "hour", "일": "day"}[m[2]])
        n = 1 if m[3] in ("a", "an", "one") else int(m[3])
        return ir.Duration(value=n, unit="minute" if m[4].startswith("min") else "hour" if m[4].startswith("hour") else "day")

    def take_groups(self) -> list[str]:
        out = []
        for rx, g in _GROUP_WORDS:
            m = next(self.finditer_free(rx), None)
            if m:
                self.use(*m.span())
                if g not in out:
                    out.append(g)
        if len(out) > 2:
            raise _Unclear("한 번에 두 가지 기준까지만 나누어 볼 수 있습니다.")
        return out

    def take_top(self):
        m = next(self.finditer_free(_TOP), None)
        if not m:
            return None
        for x in list(self.finditer_free(_TOP)):
            self.use(*x.span())
        low = any(w in m.group(0) for w in ("적", "낮", "하위", "bottom", "least", "lowest"))
        n = next((g for g in m.groups()[1:] if g and g.isdigit()), None)
        if n is None:
            nm = next(self.finditer_free(_TOP_N), None)
            if nm:
                n = nm[1] or nm[2]
                self.use(nm.start(), nm.start() + len(n) + (1 if nm[1] else 0) + (0 if nm[1] is None else len(nm.group(0)) - len(n) - 1))
        return {"n": int(n) if n else 10, "order": "asc" if low else "desc", "span": m.span()}

    def take_literals(self) -> list[tuple[str, str, int]]:
        """Quoted values and "X가 들어간 검색어" first: a quoted '장바구니' is a keyword, not an event."""
        out = []
        for rx, key in ((_CONTAINS, "keyword_contains"), (_QUOTED, "quoted"), (_TRACKING, "tracking")):
            for x in self.finditer_free(rx):
                g = 1 if x.group(1) else 2
                out.append((key, x.group(g).strip(), x.start()))
                self.use(*x.span(g))
        out.sort(key=lambda o: o[2])
        self.context: dict = {}
        for rx, device in _DEVICE:
            x = next(self.finditer_free(rx), None)
            if x:
                self.context.setdefault("device_type", []).append(device)
                self.use(*x.span())
        for rx, source in _SOURCE:
            x = next(self.finditer_free(rx), None)
            if x:
                self.context.setdefault("utm_source", []).append(source)
                self.use(*x.span())
        x = next(self.finditer_free(_UTM_CAMPAIGN), None)
        if x:
            self.context["utm_campaign"] = [x.group(1) or x.group(2)]
            self.use(*x.span())
        return out

    def take_events(self) -> list[Mention]:
        found: list[Mention] = []
        for rx, ev in _EVENT_RX:
            for m in self.finditer_free(rx):
                if not _word_ok(self.t, *m.span()):
                    continue
                self.use(*m.span())
                found.append(Mention(ev, m.span()))
        found.sort(key=lambda x: x.span)
        # "리뷰를 두 번 이상 쓴": a writing verb only means a review when a review was named
        if any(m.event == "review_write" for m in found):
            for m in found:
                if m.event == "review_verb":
                    m.event = "review_write"
        else:
            for m in [m for m in found if m.event == "review_verb"]:
                found.remove(m)
                self.used[m.span[0]:m.span[1]] = [False] * (m.span[1] - m.span[0])
        # "장바구니에 ... 담은": two words of one action are one mention
        merged: list[Mention] = []
        for m in found:
            if merged and merged[-1].event == m.event and m.event != "view" and self.gap_is_small(merged[-1].span[1], m.span[0]):
                gap = (merged[-1].span[1], m.span[0])
                neg = re.compile(r"(?<![가-힣])안(?=\s)|\bnot\b|\bnever\b|n't\b").search(self.t, *gap)
                if neg:  # "장바구니에는 안 담은"
                    merged[-1].negated = True
                    self.use(*neg.span())
                merged[-1].span = (merged[-1].span[0], m.span[1])
            else:
                merged.append(m)
        return merged

    def gap_is_small(self, a: int, b: int) -> bool:
        if b - a > 18:
            return False
        gap = re.sub(r"(상품|제품|products?|items?)\s*\d+", " ", self.t[a:b])
        return all(w in _FILLER or w in ("it", "them", "에는", "에다", "에다가") for w in re.findall(r"[가-힣a-z]{2,}", gap))

    # --- per-mention details -------------------------------------------------------------------
    def attach(self, mentions: list[Mention]) -> None:
        korean = bool(re.search(r"[가-힣]", self.t))
        bounds = [m.span for m in mentions]
        for i, m in enumerate(mentions):
            prev_end = bounds[i - 1][1] if i else 0
            next_start = bounds[i + 1][0] if i + 1 < len(bounds) else len(self.t)
            pre = (prev_end, m.span[0])
            post = (m.span[1], next_start)
            # Korean puts objects and counts before the verb, English after; look both ways,
            # the language's own side first.
            # ...but never across another verb: "카테고리 2를 본 뒤 상품 5를 본" has two objects.
            last, first = i + 1 == len(mentions), i == 0
            regions = ([pre] + ([post] if last else [])) if korean else ([post] + ([pre] if first else []))
            regions.append(m.span)
            self.negation(m, pre, post)
            for region in regions:
                self.entities(m, region)
            for region in regions[:1]:
                self.bare_object(m, region)
            for region in regions:
                if m.count is None:
                    m.count = self.counts(region)
            if m.event == "view":
                self.resolve_view(m, pre, post)
            if not m.negated:  # "모바일에서 구매한", "인스타그램으로 들어와서 본": the visit's context
                for k, v in self.context.items():
                    m.filters.setdefault(k, v)
        # an id named once, before several verbs ("상품 3을 보고 담은") belongs to the first only;
        # nothing more to do: entities are consumed as they are read.

    def negation(self, m: Mention, pre, post) -> None:
        a, b = post
        nm = _NEG_AFTER.match(self.t, a, b)
        if nm and nm.end() > nm.start() and self.free(*nm.span()):
            self.use(*nm.span())
            m.negated = True
        pre_text = self.t[pre[0]:pre[1]]
        for rx in (_NEVER,):
            for x in rx.finditer(pre_text):
                s = (pre[0] + x.start(), pre[0] + x.end())
                if self.free(*s):
                    self.use(*s)
                    m.negated = True
        bm = _NEG_BEFORE.search(self.t, pre[0], pre[1])
        if bm and self.free(*bm.span()):
            self.use(*bm.span())
            m.negated = True
        if m.negated:  # "한 번도 안 본": never; the trailing 안/않 is part of the same negation
            for rx in (_NEG_AFTER,):
                x = rx.match(self.t, a, b)
                if x and self.free(*x.span()):
                    self.use(*x.span())

    def entities(self, m: Mention, region) -> None:
        a, b = region
        for name, rx in _ENTITIES:
            if name in m.filters:
                continue
            for x in self.finditer_free(rx, a, b):
                ids = next(g for g in x.groups() if g)
                m.filters[name] = re.findall(r"\d+", ids)
                self.use(*x.span())
                m.obj_span = m.obj_span or x.span()
                break
        wanted = {"search": ("quoted", "keyword_contains"), "message_click": ("quoted", "tracking")}.get(m.event, ())
        lit = next((x for x in self.literals if x[0] in wanted), None)
        if lit and not {"keyword", "keyword_contains", "tracking_id"} & set(m.filters):
            self.literals.remove(lit)
            key, val, _ = lit
            if m.event == "message_click":
                m.filters["tracking_id"] = [val]
            elif key == "keyword_contains":
                m.filters["keyword_contains"] = val
            else:
                m.filters["keyword"] = [val]
        if m.event == "search" and "keyword" not in m.filters and "keyword_contains" not in m.filters:
            if True:
                x = next(self.finditer_free(_KEYWORD_BEFORE, a, m.span[0] + 2), None) if region[1] <= m.span[0] or region == m.span else None
                if x and x.end() <= m.span[0] and x[1] not in _FILLER and not re.fullmatch(r"\d+", x[1]) and not _is_event_word(x[1]):
                    m.filters["keyword"] = [x[1]]
                    self.use(x.start(), x.end())
                else:
                    x = _KEYWORD_AFTER_EN.match(self.t, m.span[0])
                    if x and x[1] not in _FILLER and not x[1].isdigit() and not _NOT_KEYWORD.fullmatch(x[1]):
                        m.filters["keyword"] = [x[1]]
                        self.use(*x.span())
        if m.event in ("order_complete", "checkout_start", "order_cancel", "revenue", "aov") and not {"amount", "order_total"} & set(m.filters):
            x = next(self.finditer_free(_AMOUNT, a, b), None)
            if x:
                # "10만원 이상 구매한": the order's total, not one line of it
                m.filters["order_total" if m.event == "order_complete" else "amount"] = _amount(x)
                self.use(*x.span())

    def bare_object(self, m: Mention, region) -> None:
        """'장바구니에서 상품을 뺀': a plain 상품 adds nothing to an event that is about products."""
        if m.event in ("cart_add", "cart_remove", "wishlist_add", "order_complete", "review_write"):
            x = next(self.finditer_free(re.compile(r"(?:상품|제품|products?|items?|something|anything)(?!\s*\d)"), *region), None)
            if x and _word_ok(self.t, *x.span()):
                self.use(*x.span())

    def counts(self, region) -> ir.Count | None:
        a, b = region
        for rx, how in _COUNT_KO:
            for x in self.finditer_free(rx, a, b):
                if not _word_ok(self.t, *x.span()):
                    continue
                c = _count(x, how)
                if c is None:
                    continue
                self.use(*x.span())
                return c
        return None

    def resolve_view(self, m: Mention, pre, post) -> None:
        if "product_id" in m.filters:
            m.event = "product_view"
        elif "category_id" in m.filters:
            m.event = "category_view"
        elif "board_id" in m.filters or "article_id" in m.filters:
            m.event = "board_view"
        if m.event != "view":
            for rx, ev in _OBJECTS:  # "4번 게시판 글을 본": the noun after the id is the same object
                if ev == m.event:
                    x = next(self.finditer_free(rx, max(pre[0], m.span[0] - 8), m.span[0]), None)
                    if x:
                        self.use(*x.span())
            return
        # the object: before the verb (상품을 본) or the head noun right after it (본 상품)
        a, b = m.span
        visit = bool(re.match(r"방문|접속|들어|유입|visit|landed|came", self.t[a:b]))
        near = [(max(pre[0], a - 16), a)]
        if not visit:  # "메인 방문자" names its page before; after 방문자 comes another clause
            near.append((b, min(post[1], b + 20)))
        for lo, hi in near:
            for rx, ev in _OBJECTS:
                x = next(self.finditer_free(rx, lo, hi), None)
                if x and _word_ok(self.t, *x.span()):
                    m.event = ev
                    m.obj_span = x.span()
                    self.use(*x.span())
                    return
        if visit:
            m.event = "visit"
            return
        for g, ev in (("product", "product_view"), ("category", "category_view")):
            if g in self.group_by:  # "카테고리별 조회수"
                m.event = ev
                return
        # the verb's object named elsewhere in the question (English: "views of product pages")
        raise _Unclear("무엇을 조회했는지(상품, 메인 페이지, 카테고리 등) 알 수 없습니다.",
                       "예: '상품 3을 조회한 사람', '메인 페이지를 본 방문자 비율'")

    def check_leftovers(self) -> None:
        rest = "".join(c if not u else " " for c, u in zip(self.t, self.used))
        for tok in re.findall(r"[가-힣a-z0-9%#]+", rest):
            if tok in _FILLER:
                continue
            stem = _PARTICLES.sub("", tok)
            if not stem or stem in _FILLER:
                continue
            if re.fullmatch(r"(했|하|한|해|된|되|인|있|없|였|어|아|주|드|고|서|며|면|지|게|적)+\w{0,3}", stem) and len(stem) <= 4:
                continue  # verb endings like 했던, 하는지, 됐나요
            raise _Unclear(f"‘{tok}’ 부분을 이해하지 못했습니다. 기록된 행동과 기간으로 다시 물어 주세요.")

    # --- building the IR -----------------------------------------------------------------------
    def condition(self, m: Mention) -> ir.EventCondition:
        if m.event == "visit":  # "5번 이상 방문": visits are sessions; "모바일 방문자": any action
            return ir.EventCondition(event="session_start" if m.count else ir.ANY_EVENT,
                                     filters=ir.EventFilters(**m.filters), count=m.count or ir.Count())
        return ir.EventCondition(event=m.event, filters=ir.EventFilters(**m.filters),
                                 count=m.count or ir.Count())

    def step(self, m: Mention) -> ir.EventStep:
        if m.count is not None or m.negated:
            raise _Unclear("단계마다 횟수나 부정을 붙인 퍼널은 지원하지 않습니다.")
        return ir.EventStep(event=ir.ANY_EVENT if m.event == "visit" else m.event,
                            filters=ir.EventFilters(**m.filters))

    def tree(self, events: list[Mention], seq, within):
        items = [m for m in events if not (m.event == "visit" and not m.negated and len(events) > 1)]
        if not items:
            items = events
        # "구매 금액 10만원 이상인 주문을 한": two words for one purchase; the bare one adds nothing
        items = [m for m in items if not (not m.negated and m.count is None and not m.filters and any(
            o is not m and o.event == m.event and not o.negated for o in items))] or items[:1]
        if (seq is not None or within is not None) and len(items) >= 2 and not any(m.negated for m in items):
            return ir.SequenceCondition(steps=[self.step(m) for m in items], within=within)
        if within is not None:
            raise _Unclear("'~이내'는 두 행동 사이의 시간에만 쓸 수 있습니다.")
        nodes = [ir.Not(item=self.condition(m)) if m.negated else self.condition(m) for m in items]
        if len(nodes) == 1:
            return nodes[0]
        if all(isinstance(n, ir.Not) for n in nodes) and len(nodes) > 1:
            return ir.Group(op="and", items=nodes)
        return ir.Group(op="and", items=nodes)

    def single_step(self, events: list[Mention]) -> tuple[ir.EventStep | None, list[Mention]]:
        """The one event a count measures, and the rest (which narrow the population)."""
        plain = [m for m in events if not m.negated and m.count is None and m.event != "visit"]
        if not plain:
            return None, events
        target = plain[-1]
        return ir.EventStep(event=target.event, filters=ir.EventFilters(**target.filters)), [m for m in events if m is not target]

    def population(self, rest: list[Mention]):
        rest = [m for m in rest if not (m.event == "visit" and not m.negated)]
        return self.tree(rest, None, None) if rest else None

    def count_visitors(self, window, events, seq, within) -> ir.Query:
        if len(events) > 1:  # "상품 페이지를 본 방문자 수": 방문자 only names who is counted
            events = [m for m in events if not (m.event == "visit" and not m.filters and not m.count and not m.negated)] or events[:1]
        if len(events) == 1 and not events[0].negated and events[0].count is None:
            m = events[0]
            step = None if m.event == "visit" and not m.filters else ir.EventStep(
                event=ir.ANY_EVENT if m.event == "visit" else m.event, filters=ir.EventFilters(**m.filters))
            return ir.Query(kind="B", window=window, aggregate=ir.Aggregate(metric="visitors", event=step))
        pop = self.tree(events, seq, within) if events else None
        return ir.Query(kind="B", window=window, audience=pop, aggregate=ir.Aggregate(metric="visitors"))

    def count_events(self, window, events, group_by) -> ir.Query:
        step, rest = self.single_step(events)
        if step is None and events:
            raise _Unclear("무엇의 횟수를 셀지 알 수 없습니다.")
        # an order is one event per line: "결제 건수" counts orders
        metric = "orders" if step is not None and step.event == "order_complete" else "events"
        return ir.Query(kind="B", window=window, audience=self.population(rest),
                        aggregate=ir.Aggregate(metric=metric, event=step if metric == "events" or not step.filters.is_empty() else None,
                                               group_by=group_by))

    def measure(self, window, events, metric, group_by, top=None) -> ir.Query:
        orders = [m for m in events if m.event == "order_complete" and not m.negated and m.count is None]
        rest = [m for m in events if m not in orders[-1:]]
        flt = dict(orders[-1].filters) if orders else {}
        flt.update(self.metric_filters)  # "상품 3 매출": the id sits on the metric word itself
        step = ir.EventStep(event="order_complete", filters=ir.EventFilters(**flt)) if flt else None
        agg = dict(metric=metric, event=step, group_by=group_by)
        if top:
            agg.update(top_n=top["n"], order=top["order"])
        return ir.Query(kind="B", window=window, audience=self.population(rest), aggregate=ir.Aggregate(**agg))

    def ratio(self, window, events, among) -> ir.Query:
        evs = [m for m in events if m.event != "visit"]
        if not evs:
            raise _Unclear("무엇의 비율인지(어떤 행동을 한 사람의 비율인지) 알 수 없습니다.",
                           "예: '어제 방문자 중 메인 페이지를 본 비율'")
        den_node = None
        if len(evs) >= 2:
            # "A 중 B 비율" / "of those who A, % B": the side of 중/among is the base
            if among is not None and re.search(r"[a-z]", among.group(0)):
                den = [m for m in evs if m.span[0] > among.start()]
                num = [m for m in evs if m.span[0] < among.start()]
                if not num or not den:
                    num, den = evs[-1:], evs[:-1]
            else:
                den = [m for m in evs if among is not None and m.span[0] < among.start()] or evs[:-1]
                num = [m for m in evs if m not in den]
            den_node = self.tree(den, None, None)
            num_node = self.tree(num, None, None)
        else:
            num_node = self.tree(evs, None, None)
        return ir.Query(kind="B", window=window, aggregate=ir.Aggregate(
            metric="ratio", numerator=num_node, denominator=den_node))

    def funnel(self, window, events, within) -> ir.Query:
        steps = [self.step(m) for m in events if m.event != "visit"]
        if len(steps) < 2:
            raise _Unclear("퍼널에는 두 단계 이상이 필요합니다.", "예: '상품 조회 -> 장바구니 -> 구매 퍼널'")
        return ir.Query(kind="B", window=window, aggregate=ir.Aggregate(metric="funnel", steps=steps, within=within))

    def breakdown(self, window, events, metric, group_by, top, people, times) -> ir.Query:
        group_by = list(group_by)
        if top is not None and not any(g not in ("hour", "day", "week") for g in group_by):
            dim = top["dim"]
            if dim not in group_by:
                group_by.insert(0, dim)
        if metric in ("revenue", "aov", "orders"):
            return self.measure(window, events, metric, group_by, top)
        step, rest = self.single_step(events)
        if people is not None or (step is None and events and all(m.event == "visit" for m in events)):
            agg_metric = "visitors"
        else:
            agg_metric = "events"
        if step is None and agg_metric == "events" and (events or top is not None):
            raise _Unclear("무엇을 셀지(조회, 구매, 검색 등) 알 수 없습니다.", "예: '지난주 가장 많이 본 카테고리 5개'")
        if step is not None and step.event == "order_complete" and people is None:
            # "가장 많이 팔린 상품", "daily orders": orders are distinct order ids
            agg_metric = "orders"
        agg = dict(metric=agg_metric, event=step, group_by=group_by)
        if top is not None:
            agg.update(top_n=top["n"], order=top["order"])
        return ir.Query(kind="B", window=window, audience=self.population(rest), aggregate=ir.Aggregate(**agg))

    def dimension(self, top, events) -> str:
        for rx, dim in _DIM_NOUN:  # the noun the ranking is about comes after 가장/top
            x = rx.search(self.t, top["span"][0])
            if x and _word_ok(self.t, *x.span()):
                self.use(*x.span())
                return dim
        for rx, dim in _DIM_NOUN:
            x = rx.search(self.t)
            if x and _word_ok(self.t, *x.span()):
                self.use(*x.span())
                return dim
        if any(m.event == "search" for m in events):
            return "keyword"
        raise _Unclear("무엇의 순위를 원하는지(상품, 카테고리, 검색어) 알 수 없습니다.",
                       "예: '지난주 가장 많이 본 상품 5개'")


def _word_ok(t: str, a: int, b: int) -> bool:
    """Latin matches must be whole words; Korean ones are fine inside words."""
    if t[a].isascii() and t[a].isalpha() and a > 0 and t[a - 1].isascii() and t[a - 1].isalnum():
        return False
    if t[b - 1].isascii() and t[b - 1].isalnum() and b < len(t) and t[b].isascii() and t[b].isalnum():
        return False
    return True


def _is_event_word(w: str) -> bool:
    return any(rx.fullmatch(w) for rx, _ in _EVENT_RX) or any(rx.fullmatch(w) for rx, _ in _OBJECTS)


def _amount(x: re.Match) -> ir.Range:
    if x[1]:
        v = float(x[1].replace(",", "")) * {"만": 10_000, "천": 1_000, None: 1}[x[2]]
        op = x[3]
    elif x[5]:
        v = float(x[5].replace(",", "")) * (1000 if x[6] else 1)
        op = x[4]
    else:  # an English amount needs its currency: "at least 3 times" is a count
        v = float(x[8].replace(",", "")) * (1000 if x[9] else 1)
        op = x[7]
    v = int(v)
    if op in ("이상", "at least"):
        return ir.Range(gte=v)
    if op in ("넘게", "초과", "넘는", "넘은", "over", "more than", "above") or "많이" in op:
        return ir.Range(gte=v + 1)
    if op in ("이하", "at most"):
        return ir.Range(lte=v)
    return ir.Range(lte=max(v - 1, 0))


def _count(x: re.Match, how: str) -> ir.Count | None:
    if how == "many":
        return ir.Count(op=">=", value=2)
    if how == "between":
        lo, hi = to_int(x[1]), to_int(x[2])
        if lo > hi:
            raise _Unclear(f"횟수 범위가 거꾸로입니다({lo}~{hi}).")
        return ir.Count(op="between", value=lo, value2=hi)
    if how == "op":
        n = to_int(x[1])
        suffix = x.group(0)
        if n <= 0:
            raise _Unclear("0회 조건은 '한 번도 ... 하지 않은'으로 물어 주세요.")
        if re.search(r"이상$", suffix):
            return ir.Count(op=">=", value=n)
        if re.search(r"(넘게|초과)$", suffix):
            return ir.Count(op=">=", value=n + 1)
        if re.search(r"(이하|까지)$", suffix):
            return ir.Count(op="<=", value=n)
        if re.search(r"미만$", suffix):
            if n <= 1:
                raise _Unclear("'1회 미만'은 '한 번도 ... 하지 않은'으로 물어 주세요.")
            return ir.Count(op="<=", value=n - 1)
        return ir.Count(op="=", value=n)
    # English
    qual, num, tail = x[1], x[2], x[3]
    if num == "once":
        n = 1
    elif num == "twice":
        n = 2
    elif num == "thrice":
        n = 3
    else:
        n = to_int(re.sub(r"\s*(times|x|\+)$", "", num))
    if n <= 0:
        raise _Unclear("0회 조건은 'never ...'(한 번도 하지 않은)로 물어 주세요.")
    tail = (tail or "").strip()
    if num.endswith("+") or tail in ("+", "or more") or qual == "at least":
        return ir.Count(op=">=", value=n)
    if qual in ("more than", "over"):
        return ir.Count(op=">=", value=n + 1)
    if qual in ("at most", "no more than") or tail in ("or fewer", "or less"):
        return ir.Count(op="<=", value=n)
    if qual in ("fewer than", "less than"):
        if n <= 1:
            raise _Unclear("'fewer than once' is 'never': 한 번도 하지 않은 사람으로 물어 주세요.")
        return ir.Count(op="<=", value=n - 1)
    return ir.Count(op="=", value=n)


class OfflineEngine:
    """The rule parser as an Engine (see pipeline.Engine): no network, no key, never guesses."""
    name = "offline"

    def to_query(self, question: str, *, today: date, timezone: str = "Asia/Seoul", context: dict | None = None) -> ir.Query:
        return parse(question, today=today)
