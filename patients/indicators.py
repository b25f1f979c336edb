"""Patient-record indicators for the reports (new records). Collected by
`centre.reports.indicators.registry()` under the keys ``patients.*``."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q
from django.utils import timezone

from centre.models import Site
from centre.reports.indicators import Breakdown, Indicator, Period, persons, site_ids
from patients.models import Patient


def new_records(period: Period, sites: list[Site] | None) -> Breakdown:
    tz = timezone.get_default_timezone()
    start = datetime.datetime.combine(period.start, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(
        period.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
    )
    qs = Patient.objects.filter(created_at__gte=start, created_at__lt=end, merged_into__isnull=True)
    ids = site_ids(sites)
    if ids is not None:
        qs = qs.filter(usual_site__in=ids)
    agg = qs.aggregate(
        total=Count("pk"), interpreter=Count("pk", filter=Q(interpreter_needed=True))
    )
    return Breakdown(agg["total"], {"avec besoin d'interprète": agg["interpreter"]})


INDICATORS = (
    Indicator(
        "patients.new_records",
        "Dossiers patients créés",
        "Dossiers administratifs ouverts dans la période (hors doublons fusionnés), rattachés "
        "au site habituel choisi ; dont personnes ayant besoin d'un·e interprète.",
        persons("dossiers"),
        new_records,
        population="dossiers administratifs ouverts dans la période",
    ),
)
