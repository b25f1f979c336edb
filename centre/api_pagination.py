"""The API's pagination (settings: DEFAULT_PAGINATION_CLASS). A module of its own: DRF
imports it while `rest_framework.generics` is still loading, so it may import nothing that
needs the generic views."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request


class Pagination(PageNumberPagination):
    """DRF's page-number pagination, except that `?page=` sent empty is refused like any page
    that is not a number (404, as documented) instead of being read as the first page."""

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and not raw.strip():
            raise exceptions.NotFound("Page non valide.")
        return super().get_page_number(request, paginator)
