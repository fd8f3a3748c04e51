"""How plans/library/plans.jsonl was written: hand-written idea tables x industry vocabulary.

The .jsonl is the shipped data (read by plans.engine.library); this script documents how its
figures were set and regenerates it: ``python -m plans.library.build_library``. Figures are
"measured-like": each cell has a realistic range for a Cafe24 shop (participants, ROI % =
(revenue - cost) / cost), moved by purpose (awareness reaches more people at lower ROI, sales the
reverse) and industry (repeat-purchase categories return more), with a fixed seed per plan.
"""
from __future__ import annotations

import json
import random
import zlib
from pathlib import Path

BANDS = {"low": (250_000, 300_000), "medium": (1_500_000, 1_800_000), "high": (5_000_000, 6_000_000)}
PURPOSE_LABEL = {"acquisition": "신규 고객 유치", "revisit": "재방문 유도", "sales": "매출 증대",
                 "awareness": "인지도 향상"}

INDUSTRIES = {
    "fashion": dict(short="코디", label="패션", aliases="의류 옷 잡화 신발 가방 여성의류 남성의류", item="신상 아우터",
                    small="양말 3종 세트", mid="캔버스 에코백", big="시즌 아우터 1벌", fair="서울패션위크 부스",
                    klass="업사이클 가방 만들기", hook="#오늘의코디", venue="성수동", peak="봄 가을 환절기"),
    "beauty": dict(short="뷰티", label="뷰티", aliases="화장품 스킨케어 메이크업 코스메틱 향수", item="수분 크림",
                   small="미니 샘플 키트", mid="기초 3종 세트", big="풀 라인 기프트박스", fair="코스메틱 페어 부스",
                   klass="나만의 향수 만들기", hook="#피부챌린지", venue="홍대", peak="여름 연말"),
    "food": dict(short="먹거리", label="식품", aliases="먹거리 간식 농산물 건강식품 커피 디저트 밀키트", item="수제 그래놀라",
                 small="시식 간식 팩", mid="제철 과일 박스", big="한우 선물세트", fair="서울국제식품전 부스",
                 klass="수제청 만들기", hook="#오늘의간식", venue="망원시장", peak="명절 겨울"),
    "furniture": dict(short="리빙", label="가구·인테리어", aliases="가구 인테리어 리빙 홈데코 침구 조명", item="원목 수납장",
                      small="디퓨저 미니", mid="무드등", big="원목 사이드테이블", fair="서울리빙디자인페어 부스",
                      klass="우드 트레이 만들기", hook="#우리집자랑", venue="한남동", peak="봄 이사철 가을"),
    "electronics": dict(short="디지털", label="전자기기", aliases="가전 전자제품 디지털 IT 액세서리 음향 스마트기기", item="무선 이어폰",
                        small="고속 충전 케이블", mid="블루투스 스피커", big="태블릿 PC", fair="전자 박람회 부스",
                        klass="스마트홈 세팅 체험", hook="#데스크셋업", venue="용산", peak="블랙프라이데이 신학기"),
    "kids": dict(short="키즈", label="유아동", aliases="아동 유아 키즈 육아 장난감 아동복 출산", item="유아 내의",
                 small="아기 손수건 세트", mid="원목 블록 장난감", big="유아 카시트", fair="베이비페어 부스",
                 klass="부모 아이 쿠킹클래스", hook="#육아템", venue="판교", peak="어린이날 가정의달"),
    "pets": dict(short="펫", label="반려동물", aliases="펫 강아지 고양이 반려견 반려묘 사료 간식", item="반려견 수제 간식",
                 small="반려견 간식 샘플", mid="자동 급식기", big="펫 유모차", fair="펫페어 부스",
                 klass="반려견 간식 만들기", hook="#댕냥스타그램", venue="연남동", peak="상시 여름"),
    "sports": dict(short="스포츠", label="스포츠·아웃도어", aliases="운동 헬스 요가 캠핑 등산 골프 러닝 레저", item="러닝화",
                   small="스포츠 양말", mid="요가 매트", big="캠핑 체어 세트", fair="캠핑 박람회 부스",
                   klass="러닝 크루 체험", hook="#오운완", venue="한강공원", peak="봄 여름"),
    "books": dict(short="북", label="도서·문구", aliases="책 서점 문구 다이어리 교재 출판 취미", item="베스트셀러 신간",
                  small="북마크 세트", mid="가죽 다이어리", big="전자책 리더기", fair="서울국제도서전 부스",
                  klass="필사 클래스", hook="#북스타그램", venue="파주출판단지", peak="신학기 연말"),
}

# (purpose, title, prize slot or literal, participation, tags) per (budget, channel): six ideas
# each; every industry takes two of them (rotating), so the library has 12 plans per industry.
IDEAS = {
    ("low", "online"): [
        ("acquisition", "{item} 첫 구매 포토리뷰", "{small}", "첫 구매 후 포토 리뷰를 남기면 추첨으로 10명 증정", "상시"),
        ("awareness", "{hook} 해시태그 챌린지", "{small}", "공식 계정 팔로우 후 {hook} 인증 게시물 업로드", "SNS 상시"),
        ("revisit", "{short} 장바구니 리마인드 쿠폰", "3천원 할인쿠폰", "장바구니에 담고 미구매한 회원에게 웹푸시 쿠폰, 7일 안에 사용", "상시"),
        ("sales", "{short} 타임특가 알림 신청", "추가 5% 쿠폰", "특가 알림 신청 후 오픈 시간에 구매하면 추가 할인", "블랙프라이데이 세일페스타"),
        ("acquisition", "{short} 친구 초대 적립금", "적립금 3천원", "초대 링크로 가입한 친구와 초대한 회원 모두 적립", "상시"),
        ("revisit", "{short} 7일 출석체크", "적립금 최대 5천원", "7일 연속 출석 체크하면 적립금 지급", "연말 겨울"),
    ],
    ("low", "offline"): [
        ("awareness", "{venue} 플리마켓 샘플링", "{small}", "부스 방문 후 QR로 회원가입하면 샘플 증정", "봄 가을"),
        ("acquisition", "동네 제휴 매장 QR 쿠폰", "첫 구매 5천원 쿠폰", "제휴 카페·매장에 비치한 카드의 QR로 가입 후 첫 구매", "상시"),
        ("revisit", "{short} 택배 상자 손편지 쿠폰", "재구매 10% 쿠폰", "배송 상자에 동봉한 카드의 코드로 30일 안에 재구매", "상시"),
        ("sales", "{short} 명절 선물 포장 무료", "무료 선물 포장", "명절 주간 주문 시 선물 포장과 메시지 카드 선택", "명절 설날 추석"),
        ("awareness", "{venue} {short} 스탬프 투어", "{small}", "제휴 매장 3곳 스탬프를 모아 인증하면 증정", "봄 여름"),
        ("revisit", "배송 박스 리사이클 인증", "적립금 2천원", "받은 상자 재활용 인증 사진을 올리면 적립", "상시 가을"),
    ],
    ("medium", "online"): [
        ("sales", "{short} 시즌 기획전 쿠폰팩", "최대 2만원 쿠폰팩", "기획전에서 쿠폰팩을 내려받아 5만원 이상 구매", "블랙프라이데이 세일페스타 연말"),
        ("acquisition", "마이크로 인플루언서 체험단", "{mid}", "인플루언서 10명 체험 후기, 팔로워 전용 첫 구매 쿠폰", "SNS 상시"),
        ("revisit", "{short} 등급별 리워드 위크", "VIP 적립금 1만원", "최근 90일 구매 회원에게 등급별 쿠폰과 적립금 지급", "가정의달 연말"),
        ("awareness", "{item} 라이브커머스 방송", "{mid}", "라이브 방송 중 댓글 참여자 추첨, 방송 한정 쿠폰", "상시"),
        ("sales", "{item} 묶음 구매 사은품", "{mid}", "5만원 이상 구매 시 선착순 300명 사은품 증정", "가정의달 명절"),
        ("acquisition", "블로그 리뷰 체험단 모집", "{item} 체험", "블로그 체험단 30명 모집, 후기 링크로 신규 가입 쿠폰", "상시 봄"),
    ],
    ("medium", "offline"): [
        ("awareness", "{venue} 3일 팝업", "{mid}", "팝업 방문 후 카카오 채널 추가하면 추첨", "봄 가을"),
        ("acquisition", "{klass} 원데이 클래스", "클래스 키트", "온라인 사전 신청 후 참석, 현장 가입 시 첫 구매 쿠폰", "상시 겨울"),
        ("revisit", "{short} VIP 초청 신상 프리뷰", "신상 20% 쿠폰", "최근 1년 구매 상위 고객 초청, 현장 선주문 혜택", "가을 연말"),
        ("sales", "{short} 창고 개방 아울렛전", "현장 추가 10% 할인", "주말 이틀 물류창고 개방, 사전 예약자 추가 할인", "여름 세일페스타"),
        ("sales", "명절 선물세트 기업 제휴", "기업 단체 10% 할인", "제휴 기업 임직원 대상 선물세트 현장 상담·주문", "명절 설날 추석"),
        ("awareness", "지하철역 광고 QR 이벤트", "{small}", "역사 광고의 QR로 접속해 퀴즈 참여 후 추첨", "신학기 봄"),
    ],
    ("high", "online"): [
        ("awareness", "인플루언서 협업 한정판", "{big}", "협업 게시물 좋아요와 댓글로 응모, 한정판 선착순 판매", "SNS 상시"),
        ("sales", "블랙프라이데이 메가세일", "최대 50% + 사은품", "사전 알림 신청자 대상 3일간 전 상품 특가", "블랙프라이데이 세일페스타"),
        ("acquisition", "{short} 신규 회원 100원딜", "100원딜 {item}", "광고로 유입된 신규 회원 첫 구매 한 개 100원", "상시 신학기"),
        ("revisit", "{short} 유료 멤버십 론칭", "연회비 2배 페이백", "연회비 가입 시 적립금 페이백과 무료배송", "연말 겨울"),
        ("sales", "{short} 연말 감사제 라이브", "{big} 추첨", "매일 밤 라이브 특가, 구매 고객 대상 경품 추첨", "연말 크리스마스 겨울"),
        ("awareness", "유튜브 브랜디드 콘텐츠", "{mid}", "브랜드 영상 시청 후 퀴즈 정답자 추첨", "상시 여름"),
    ],
    ("high", "offline"): [
        ("awareness", "{venue} 브랜드 팝업스토어", "{big} 추첨", "2주간 팝업 방문, 포토존 인증과 현장 구매 혜택", "봄 가을"),
        ("sales", "{fair} 현장 특가", "현장 한정 사은품", "박람회 부스 방문 고객 현장 특가와 사은품", "가정의달 가을"),
        ("acquisition", "{short} 5개 도시 팝업 투어", "{mid}", "주말마다 도시를 옮겨 팝업, 현장 가입 시 쿠폰팩", "여름휴가 여름"),
        ("revisit", "{short} VIP 고객 초청 파티", "{big}", "구매 상위 200명 초청, 신상 공개와 경품 추첨", "연말 크리스마스"),
        ("sales", "{short} 명절 선물세트 직판전", "선물세트 추가 15%", "명절 전 2주 백화점 행사장 직판, 택배 예약", "명절 설날 추석"),
        ("awareness", "옥외광고 포토존 이벤트", "{mid}", "대형 옥외광고 앞 포토존 인증 게시물 추첨", "여름 상시"),
    ],
}

PARTICIPANTS = {("low", "online"): (120, 450), ("low", "offline"): (60, 250),
                ("medium", "online"): (500, 1800), ("medium", "offline"): (150, 600),
                ("high", "online"): (2000, 7000), ("high", "offline"): (600, 2500)}
ROI = {"low": (320, 600), "medium": (190, 360), "high": (100, 250)}
PURPOSE_ROI = {"sales": 1.12, "revisit": 1.05, "acquisition": 0.95, "awareness": 0.85}
PURPOSE_REACH = {"awareness": 1.25, "acquisition": 1.1, "revisit": 0.9, "sales": 0.85}
INDUSTRY_ROI = {"food": 1.08, "beauty": 1.06, "pets": 1.07, "kids": 1.0, "fashion": 1.0, "books": 0.92,
                "sports": 0.97, "electronics": 0.9, "furniture": 0.88}


def _fill(text: str, vocab: dict) -> str:
    return text.format(**vocab)


# What a shop from another industry (or one the library does not know) is offered instead of
# another industry's product names.
NEUTRAL = dict(short="", label="", aliases="", item="베스트 상품", small="소형 사은품", mid="인기 상품 세트",
               big="프리미엄 기프트", fair="박람회 부스", klass="브랜드 체험", hook="#브랜드챌린지",
               venue="성수동", peak="")


def _neutral(text: str) -> str:
    return " ".join(text.format(**NEUTRAL).split())


def build() -> list[dict]:
    plans = []
    for n, (ind, vocab) in enumerate(INDUSTRIES.items()):
        for (budget, channel), ideas in IDEAS.items():
            for pick in (n % 6, (n + 3) % 6):
                purpose, title, prize, participation, tags = ideas[pick]
                pid = f"lib-{ind}-{budget}-{channel}-{pick}"
                rnd = random.Random(zlib.crc32(pid.encode()))
                lo, hi = BANDS[budget]
                cost = rnd.randrange(lo, hi + 1, 10_000)
                plo, phi = PARTICIPANTS[(budget, channel)]
                participants = int(rnd.uniform(plo, phi) * PURPOSE_REACH[purpose] / 10) * 10
                rlo, rhi = ROI[budget]
                roi = rnd.uniform(rlo, rhi) * PURPOSE_ROI[purpose] * INDUSTRY_ROI[ind]
                if channel == "offline":
                    roi *= 0.92
                roi = int(max(rlo * 0.8, min(rhi * 1.1, roi)))
                t = _fill(title, vocab)
                if len(t) > 30:
                    raise ValueError(f"title too long: {t}")
                p = _fill(prize, vocab)
                if len(p) > 20:
                    raise ValueError(f"prize too long: {p}")
                plans.append({
                    "id": pid, "industry": ind, "industry_label": vocab["label"], "aliases": vocab["aliases"],
                    "purpose": purpose, "budget": budget, "channel": channel,
                    "title": t, "prize": p, "participation": _fill(participation, vocab),
                    "participants": participants, "cost": cost, "roi": roi,
                    "tags": f"{tags} {vocab['peak']}".split(),
                    # a title or prize naming the industry's products only fits that industry
                    "generic": "{" not in prize and "{" not in title,
                    "title_generic": _neutral(title), "prize_generic": _neutral(prize),
                    "participation_generic": _neutral(participation),
                })
    return plans


if __name__ == "__main__":
    out = Path(__file__).with_name("plans.jsonl")
    rows = build()
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} plans -> {out}")
