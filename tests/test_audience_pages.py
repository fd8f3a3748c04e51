"""The 오디언스 pages render for each role: viewers get no save form, marketers do; a segment page
shows its size, entered / left and export links; English mode shows English filter labels."""
import json

import pytest

from insights.segments import services as segments
from tests.audience_support import CART_NO_ORDER, TODAY, shop_story

pytestmark = pytest.mark.django_db


def config(res, name):
    html = res.content.decode()
    start = html.index(f'id="{name}"')
    body = html[html.index(">", start) + 1:html.index("</script>", start)]
    return json.loads(body)


def test_builder_page_by_role(shop, marketer, viewer, login):
    res = login(viewer).get(f"/c/{shop.slug}/audiences/")
    assert res.status_code == 200
    html = res.content.decode()
    assert "세그먼트 저장은 마케터 이상만" in html and 'id="save-form"' not in html
    cfg = config(res, "audience-config")
    assert len(cfg["catalog"]) >= 30 and cfg["catalog"][0]["label"] == "상품 조회"
    res = login(marketer).get(f"/c/{shop.slug}/audiences/")
    assert 'id="save-form"' in res.content.decode()


def test_builder_in_english(shop, marketer, login):
    api = login(marketer)
    api.post("/i18n/setlang/", {"language": "en"})
    cfg = config(api.get(f"/c/{shop.slug}/audiences/"), "audience-config")
    assert cfg["catalog"][0]["label"] == "Viewed a product" and cfg["categories"]["behavior"] == "Behavior"


def test_segment_page_shows_size_changes_and_exports(shop, marketer, viewer, login):
    shop_story(shop)
    seg = segments.segment_create(client=shop, name="장바구니 이탈", rules=CART_NO_ORDER)
    segments.segment_refresh(segment_id=seg.pk, today=TODAY)
    html = login(marketer).get(f"/c/{shop.slug}/audiences/segments/{seg.pk}/").content.decode()
    assert 'data-testid="segment-size">3<' in html and "?as=csv" in html and 'data-testid="refresh"' in html
    html = login(viewer).get(f"/c/{shop.slug}/audiences/segments/{seg.pk}/").content.decode()
    assert 'data-testid="refresh"' not in html and "가려져 내보내집니다" in html
    listed = login(viewer).get(f"/c/{shop.slug}/audiences/").content.decode()
    assert "장바구니 이탈" in listed
