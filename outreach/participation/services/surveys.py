"""Surveys: create, edit, open for entry, close (direction and mediation), each audited in its
transaction."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from centre import audit
from centre.models import User
from outreach.participation import perms
from outreach.participation.errors import check_role, fail_if, transition
from outreach.participation.models import LANGUAGE_LABELS, Survey, new_public_token

SURVEY_FIELDS = ("title", "introduction", "languages", "status", "public_token")


def _clean_languages(languages: Iterable[str]) -> list[str]:
    unknown = [lang for lang in languages if lang not in LANGUAGE_LABELS]
    fail_if({"languages": "Langue inconnue."} if unknown else {})
    return sorted(set(languages))


def survey_create(
    *,
    by: User,
    title: str,
    introduction: str = "",
    languages: Iterable[str] = (),
    public_link: bool = False,
) -> Survey:
    check_role(by, perms.BUILD)
    title = title.strip()
    fail_if({} if title else {"title": "Donnez un titre à l'enquête."})
    with transaction.atomic():
        survey = Survey.objects.create(
            title=title,
            introduction=introduction.strip(),
            languages=_clean_languages(languages),
            public_token=new_public_token() if public_link else None,
            created_by=by,
        )
        audit.record(
            actor=by,
            action="participation.survey.create",
            obj=survey,
            changes=audit.snapshot(survey, SURVEY_FIELDS),
        )
    return survey


def survey_update(
    *,
    by: User,
    survey: Survey,
    title: str,
    introduction: str,
    languages: Iterable[str],
    public_link: bool,
) -> Survey:
    check_role(by, perms.BUILD)
    title = title.strip()
    fail_if({} if title else {"title": "Donnez un titre à l'enquête."})
    with transaction.atomic():
        survey = Survey.objects.select_for_update().get(pk=survey.pk)
        before = audit.snapshot(survey, SURVEY_FIELDS)
        survey.title = title
        survey.introduction = introduction.strip()
        survey.languages = _clean_languages(languages)
        if public_link and not survey.public_token:
            survey.public_token = new_public_token()
        elif not public_link:
            survey.public_token = None
        survey.save()
        audit.record(
            actor=by,
            action="participation.survey.update",
            obj=survey,
            changes=audit.diff(before, audit.snapshot(survey, SURVEY_FIELDS)),
        )
    return survey


def _survey_transition(*, by: User, survey: Survey, name: str) -> Survey:
    """Open or close a survey (`name` is the model transition), audited in its transaction."""
    check_role(by, perms.BUILD)
    with transaction.atomic():
        survey = Survey.objects.select_for_update().get(pk=survey.pk)
        before = audit.snapshot(survey, SURVEY_FIELDS)
        transition(getattr(survey, name), at=timezone.now())
        survey.save()
        audit.record(
            actor=by,
            action=f"participation.survey.{name}",
            obj=survey,
            changes=audit.diff(before, audit.snapshot(survey, SURVEY_FIELDS)),
        )
    return survey


def survey_open(*, by: User, survey: Survey) -> Survey:
    return _survey_transition(by=by, survey=survey, name="open")


def survey_close(*, by: User, survey: Survey) -> Survey:
    return _survey_transition(by=by, survey=survey, name="close")
