from __future__ import annotations

from django.db.models import Count, QuerySet

from centre.models import AuditEntry, Centre, User


def current_centre() -> Centre | None:
    """The installation's centre (one per installation)."""
    return Centre.objects.order_by("pk").first()


def staff_for_centre(centre: Centre) -> QuerySet[User]:
    return (
        User.objects.filter(profile__centre=centre)
        .select_related("profile")
        .prefetch_related("groups", "profile__sites")
        .order_by("-is_active", "last_name", "first_name")
    )


def staff_counts_by_role(centre: Centre) -> dict[str, int]:
    rows = (
        User.objects.filter(profile__centre=centre, is_active=True)
        .values("groups__name")
        .annotate(n=Count("pk"))
    )
    return {row["groups__name"]: row["n"] for row in rows if row["groups__name"]}


def recent_audit(limit: int = 50) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.select_related("actor").order_by("-at", "-id")[:limit]
