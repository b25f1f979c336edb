"""Director's dashboard and report runs. Direction only (least privilege: the figures mix
every app's activity, billing included)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from centre.forms import add_refusal
from centre.perms import acting_user, role_required
from centre.refusals import Refusal
from centre.reports import selectors
from centre.reports.dashboard import dashboard_context
from centre.reports.errors import LinkExpired, ReportError
from centre.reports.forms import PeriodForm, ReportRequestForm
from centre.reports.models import ReportRun
from centre.reports.presentation import present
from centre.reports.services import downloads, runs
from centre.reports.templates import TEMPLATES
from centre.roles import Role


def _period_form(request: HttpRequest) -> PeriodForm:
    default = runs.default_period()
    data = request.GET if "start" in request.GET else {"start": default.start, "end": default.end}
    return PeriodForm(data)


@role_required(Role.DIRECTION)
def dashboard(request: HttpRequest) -> HttpResponse:
    form = _period_form(request)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        site = form.cleaned_data["site"]
        context.update(dashboard_context(form.period, [site] if site else None))
        context["site"] = site
    return render(request, "centre/reports/dashboard.html", context)


@role_required(Role.DIRECTION)
def figure_rows(request: HttpRequest, key: str) -> HttpResponse:
    """The list behind one number of the dashboard (same period, site and category)."""
    form = _period_form(request)
    if not form.is_valid():
        return render(request, "centre/reports/figure_rows.html", {"form": form}, status=400)
    category = request.GET.get("categorie") or None
    try:
        found = selectors.figure_rows(
            by=acting_user(request),
            key=key,
            period=form.period,
            site=form.cleaned_data["site"],
            category=category,
        )
    except Refusal as error:
        if error.kind == "not_found":
            raise Http404(str(error)) from error
        raise PermissionDenied(str(error)) from error
    rows = [
        {
            "pk": r.pk,
            "link": found.kind.link(r) if found.kind.link else "",
            "cells": [(c.value(r), c.numeric) for c in found.kind.columns],
        }
        for r in found.rows
    ]
    return render(
        request,
        "centre/reports/figure_rows.html",
        {"form": form, "found": found, "rows": rows, "dashboard_query": request.GET.urlencode()},
    )


def _list(request: HttpRequest, form: ReportRequestForm, status: int = 200) -> HttpResponse:
    if getattr(request, "htmx", False):
        return render(request, "centre/reports/_request_form.html", {"form": form}, status=status)
    recent = ReportRun.objects.select_related("site", "requested_by").order_by(
        "-created_at", "-id"
    )[:50]
    return render(
        request,
        "centre/reports/report_list.html",
        {"form": form, "runs": recent, "templates": TEMPLATES},
        status=status,
    )


@role_required(Role.DIRECTION)
def report_list(request: HttpRequest) -> HttpResponse:
    """The request form proposes the chosen template's period (`?template=`: a link per
    template, or the HTMX request sent when the template is changed)."""
    key = request.GET.get("template", "")
    template = TEMPLATES.get(key) or next(iter(TEMPLATES.values()))
    default = runs.default_period(template=template)
    form = ReportRequestForm(
        initial={"template": template.key, "start": default.start, "end": default.end}
    )
    return _list(request, form)


@require_POST
@role_required(Role.DIRECTION)
def report_create(request: HttpRequest) -> HttpResponse:
    form = ReportRequestForm(request.POST)
    if form.is_valid():
        try:
            run = runs.report_request(
                by=acting_user(request),
                template=form.cleaned_data["template"],
                period=form.period,
                site=form.cleaned_data["site"],
            )
        except ReportError as error:
            add_refusal(form, error)
        else:
            # No « en préparation » message: the run's page says where it stands (it may be
            # ready already), and follows its progress.
            return redirect("reports:detail", pk=run.pk)
    return _list(request, form, status=400)


def _run_context(request: HttpRequest, run: ReportRun) -> dict[str, Any]:
    user = acting_user(request)
    links = {fmt: downloads.download_token(by=user, run=run, fmt=fmt) for fmt in run.files()}
    return {
        "run": run,
        "template": TEMPLATES.get(run.template),
        "links": links,
        "link_minutes": downloads.link_minutes(),
        "keep_days": runs.files_keep_days(),
    }


@role_required(Role.DIRECTION)
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(ReportRun.objects.select_related("site", "requested_by"), pk=pk)
    context = _run_context(request, run)
    context["figures"] = [present(f) for f in run.figures]
    return render(request, "centre/reports/report_detail.html", context)


@role_required(Role.DIRECTION)
def report_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """HTMX fragment polled every two seconds until the run is finished."""
    run = get_object_or_404(ReportRun.objects.select_related("site"), pk=pk)
    return render(request, "centre/reports/_progress.html", _run_context(request, run))


@role_required(Role.DIRECTION)
def report_download(request: HttpRequest, token: str) -> HttpResponse:
    try:
        path, fmt = downloads.report_download_by_link(by=acting_user(request), token=token)
    except LinkExpired as error:
        return render(
            request, "centre/reports/link_invalid.html", {"reason": str(error)}, status=410
        )
    except ReportError as error:
        return render(
            request, "centre/reports/link_invalid.html", {"reason": str(error)}, status=404
        )
    # Reports are a few hundred kilobytes: read at once, which keeps the view simple.
    response = HttpResponse(path.read_bytes(), content_type=downloads.FORMATS[fmt])
    response["Content-Disposition"] = content_disposition_header(True, path.name)
    response["Cache-Control"] = "private, no-store"
    return response
