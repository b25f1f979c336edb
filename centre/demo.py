"""The demo centre: organisation, staff and one account per role.

Idempotent: every object is looked up by a natural key before being created, so running
`seed_demo` twice gives the same rows. Other apps add their part in `<app>/demo.py`.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth.models import Group
from stdnum import luhn

from centre.models import Centre, Profession, Site, StaffProfile, User
from centre.roles import Role

DEMO_DOMAIN = "demo.passerelle.fr"


def with_luhn(prefix: str) -> str:
    return prefix + luhn.calc_check_digit(prefix)


@dataclass(frozen=True)
class DemoPerson:
    email: str
    first_name: str
    last_name: str
    roles: tuple[Role, ...]
    sex: str = ""
    profession: str = ""
    specialty: str = ""
    rpps_prefix: str = ""
    job_title: str = ""
    languages: str = ""


PEOPLE = (
    DemoPerson(
        f"accueil@{DEMO_DOMAIN}",
        "Nadia",
        "Haddad",
        (Role.ACCUEIL,),
        "F",
        job_title="Agente d'accueil",
        languages="fr,ar",
    ),
    DemoPerson(
        f"soignant@{DEMO_DOMAIN}",
        "Claire",
        "Moreau",
        (Role.SOIGNANT,),
        "F",
        Profession.GENERALISTE,
        "Médecine générale",
        "1010000001",
    ),
    DemoPerson(
        f"k.benali@{DEMO_DOMAIN}",
        "Karim",
        "Benali",
        (Role.SOIGNANT,),
        "M",
        Profession.GENERALISTE,
        "Médecine générale",
        "1010000002",
        languages="fr,ar,kab",
    ),
    DemoPerson(
        f"a.diallo@{DEMO_DOMAIN}",
        "Aminata",
        "Diallo",
        (Role.SOIGNANT,),
        "F",
        Profession.GYNECOLOGUE,
        "Gynécologie médicale",
        "1010000003",
        languages="fr,wo",
    ),
    DemoPerson(
        f"s.lefevre@{DEMO_DOMAIN}",
        "Sophie",
        "Lefèvre",
        (Role.SOIGNANT,),
        "F",
        Profession.INFIRMIER,
        "",
        "1010000004",
    ),
    DemoPerson(
        f"j.martin@{DEMO_DOMAIN}",
        "Julie",
        "Martin",
        (Role.SOIGNANT,),
        "F",
        Profession.ORTHOPHONISTE,
        "",
        "1010000005",
    ),
    DemoPerson(
        f"mediation@{DEMO_DOMAIN}",
        "Yacine",
        "Mansouri",
        (Role.MEDIATION,),
        "M",
        job_title="Médiateur en santé (agent du CCAS)",
        languages="fr,ar,en",
    ),
    DemoPerson(
        f"facturation@{DEMO_DOMAIN}",
        "Éric",
        "Girard",
        (Role.FACTURATION,),
        "M",
        job_title="Agent de facturation",
    ),
    DemoPerson(
        f"direction@{DEMO_DOMAIN}",
        "Hélène",
        "Roux",
        (Role.DIRECTION,),
        "F",
        job_title="Coordinatrice du centre",
    ),
    DemoPerson(
        f"collecte@{DEMO_DOMAIN}",
        "Fatou",
        "Sarr",
        (Role.COLLECTE,),
        "F",
        job_title="Habitante bénévole (enquêtes)",
    ),
)


def demo_totp_secret(email: str) -> str:
    """A fixed TOTP secret per demo account, so the printed secret stays valid across runs."""
    digest = hashlib.sha256(f"passerelle-demo-totp:{email}".encode()).digest()[:20]
    return base64.b32encode(digest).decode()


@dataclass
class OrganisationSeed:
    centre: Centre
    sites: list[Site]
    users: dict[str, User]
    totp_secrets: dict[str, str]


def seed_organisation() -> OrganisationSeed:
    centre, _ = Centre.objects.get_or_create(
        finess=with_luhn("86000123"),
        defaults={
            "name": "Centre de santé communautaire des Trois-Cités",
            "am_number": "860012345",
            "address": "12 place des Trois-Cités\n86000 Poitiers",
            "phone": "05 49 00 00 00",
            "email": f"contact@{DEMO_DOMAIN}",
        },
    )
    main_site, _ = Site.objects.get_or_create(
        centre=centre,
        name="Site des Trois-Cités",
        defaults={
            "address": "12 place des Trois-Cités\n86000 Poitiers",
            "in_qpv": True,
            "finess": with_luhn("86000124"),
        },
    )
    antenna, _ = Site.objects.get_or_create(
        centre=centre,
        name="Antenne des Couronneries",
        defaults={
            "address": "3 rue de Slovénie\n86000 Poitiers",
            "in_qpv": True,
            "finess": with_luhn("86000125"),
        },
    )
    sites = [main_site, antenna]
    users: dict[str, User] = {}
    secrets: dict[str, str] = {}
    for person in PEOPLE:
        user = User.objects.filter(email=person.email).first()
        if user is None:
            user = User.objects.create_user(
                email=person.email,
                password=settings.DEMO_PASSWORD,
                first_name=person.first_name,
                last_name=person.last_name,
            )
        user.groups.set([Group.objects.get_or_create(name=r.value)[0] for r in person.roles])
        profile, _ = StaffProfile.objects.update_or_create(
            user=user,
            defaults={
                "centre": centre,
                "job_title": person.job_title,
                "profession": person.profession,
                "specialty": person.specialty,
                "rpps": with_luhn(person.rpps_prefix) if person.rpps_prefix else "",
                "sex": person.sex,
                "languages": person.languages,
            },
        )
        # The nurse and the speech therapist work at the main site only.
        profile.sites.set(
            sites
            if person.profession not in {Profession.INFIRMIER, Profession.ORTHOPHONISTE}
            else [main_site]
        )
        if set(person.roles) & {Role(r) for r in settings.MFA_REQUIRED_ROLES}:
            secret = demo_totp_secret(person.email)
            if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                TOTP.activate(user, secret)
                RecoveryCodes.activate(user)
            secrets[person.email] = secret
        users[person.email] = user
    return OrganisationSeed(centre=centre, sites=sites, users=users, totp_secrets=secrets)
