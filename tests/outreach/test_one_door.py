"""The role and object rules live in the services: a service called directly (as a task, a
command or a future door would) refuses what the pages and the API refuse, and writes
nothing."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.utils import timezone

from centre.models import AuditEntry, Site, User
from centre.refusals import Forbidden, NotFound
from outreach.models import Permanence, PlaceKind, ReferralStatus, ReferralTarget
from outreach.services import (
    collective_actions,
    files,
    permanences,
    persons,
    places,
    referrals,
    sessions,
)
from tests.outreach.factories import (
    FileFactory,
    PatientFactory,
    PermanenceFactory,
    PersonFactory,
    ReferralFactory,
)

pytestmark = pytest.mark.django_db

Call = Callable[[User], object]


@pytest.fixture
def permanence(site: Site, staff: dict[str, User]) -> Permanence:
    return PermanenceFactory(place__site=site, mediator=staff["mediation"])


def _writes(site: Site, permanence: Permanence) -> dict[str, Call]:
    """One call per write service reserved to mediation (`perms.WRITE`)."""
    day = timezone.localtime(permanence.start).date()
    return {
        "place_create": lambda by: places.place_create(
            by=by, name="Foyer Adoma", kind=PlaceKind.HOSTEL, site=site
        ),
        "permanence_schedule": lambda by: permanences.permanence_schedule(
            by=by,
            place=permanence.place,
            mediator=permanence.mediator,
            first_day=day + datetime.timedelta(days=7),
            start_time=datetime.time(9),
            end_time=datetime.time(12),
        ),
        "permanence_cancel": lambda by: permanences.permanence_cancel(by=by, permanence=permanence),
        "session_log": lambda by: sessions.session_log(
            by=by,
            data=sessions.SessionInput(held_on=day, permanence=permanence, topics=["c2s"]),
            anonymous=sessions.AnonymousPerson(sex="F", age_band="26_44"),
        ),
        "person_link_patient": lambda by: persons.person_link_patient(
            by=by, person=PersonFactory(), patient=PatientFactory(), consent_on=day
        ),
        "file_advance": lambda by: files.file_advance(
            by=by, file=FileFactory(), step="documents", on=timezone.localdate()
        ),
        "referral_cancel": lambda by: referrals.referral_cancel(
            by=by, referral=ReferralFactory(site=site), reason="Plus besoin"
        ),
        "referral_record_outcome": lambda by: referrals.referral_record_outcome(
            by=by,
            referral=ReferralFactory(site=site, target=ReferralTarget.CCAS),
            outcome="Reçue au CCAS",
        ),
        "collective_action_create": lambda by: collective_actions.collective_action_create(
            by=by,
            kind="atelier",
            title="Atelier C2S",
            place=permanence.place,
            held_on=day,
            participants_count=8,
        ),
    }


@pytest.mark.parametrize(
    "name",
    [
        "place_create",
        "permanence_schedule",
        "permanence_cancel",
        "session_log",
        "person_link_patient",
        "file_advance",
        "referral_cancel",
        "referral_record_outcome",
        "collective_action_create",
    ],
)
@pytest.mark.parametrize("role", ["direction", "accueil", "soignant", "facturation"])
def test_write_services_refuse_roles_other_than_mediation(
    site: Site, staff: dict[str, User], permanence: Permanence, name: str, role: str
) -> None:
    call = _writes(site, permanence)[name]
    before = AuditEntry.objects.count()
    with pytest.raises(Forbidden) as caught:
        call(staff[role])
    assert caught.value.http_status == 403
    assert caught.value.message == "Votre rôle ne permet pas cette action en médiation."
    assert AuditEntry.objects.count() == before


def test_a_deactivated_mediator_is_refused(
    site: Site, staff: dict[str, User], permanence: Permanence
) -> None:
    mediator = staff["mediation"]
    mediator.is_active = False
    mediator.save(update_fields=["is_active"])
    with pytest.raises(Forbidden):
        _writes(site, permanence)["place_create"](mediator)


def test_reception_declines_only_referrals_to_the_centre(
    site: Site, staff: dict[str, User]
) -> None:
    to_partner = ReferralFactory(site=site, target=ReferralTarget.PASS)
    with pytest.raises(NotFound):
        referrals.referral_decline(by=staff["accueil"], referral=to_partner, reason="Non")
    to_partner.refresh_from_db()
    assert to_partner.status == ReferralStatus.PENDING
    # …and a mediator does not decline for reception.
    to_centre = ReferralFactory(site=site)
    with pytest.raises(Forbidden):
        referrals.referral_decline(by=staff["mediation"], referral=to_centre, reason="Non")
    declined = referrals.referral_decline(
        by=staff["accueil"], referral=to_centre, reason="Injoignable"
    )
    assert declined.status == ReferralStatus.DECLINED


def test_only_reception_books_a_referral(site: Site, staff: dict[str, User]) -> None:
    referral = ReferralFactory(site=site, person=PersonFactory(patient=PatientFactory()))
    for role in ("mediation", "direction"):
        with pytest.raises(Forbidden):
            referrals.referral_book(
                by=staff[role],
                referral=referral,
                practitioner=staff["soignant"].profile,
                start=timezone.now() + datetime.timedelta(days=2),
            )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PENDING and referral.appointment_id is None
