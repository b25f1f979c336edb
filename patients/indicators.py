"""Patient-record indicators for the reports (new records). Collected by
`centre.reports.indicators.registry()` under the keys ``patients.*``."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from centre.models import Site
from centre.reports.indicators import Breakdown, Indicator, Period, persons, site_ids
from patients.models import Patient


def _created(period: Period, sites: list[Site] | None) -> QuerySet[Patient]:
    tz = timezone.get_default_timezone()
    start = datetime.datetime.combine(period.start, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(
        period.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
    )
    qs = Patient.objects.filter(created_at__gte=start, created_at__lt=end, merged_into__isnull=True)
    ids = site_ids(sites)
    if ids is not None:
        qs = qs.filter(usual_site__in=ids)
    return qs


def new_records(period: Period, sites: list[Site] | None) -> Breakdown:
    agg = _created(period, sites).aggregate(
        total=Count("pk"), interpreter=Count("pk", filter=Q(interpreter_needed=True))
    )
    return Breakdown(agg["total"], {"avec besoin d'interprète": agg["interpreter"]})


def new_records_rows(
    period: Period, sites: list[Site] | None, category: str | None
) -> QuerySet[Patient] | None:
    if category is None:
        return _created(period, sites)
    if category == "avec besoin d'interprète":
        return _created(period, sites).filter(interpreter_needed=True)
    return None


INDICATORS = (
    Indicator(
        "patients.new_records",
        "Dossiers patients créés",
        "Dossiers administratifs ouverts dans la période (hors doublons fusionnés), rattachés "
        "au site habituel choisi ; dont personnes ayant besoin d'un·e interprète.",
        persons("dossiers"),
        new_records,
        rows=new_records_rows,
        population="dossiers administratifs ouverts dans la période",
    ),
)
