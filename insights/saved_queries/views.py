"""The saved-question pages: the list and one question with its run history.

They render the saved data; running goes through the JSON API (static/js/ask*.js), so the pages
see exactly what API users see.
"""
from django.urls import reverse
from django.views.generic import TemplateView

from tenants.access import ClientViewMixin
from tenants.models import Role

from ..ask.views import api_urls, ui_text
from ..store import rows_read_known
from . import selectors


class SavedQueryListView(ClientViewMixin, TemplateView):
    template_name = "insights/saved_list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        items = list(selectors.saved_query_list(client=self.client))
        runs = selectors.runs_by_id(client=self.client, ids=[s.last_run_id for s in items])
        for s in items:
            s.last_run = runs.get(s.last_run_id)
        ctx.update(saved_queries=items, page_config={"urls": api_urls(self.client), "clientId": self.client.pk,
                                                     "text": ui_text()})
        return ctx


class SavedQueryDetailView(ClientViewMixin, TemplateView):
    template_name = "insights/saved_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        sq = selectors.saved_query_get(client=self.client, pk=self.kwargs["pk"])
        runs = list(selectors.query_run_list(client=self.client, saved_query=sq)[:50])
        cid = self.client.pk
        ctx.update(
            saved_query=sq, runs=runs, can_edit=self.membership.allows(Role.MARKETER),
            rows_read_known=rows_read_known(),
            page_config={
                "clientId": cid, "rowsReadKnown": rows_read_known(),
                "runUrl": reverse("insights:api-query-run", kwargs={"client_id": cid, "pk": sq.pk}),
                "runsUrl": reverse("insights:api-query-runs", kwargs={"client_id": cid, "pk": sq.pk}),
                "runDetailUrl": reverse("insights:api-run", kwargs={"client_id": cid, "pk": 0}),
                "detailUrl": reverse("insights:api-query", kwargs={"client_id": cid, "pk": sq.pk}),
                "listUrl": reverse("insights:saved", kwargs={"slug": self.client.slug}),
                "text": ui_text(),
            },
        )
        return ctx
