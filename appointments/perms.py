"""Who may do what with appointments (docs/roles.md, and the pages' table of
docs/appointments.md): reception books, moves, cancels and marks; practitioners see their
own agenda and mark their own appointments arrived/seen; direction reads everything; billing
reads appointments; mediation reads the types it may book. Reception and direction may force
a booking outside the booking rules with a reason (`FORCE`).
Reception and direction manage the consultation types (`MANAGE_TYPES`), as they manage the
opening schedules: both shape the agenda reception books from, and the director runs the
centre's organisation. Practitioners, billing and mediation only read them."""

from __future__ import annotations

from django.db.models import QuerySet

from appointments.models import Appointment, AppointmentQuerySet, ConsultationType
from centre.models import User
from centre.roles import Role

BOOK = (Role.ACCUEIL,)
READ_AGENDA = (Role.ACCUEIL, Role.SOIGNANT, Role.DIRECTION)
READ_APPOINTMENTS = (Role.ACCUEIL, Role.SOIGNANT, Role.DIRECTION, Role.FACTURATION)
READ_TYPES = (Role.ACCUEIL, Role.SOIGNANT, Role.DIRECTION, Role.FACTURATION, Role.MEDIATION)
MARK = (Role.ACCUEIL, Role.SOIGNANT)
MANAGE_TYPES = (Role.ACCUEIL, Role.DIRECTION)


def sees_all(user: User) -> bool:
    return user.is_superuser or user.has_role(Role.ACCUEIL, Role.DIRECTION, Role.FACTURATION)


def appointments_for(user: User) -> AppointmentQuerySet:
    """Appointments `user` may read: all of them for reception, direction and billing; a
    practitioner who holds no such role sees only their own."""
    qs = Appointment.objects.all()
    if sees_all(user):
        return qs
    if user.has_role(Role.SOIGNANT):
        return qs.filter(practitioner__user=user)
    return qs.none()


def consultation_types_for(user: User) -> QuerySet[ConsultationType]:
    qs = ConsultationType.objects.filter(is_active=True)
    if user.is_superuser or user.has_role(*READ_APPOINTMENTS):
        return qs
    if user.has_role(Role.MEDIATION):
        return qs.filter(bookable_by_mediators=True)
    return qs.none()


def can_manage_types(user: User) -> bool:
    return user.is_superuser or user.has_role(*MANAGE_TYPES)


def can_book(user: User) -> bool:
    return user.is_superuser or user.has_role(*BOOK)


def can_mark(user: User, appointment: Appointment, *, action: str) -> bool:
    """Reception marks anything; a practitioner marks arrived, called in (waiting room) and
    seen on their own appointments."""
    if user.is_superuser or user.has_role(Role.ACCUEIL):
        return True
    if action in ("arrive", "call", "seen") and user.has_role(Role.SOIGNANT):
        return appointment.practitioner.user_id == user.pk
    return False


# Reception and direction may book outside the booking rules (plages, absences, public
# holidays) with a reason: they answer for the agenda (docs/appointments.md, « Forçage »).
FORCE = (Role.ACCUEIL, Role.DIRECTION)


def can_force(user: User) -> bool:
    return user.is_superuser or user.has_role(*FORCE)
