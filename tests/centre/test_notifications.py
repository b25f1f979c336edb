"""« À faire » (centre.notifications): per role, exact counts computed from the data, a
constant number of queries whatever the number of items, the page, the header badge and its
poll, and the daily e-mail digest without any patient name."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment, Status
from billing.models import Claim, ClaimStatus
from centre import notifications
from centre.models import Site, User
from centre.reports.models import ReportRun, RunStatus
from outreach.models import FileStatus, Referral, RightsSession
from tests.appointments.factories import (
    ConsultationTypeFactory,
)
from tests.appointments.factories import (
    PatientFactory as AppointmentPatientFactory,
)
from tests.billing.factories import make_invoice
from tests.outreach.factories import FileFactory, PersonFactory, ReferralFactory, SessionFactory

ClientFor = Callable[[str | None], Client]

pytestmark = pytest.mark.django_db


def counts(user: User) -> dict[str, int]:
    return {item.kind: item.count for item in notifications.inbox(user)}


def labels(user: User) -> dict[str, str]:
    return {item.kind: item.label for item in notifications.inbox(user)}


# --- appointments -----------------------------------------------------------------------------


def _appointment(
    staff: dict[str, User],
    site: Site,
    *,
    start: datetime.datetime,
    status: str = Status.BOOKED,
    practitioner: User | None = None,
) -> Appointment:
    return Appointment.objects.create(
        patient=AppointmentPatientFactory(last_name="Benali"),
        practitioner=(practitioner or staff["soignant"]).profile,
        consultation_type=ConsultationTypeFactory(),
        site=site,
        start=start,
        end=start + datetime.timedelta(minutes=20),
        status=status,
        booked_by=staff["accueil"],
    )


@pytest.fixture
def appointments_world(staff: dict[str, User], site: Site) -> User:
    """Past appointments: 2 booked and 1 arrived still open (of `soignant`), 1 booked open of
    another practitioner, 1 seen and 1 no-show (closed); 1 booked tomorrow (not yet due)."""
    from tests.factories import make_staff

    other = make_staff("soignant", centre=site.centre, sites=[site])
    now = timezone.now()
    past = now - datetime.timedelta(days=2)
    for hours, status in ((0, Status.BOOKED), (1, Status.BOOKED), (2, Status.ARRIVED)):
        _appointment(staff, site, start=past + datetime.timedelta(hours=hours), status=status)
    _appointment(staff, site, start=past + datetime.timedelta(hours=3), practitioner=other)
    _appointment(staff, site, start=past + datetime.timedelta(hours=4), status=Status.SEEN)
    _appointment(staff, site, start=past + datetime.timedelta(hours=5), status=Status.NO_SHOW)
    _appointment(staff, site, start=now + datetime.timedelta(days=1))
    return other


def test_reception_sees_every_past_appointment_to_fill_in(
    staff: dict[str, User], appointments_world: User
) -> None:
    assert counts(staff["accueil"])["appointments.to_fill_in"] == 4
    assert labels(staff["accueil"])["appointments.to_fill_in"] == (
        "4 rendez-vous passés à compléter (arrivé·e, vu·e ou absent·e)"
    )


def test_a_practitioner_sees_only_their_own_appointments_to_close(
    staff: dict[str, User], appointments_world: User
) -> None:
    assert counts(staff["soignant"]) == {"appointments.to_fill_in": 3}
    assert counts(appointments_world) == {"appointments.to_fill_in": 1}
    assert labels(appointments_world)["appointments.to_fill_in"] == (
        "1 rendez-vous passé à clore dans votre agenda"
    )


def test_other_roles_are_not_told_about_appointments(
    staff: dict[str, User], appointments_world: User
) -> None:
    for role in ("mediation", "facturation", "direction", "collecte"):
        assert "appointments.to_fill_in" not in counts(staff[role]), role


# --- outreach ---------------------------------------------------------------------------------


def test_reception_counts_referrals_to_book_and_the_late_ones(
    staff: dict[str, User], site: Site
) -> None:
    now = timezone.now()
    ReferralFactory(site=site)  # normal urgency: 30 days, not late
    ReferralFactory(site=site, created_at=now - datetime.timedelta(days=31))  # late
    ReferralFactory(site=site, urgency="urgente", created_at=now - datetime.timedelta(days=3))
    ReferralFactory(site=site, target="pmi")  # not to the centre
    booked = ReferralFactory(site=site)
    Referral.objects.filter(pk=booked.pk).update(status="programmee")

    assert counts(staff["accueil"])["outreach.referrals"] == 3
    assert labels(staff["accueil"])["outreach.referrals"] == (
        "3 orientations vers le centre à programmer, dont 2 en retard"
    )
    item = next(i for i in notifications.inbox(staff["accueil"]) if i.kind == "outreach.referrals")
    assert item.severity == notifications.Severity.URGENT
    assert item.url == reverse("outreach_referral_queue")
    for role in ("soignant", "mediation", "facturation", "direction"):
        assert "outreach.referrals" not in counts(staff[role]), role


def test_a_mediator_counts_their_own_followups_due_and_files(staff: dict[str, User]) -> None:
    today = timezone.localdate()
    me = staff["mediation"]
    person = PersonFactory()
    open_file = FileFactory(person=person, mediator=me)
    closed_file = FileFactory(person=person, mediator=me, status=FileStatus.ABANDONED)
    ten_days_ago = today - datetime.timedelta(days=10)
    # due today, in an open file
    SessionFactory(person=person, mediator=me, followup_on=today, file=open_file)
    # late, same open file
    SessionFactory(
        person=person,
        mediator=me,
        held_on=ten_days_ago,
        followup_on=today - datetime.timedelta(days=3),
        file=open_file,
    )
    # late, in a closed file; and one without a file
    SessionFactory(mediator=me, held_on=ten_days_ago, followup_on=ten_days_ago, file=closed_file)
    SessionFactory(mediator=me, followup_on=today)
    # not counted: in 2 days, already done, another mediator's
    SessionFactory(mediator=me, followup_on=today + datetime.timedelta(days=2))
    SessionFactory(mediator=me, followup_on=today, followup_done_at=timezone.now())
    SessionFactory(followup_on=today)

    assert counts(me) == {"outreach.followups": 4, "outreach.files": 1}
    assert labels(me) == {
        "outreach.followups": "4 suivis à faire (prévus aujourd'hui ou avant), dont 2 en retard",
        "outreach.files": "1 dossier ouvert dont le suivi est dû",
    }
    assert RightsSession.objects.count() == 7
    assert "outreach.followups" not in counts(staff["direction"])


# --- billing ----------------------------------------------------------------------------------


def test_billing_counts_rejects_overdue_and_claims_to_check(
    staff: dict[str, User], site: Site
) -> None:
    for _ in range(6):
        make_invoice(by=staff["soignant"], practitioner=staff["soignant"], site=site)
    claims = list(Claim.objects.order_by("pk"))
    assert len(claims) >= 6
    today = timezone.localdate()
    Claim.objects.update(status=ClaimStatus.PAID)
    statuses = [
        (ClaimStatus.REJECTED, None),
        (ClaimStatus.REJECTED, None),
        (ClaimStatus.PARTLY_PAID, None),
        (ClaimStatus.DRAFT, None),
        (ClaimStatus.ACKNOWLEDGED, today - datetime.timedelta(days=30)),  # overdue
        (ClaimStatus.ACKNOWLEDGED, today),  # within its 7 working days
    ]
    for claim, (status, ack) in zip(claims, statuses, strict=False):
        Claim.objects.filter(pk=claim.pk).update(status=status, acknowledged_on=ack)

    assert counts(staff["facturation"]) == {
        "billing.rejects": 3,
        "billing.overdue": 1,
        "billing.to_check": 1,
    }
    assert labels(staff["facturation"])["billing.rejects"] == "3 rejets à traiter"
    for role in ("accueil", "soignant", "mediation", "direction"):
        assert not any(k.startswith("billing.") for k in counts(staff[role])), role


# --- reports ----------------------------------------------------------------------------------


def _run(staff: dict[str, User], *, status: str, finished_days_ago: int | None) -> ReportRun:
    finished = (
        None
        if finished_days_ago is None
        else timezone.now() - datetime.timedelta(days=finished_days_ago)
    )
    return ReportRun.objects.create(
        template="activite",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
        requested_by=staff["direction"],
        status=status,
        suppression_threshold=5,
        finished_at=finished,
    )


def test_direction_is_told_of_reports_ready_in_the_last_seven_days(
    staff: dict[str, User],
) -> None:
    _run(staff, status=RunStatus.DONE, finished_days_ago=0)
    _run(staff, status=RunStatus.DONE, finished_days_ago=6)
    _run(staff, status=RunStatus.DONE, finished_days_ago=8)
    _run(staff, status=RunStatus.FAILED, finished_days_ago=1)
    _run(staff, status=RunStatus.QUEUED, finished_days_ago=None)

    assert counts(staff["direction"]) == {"reports.ready": 2}
    assert labels(staff["direction"])["reports.ready"] == "2 rapports prêts ces 7 derniers jours"
    assert "reports.ready" not in counts(staff["accueil"])


# --- everybody --------------------------------------------------------------------------------


def test_nothing_to_do_gives_an_empty_inbox_and_volunteers_have_none(
    staff: dict[str, User], site: Site
) -> None:
    for role in ("accueil", "soignant", "mediation", "facturation", "direction"):
        assert notifications.inbox(staff[role]) == [], role
    ReferralFactory(site=site)
    assert notifications.inbox(staff["collecte"]) == []
    staff["accueil"].is_active = False
    assert notifications.inbox(staff["accueil"]) == []


def _queries(user: User) -> int:
    user = User.objects.get(pk=user.pk)  # a fresh instance: the roles cache is part of it
    with CaptureQueriesContext(connection) as captured:
        notifications.inbox(user)
    return len(captured.captured_queries)


def test_the_inbox_runs_as_many_queries_with_1_or_20_items(
    staff: dict[str, User], site: Site
) -> None:
    from tests.factories import make_staff

    everything = make_staff(
        "accueil", "soignant", "mediation", "facturation", "direction", centre=site.centre
    )
    today = timezone.localdate()
    past = timezone.now() - datetime.timedelta(days=1)

    def add_one(n: int) -> None:
        _appointment(staff, site, start=past + datetime.timedelta(minutes=30 * n))
        ReferralFactory(site=site)
        SessionFactory(
            mediator=everything, followup_on=today, file=FileFactory(mediator=everything)
        )
        _run(staff, status=RunStatus.DONE, finished_days_ago=0)

    add_one(0)
    with_one = _queries(everything)
    assert counts(everything)["outreach.referrals"] == 1
    for n in range(1, 20):
        add_one(n)
    assert _queries(everything) == with_one
    assert counts(everything)["outreach.referrals"] == 20
    assert counts(everything)["outreach.files"] == 20
    assert counts(everything)["reports.ready"] == 20
    # roles (1) + appointments (1) + referrals (1) + follow-ups (1) + billing (1) + reports (1)
    assert with_one == 6


# --- the page and the header badge ------------------------------------------------------------


def test_the_page_lists_the_items_with_their_links(
    client_for: ClientFor, staff: dict[str, User], site: Site
) -> None:
    ReferralFactory(site=site)
    ReferralFactory(site=site, created_at=timezone.now() - datetime.timedelta(days=31))
    page = client_for("accueil").get(reverse("notifications"))
    assert page.status_code == 200
    html = page.content.decode()
    assert (
        f'<a href="{reverse("outreach_referral_queue")}">'
        "2 orientations vers le centre à programmer, dont 1 en retard</a>"
    ) in html
    assert '<span class="badge danger">urgent</span>' in html
    empty = client_for("soignant").get(reverse("notifications"))
    assert "Rien à faire pour l'instant." in empty.content.decode()


def test_the_badge_counts_everything_waiting(
    client_for: ClientFor, staff: dict[str, User], site: Site, appointments_world: User
) -> None:
    ReferralFactory(site=site)
    badge = client_for("accueil").get(reverse("notifications_badge"), HTTP_HX_REQUEST="true")
    assert badge.status_code == 200
    assert badge.content.decode().strip() == "À faire (5)"  # 4 appointments + 1 referral
    nothing = client_for("direction").get(reverse("notifications_badge"))
    assert nothing.content.decode().strip() == "À faire"


def test_the_header_link_polls_every_minute_as_a_poll(client_for: ClientFor) -> None:
    html = client_for("mediation").get(reverse("notifications")).content.decode()
    assert (
        f'<a href="{reverse("notifications")}" id="todo-link" '
        f'hx-get="{reverse("notifications_badge")}" hx-trigger="load, every 60s" '
        'hx-headers=\'{"X-Passerelle-Poll": "1"}\' hx-swap="innerHTML">À faire</a>'
    ) in html


def test_volunteers_have_no_header_link_and_no_page(client_for: ClientFor) -> None:
    client = client_for("collecte")
    assert client.get(reverse("notifications")).status_code == 403
    home = client.get(reverse("participation:entry_home"))
    assert 'id="todo-link"' not in home.content.decode()


# --- the daily e-mail digest -------------------------------------------------------------------


def test_the_digest_is_off_unless_the_setting_is_on(
    settings: object, staff: dict[str, User], site: Site
) -> None:
    from django.core import mail

    from centre.tasks import send_digests

    settings.NOTIFICATIONS_DIGEST = False  # type: ignore[attr-defined]
    ReferralFactory(site=site)
    assert send_digests() == 0
    assert mail.outbox == []


def test_the_digest_sends_counts_and_links_only_once_a_day(
    settings: object, staff: dict[str, User], site: Site, appointments_world: User
) -> None:
    from django.core import mail

    from centre.tasks import send_digests

    settings.NOTIFICATIONS_DIGEST = True  # type: ignore[attr-defined]
    settings.SITE_URL = "https://sante.example.fr"  # type: ignore[attr-defined]
    ReferralFactory(
        site=site, person=PersonFactory(patient=AppointmentPatientFactory(last_name="Zerrouki"))
    )

    assert send_digests() == 3  # accueil, soignant, the other practitioner; nobody else
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [staff["accueil"].email, staff["soignant"].email, appointments_world.email]
    )
    reception = next(m for m in mail.outbox if m.to == [staff["accueil"].email])
    assert reception.subject.startswith("Passerelle — à faire le ")
    body = reception.body
    assert "- 4 rendez-vous passés à compléter (arrivé·e, vu·e ou absent·e)\n" in body
    assert "  https://sante.example.fr/rendez-vous/a-completer/\n" in body
    assert "- 1 orientation vers le centre à programmer\n" in body
    assert "Tout est sur la page « À faire » : https://sante.example.fr/a-faire/" in body
    # No patient name at all: every patient of the test database is checked.
    from patients.models import Patient

    names = list(Patient.objects.values_list("last_name", flat=True))
    assert "Zerrouki" in names and "Benali" in names
    for message in mail.outbox:
        for name in names:
            assert name not in message.body and name not in message.subject
    # Run again the same day: nothing more is sent.
    assert send_digests() == 0
    assert len(mail.outbox) == 3


def test_the_digest_subject_says_the_day_in_french(
    settings: object, staff: dict[str, User], site: Site
) -> None:
    from django.core import mail

    from centre.services import digests

    settings.NOTIFICATIONS_DIGEST = True  # type: ignore[attr-defined]
    ReferralFactory(site=site)
    assert digests.digest_send_all(on=datetime.date(2026, 12, 4)) == 1
    (message,) = mail.outbox
    assert message.subject == "Passerelle — à faire le vendredi 4 décembre"
    assert message.to == [staff["accueil"].email]
    assert "Voici ce qui vous attend dans Passerelle ce vendredi 4 décembre 2026 :" in message.body
