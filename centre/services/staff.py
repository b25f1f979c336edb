"""Staff accounts: invitations and (de)activation. Each runs in one transaction with its
audit entry; e-mails leave only after commit."""

from __future__ import annotations

from collections.abc import Iterable

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from centre import audit
from centre.models import Centre, Site, StaffProfile, User
from centre.refusals import NotFound, Refusal
from centre.roles import Role
from centre.services import api_tokens


class StaffError(Refusal):
    """A staff change that cannot be made; the message is shown to the director."""


def staff_invite(
    *,
    email: str,
    first_name: str,
    last_name: str,
    roles: Iterable[Role | str],
    sites: Iterable[Site],
    centre: Centre,
    invited_by: User,
    base_url: str | None = None,
    job_title: str = "",
    profession: str = "",
    specialty: str = "",
    rpps: str = "",
) -> User:
    """Create the account (no usable password) and e-mail the person a link to choose one."""
    email = email.strip().lower()
    role_names = sorted({str(r) for r in roles})
    if not role_names:
        raise StaffError("Choisissez au moins un rôle.")
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise StaffError("Un compte existe déjà avec cette adresse e-mail.")
        user = User.objects.create_user(
            email=email, password=None, first_name=first_name, last_name=last_name
        )
        user.groups.set(Group.objects.filter(name__in=role_names))
        profile = StaffProfile.objects.create(
            user=user,
            centre=centre,
            job_title=job_title,
            profession=profession,
            specialty=specialty,
            rpps=rpps,
        )
        site_list = list(sites)
        profile.sites.set(site_list)
        audit.record(
            actor=invited_by,
            action="staff.invite",
            obj=user,
            changes={
                "email": [None, email],
                "roles": [None, role_names],
                "sites": [None, [s.pk for s in site_list]],
                "profession": [None, profession],
                "rpps": [None, rpps],
            },
        )
        # Sent after commit, so a rolled-back invitation sends nothing.
        transaction.on_commit(
            lambda: _send_invitation(user, invited_by, base_url or settings.SITE_URL)
        )
    return user


def _send_invitation(user: User, invited_by: User, base_url: str) -> None:
    """A single-use link to choose a password (allauth's password-reset key: it expires and
    stops working once the password is set)."""
    path = reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(user),
            "key": default_token_generator.make_token(user),
        },
    )
    context = {"user": user, "invited_by": invited_by, "link": base_url.rstrip("/") + path}
    send_mail(
        subject="Votre compte Passerelle",
        message=render_to_string("centre/email/invitation.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


def staff_set_active(*, by: User, user_id: int, active: bool, centre: Centre | None) -> User:
    """(De)activate a member of staff of `centre`. Deactivation also revokes every API token
    of the person (for good: reactivating the account does not bring them back) and ends
    their sessions."""
    with transaction.atomic():
        locked = User.objects.select_for_update().filter(pk=user_id, profile__centre=centre).first()
        if locked is None or centre is None:
            raise NotFound("Aucun membre de l'équipe ne correspond.")
        if locked.pk == by.pk and not active:
            raise StaffError("Vous ne pouvez pas désactiver votre propre compte.")
        if locked.is_active == active:
            return locked
        locked.is_active = active
        locked.save(update_fields=["is_active"])
        audit.record(
            actor=by,
            action="staff.activate" if active else "staff.deactivate",
            obj=locked,
            changes={"is_active": [not active, active]},
        )
        if not active:
            api_tokens.token_revoke_all(by=by, owner=locked, reason="deactivation")
            _revoke_calendar_feed(by=by, user=locked)
    if not active:
        _end_sessions(locked)
    return locked


def _revoke_calendar_feed(*, by: User, user: User) -> None:
    """The ICS URL dies with the account, for good (a reactivated practitioner asks for a new
    one); `calendar_feed_live` also refuses the feed of an inactive account at each request."""
    from appointments.services import calendar_feeds  # appointments depends on centre

    profile = StaffProfile.objects.filter(user=user).first()
    if profile is not None and profile.calendar_feeds.filter(revoked_at__isnull=True).exists():
        calendar_feeds.calendar_feed_revoke(practitioner=profile, by=by)


def _end_sessions(user: User) -> None:
    """A deactivated account is logged out everywhere at once, not at its next request."""
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            session.delete()
