"""Participation pages. Thin: parse the form, call one service, redirect; reads through
selectors and results. Roles per outreach/participation/perms.py."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from centre.forms import add_refusal, refusal_message
from centre.perms import acting_user, role_required
from outreach.participation import perms, results, selectors
from outreach.participation.errors import ParticipationError
from outreach.participation.forms import (
    AnswerForm,
    DecisionForm,
    DecisionStatusForm,
    MeetingForm,
    QuestionForm,
    RequestActionForm,
    RequestForm,
    SurveyForm,
)
from outreach.participation.models import (
    LANGUAGE_LABELS,
    CommitteeDecision,
    CommitteeMeeting,
    Question,
    SheetChannel,
    Survey,
    UserRequest,
)
from outreach.participation.pdf import questionnaire_pdf, results_pdf
from outreach.participation.services import (
    exports,
    meetings,
    questions,
    sheets,
    surveys,
    user_requests,
)


def _survey(pk: int) -> Survey:
    return get_object_or_404(Survey, pk=pk)


# --- Surveys: list, builder, opening ------------------------------------------------------


@role_required(*perms.BUILD)
def survey_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "outreach/participation/survey_list.html",
        {"surveys": list(selectors.surveys())},
    )


@role_required(*perms.BUILD)
def survey_new(request: HttpRequest) -> HttpResponse:
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            survey = surveys.survey_create(by=acting_user(request), **data)
        except ParticipationError as error:
            add_refusal(form, error)
        else:
            messages.success(request, "Enquête créée : ajoutez ses questions.")
            return redirect("participation:survey_detail", pk=survey.pk)
    return render(
        request, "outreach/participation/survey_form.html", {"form": form, "survey": None}
    )


@role_required(*perms.BUILD)
def survey_edit(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(pk)
    initial = {
        "title": survey.title,
        "introduction": survey.introduction,
        "languages": survey.languages,
        "public_link": bool(survey.public_token),
    }
    form = SurveyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            surveys.survey_update(by=acting_user(request), survey=survey, **form.cleaned_data)
        except ParticipationError as error:
            add_refusal(form, error)
        else:
            messages.success(request, "Enquête enregistrée.")
            return redirect("participation:survey_detail", pk=survey.pk)
    return render(
        request, "outreach/participation/survey_form.html", {"form": form, "survey": survey}
    )


@role_required(*perms.BUILD)
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(pk)
    public_url = (
        request.build_absolute_uri(reverse("participation:public_form", args=[survey.public_token]))
        if survey.public_token
        else ""
    )
    return render(
        request,
        "outreach/participation/survey_detail.html",
        {
            "survey": survey,
            "questions": selectors.questions_with_choices(survey),
            "sheets": survey.sheets.count(),
            "public_url": public_url,
            "languages": [(code, LANGUAGE_LABELS[code]) for code in survey.languages],
        },
    )


@require_POST
@role_required(*perms.BUILD)
def survey_status(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(pk)
    action = request.POST.get("action")
    try:
        if action == "ouvrir":
            surveys.survey_open(by=acting_user(request), survey=survey)
            messages.success(request, "L'enquête est ouverte à la saisie.")
        elif action == "clore":
            surveys.survey_close(by=acting_user(request), survey=survey)
            messages.success(request, "L'enquête est close : plus aucune saisie possible.")
        else:
            messages.error(request, "Action inconnue.")
    except ParticipationError as error:
        refusal_message(request, error)
    return redirect("participation:survey_detail", pk=survey.pk)


@role_required(*perms.BUILD)
def question_new(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(pk)
    form = QuestionForm(request.POST or None, survey=survey, initial={"kind": "choix_unique"})
    if request.method == "POST" and form.is_valid():
        try:
            questions.question_add(by=acting_user(request), survey=survey, data=form.to_input())
        except ParticipationError as error:
            add_refusal(form, error)
        else:
            messages.success(request, "Question ajoutée.")
            return redirect("participation:survey_detail", pk=survey.pk)
    return render(
        request,
        "outreach/participation/question_form.html",
        {"form": form, "survey": survey, "question": None},
    )


def _question(pk: int) -> Question:
    return get_object_or_404(Question.objects.select_related("survey"), pk=pk)


@role_required(*perms.BUILD)
def question_edit(request: HttpRequest, pk: int) -> HttpResponse:
    question = _question(pk)
    survey = question.survey
    form = QuestionForm(
        request.POST or None, survey=survey, initial=QuestionForm.initial_for(question)
    )
    if request.method == "POST" and form.is_valid():
        try:
            questions.question_update(
                by=acting_user(request), question=question, data=form.to_input()
            )
        except ParticipationError as error:
            add_refusal(form, error)
        else:
            messages.success(request, "Question enregistrée.")
            return redirect("participation:survey_detail", pk=survey.pk)
    return render(
        request,
        "outreach/participation/question_form.html",
        {"form": form, "survey": survey, "question": question},
    )


@require_POST
@role_required(*perms.BUILD)
def question_delete(request: HttpRequest, pk: int) -> HttpResponse:
    question = _question(pk)
    try:
        questions.question_delete(by=acting_user(request), question=question)
    except ParticipationError as error:
        refusal_message(request, error)
    else:
        messages.success(request, "Question supprimée.")
    return redirect("participation:survey_detail", pk=question.survey_id)


@require_POST
@role_required(*perms.BUILD)
def question_move(request: HttpRequest, pk: int) -> HttpResponse:
    question = _question(pk)
    try:
        questions.question_move(
            by=acting_user(request), question=question, up=request.POST.get("sens") == "haut"
        )
    except ParticipationError as error:
        refusal_message(request, error)
    return redirect(
        reverse("participation:survey_detail", args=[question.survey_id]) + f"#q{question.pk}"
    )


@role_required(*perms.BUILD)
def survey_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The questionnaire to print and hand out (French, or one of its translations)."""
    survey = _survey(pk)
    language = request.GET.get("langue", "fr")
    if language not in survey.languages:
        language = "fr"
    pdf = questionnaire_pdf(request, survey, selectors.questions_with_choices(survey), language)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="questionnaire-{survey.pk}-{language}.pdf"'
    return response


# --- Results ------------------------------------------------------------------------------


def _results(request: HttpRequest, survey: Survey) -> results.SurveyResults:
    return results.compute(survey, by=_crossed_by(request, survey), threshold=results.threshold())


@role_required(*perms.BUILD)
def survey_results(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(pk)
    outcome = _results(request, survey)
    return render(
        request,
        "outreach/participation/results.html",
        {"survey": survey, "results": outcome, "query": request.GET.urlencode()},
    )


@role_required(*perms.BUILD)
def survey_results_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The results block alone, refreshed by HTMX while answers come in."""
    survey = _survey(pk)
    return render(
        request,
        "outreach/participation/_results_panel.html",
        {"survey": survey, "results": _results(request, survey), "query": request.GET.urlencode()},
    )


def _crossed_by(request: HttpRequest, survey: Survey) -> Question | None:
    by_id = request.GET.get("par", "")
    if by_id.isdigit():
        return Question.objects.filter(survey=survey, pk=int(by_id), kind="choix_unique").first()
    return None


def _export(request: HttpRequest, pk: int, fmt: str, disposition: str) -> HttpResponse:
    survey = _survey(pk)
    file = exports.survey_export(
        by=acting_user(request),
        survey=survey,
        fmt=fmt,
        crossed_by=_crossed_by(request, survey),
        render_pdf=lambda outcome: results_pdf(request, outcome),
    )
    response = HttpResponse(file.data, content_type=file.content_type)
    response["Content-Disposition"] = f'{disposition}; filename="{file.filename}"'
    return response


@role_required(*perms.BUILD)
def survey_results_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _export(request, pk, "pdf", "inline")


@role_required(*perms.BUILD)
def survey_export_csv(request: HttpRequest, pk: int) -> HttpResponse:
    return _export(request, pk, "csv", "attachment")


@role_required(*perms.BUILD)
def survey_export_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    return _export(request, pk, "xlsx", "attachment")


# --- Entry: volunteers, mediators and the public link -------------------------------------


@role_required(*perms.ENTRY)
def entry_home(request: HttpRequest) -> HttpResponse:
    """The home page of the `collecte` role: the surveys open for entry."""
    open_now = list(selectors.open_surveys())
    mine = selectors.sheets_entered_by(acting_user(request), [s.pk for s in open_now])
    return render(
        request,
        "outreach/participation/entry_home.html",
        {"surveys": [(s, mine.get(s.pk, 0)) for s in open_now]},
    )


@role_required(*perms.ENTRY)
def entry_form(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_object_or_404(selectors.open_surveys(), pk=pk)
    asked = selectors.questions_with_choices(survey)
    form = AnswerForm(request.POST or None, questions=asked)
    if request.method == "POST" and form.is_valid():
        try:
            sheet = sheets.sheet_submit(
                by=acting_user(request),
                survey=survey,
                channel=SheetChannel.PAPER,
                answers=form.raw_answers(),
                wants_contact=form.cleaned_data["wants_contact"],
                contact_name=form.cleaned_data["contact_name"],
                contact=form.cleaned_data["contact"],
            )
        except ParticipationError as error:
            add_refusal(form, error)
        else:
            messages.success(
                request, f"Questionnaire n° {sheet.pk} enregistré. Saisissez le suivant."
            )
            return redirect("participation:entry_form", pk=survey.pk)
    return render(
        request,
        "outreach/participation/entry_form.html",
        {"survey": survey, "form": form, "public": False},
        status=400 if form.errors else 200,
    )


def _client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "inconnue")


def _over_rate_limit(request: HttpRequest) -> bool:
    """Counts the sheets sent from one IP address in the current hour (Redis, shared by the
    web processes). No captcha: past the limit the form says to come back later."""
    hour = timezone.now().strftime("%Y%m%d%H")
    key = f"participation:public:{_client_ip(request)}:{hour}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=3600)
        count = 1
    return count > settings.PARTICIPATION_PUBLIC_MAX_PER_HOUR


def public_form(request: HttpRequest, token: str) -> HttpResponse:
    """The survey answered by the inhabitants themselves, without an account."""
    survey = Survey.objects.filter(public_token=token).first()
    if survey is None:
        raise Http404("Ce lien d'enquête n'existe pas ou plus.")
    if not survey.is_open:
        return render(
            request, "outreach/participation/public_closed.html", {"survey": survey}, status=410
        )
    language = request.GET.get("langue", "fr")
    if language not in survey.languages:
        language = "fr"
    asked = selectors.questions_with_choices(survey)
    form = AnswerForm(request.POST or None, questions=asked, language=language)
    context: dict[str, Any] = {
        "survey": survey,
        "form": form,
        "public": True,
        "language": language,
        "languages": [("fr", "Français")]
        + [(code, LANGUAGE_LABELS[code]) for code in survey.languages],
    }
    if request.method == "POST":
        if _over_rate_limit(request):
            context["limited"] = True
            return render(request, "outreach/participation/entry_form.html", context, status=429)
        if form.is_valid():
            try:
                sheets.sheet_submit(
                    by=None,
                    survey=survey,
                    channel=SheetChannel.ONLINE,
                    language=language,
                    answers=form.raw_answers(),
                    wants_contact=form.cleaned_data["wants_contact"],
                    contact_name=form.cleaned_data["contact_name"],
                    contact=form.cleaned_data["contact"],
                )
            except ParticipationError as error:
                add_refusal(form, error)
            else:
                return render(request, "outreach/participation/public_thanks.html", context)
        return render(request, "outreach/participation/entry_form.html", context, status=400)
    return render(request, "outreach/participation/entry_form.html", context)


# --- Users' committee ---------------------------------------------------------------------


@role_required(*perms.COMMITTEE)
def committee(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "outreach/participation/committee.html",
        {
            "meetings": list(selectors.meetings()),
            "requests": list(selectors.requests()),
            "action_form": RequestActionForm(),
        },
    )


@role_required(*perms.COMMITTEE)
def meeting_new(request: HttpRequest) -> HttpResponse:
    form = MeetingForm(request.POST or None, initial={"held_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            meeting = meetings.meeting_create(by=acting_user(request), **form.cleaned_data)
        except ParticipationError as error:
            add_refusal(form, error)
        else:
            messages.success(request, "Réunion enregistrée.")
            return redirect("participation:meeting_detail", pk=meeting.pk)
    return render(
        request, "outreach/participation/meeting_form.html", {"form": form, "meeting": None}
    )


@role_required(*perms.COMMITTEE)
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(CommitteeMeeting, pk=pk)
    form = MeetingForm(request.POST or None, instance=meeting)
    if request.method == "POST" and form.is_valid():
        try:
            meetings.meeting_update(by=acting_user(request), meeting=meeting, **form.cleaned_data)
        except ParticipationError as error:
            add_refusal(form, error)
        else:
            messages.success(request, "Compte rendu enregistré.")
            return redirect("participation:meeting_detail", pk=meeting.pk)
    return render(
        request, "outreach/participation/meeting_form.html", {"form": form, "meeting": meeting}
    )


@role_required(*perms.COMMITTEE)
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        meeting = selectors.meeting_with_decisions(pk)
    except CommitteeMeeting.DoesNotExist as error:
        raise Http404 from error
    return render(
        request,
        "outreach/participation/meeting_detail.html",
        {
            "meeting": meeting,
            "decision_form": DecisionForm(),
            "status_form": DecisionStatusForm(),
            "action_form": RequestActionForm(),
        },
    )


@require_POST
@role_required(*perms.COMMITTEE)
def decision_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(CommitteeMeeting, pk=pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            meetings.decision_add(
                by=acting_user(request), meeting=meeting, text=form.cleaned_data["text"]
            )
        except ParticipationError as error:
            refusal_message(request, error)
        else:
            messages.success(request, "Décision ajoutée.")
    else:
        messages.error(request, "Écrivez la décision.")
    return redirect("participation:meeting_detail", pk=meeting.pk)


@require_POST
@role_required(*perms.COMMITTEE)
def decision_status(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_object_or_404(CommitteeDecision, pk=pk)
    form = DecisionStatusForm(request.POST)
    if form.is_valid():
        try:
            meetings.decision_move(
                by=acting_user(request),
                decision=decision,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
            )
        except ParticipationError as error:
            refusal_message(request, error)
        else:
            messages.success(request, "Suivi de la décision enregistré.")
    else:
        messages.error(request, "Choisissez l'état de la décision.")
    return redirect("participation:meeting_detail", pk=decision.meeting_id)


@role_required(*perms.COMMITTEE)
def request_new(request: HttpRequest) -> HttpResponse:
    initial: dict[str, Any] = {"raised_on": timezone.localdate()}
    meeting_id = request.GET.get("comite", "")
    if meeting_id.isdigit():
        initial["meeting"] = int(meeting_id)
    form = RequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            user_requests.request_create(by=acting_user(request), **form.cleaned_data)
        except ParticipationError as error:
            add_refusal(form, error)
        else:
            messages.success(request, "Idée ou demande enregistrée.")
            return redirect("participation:committee")
    return render(request, "outreach/participation/request_form.html", {"form": form})


@require_POST
@role_required(*perms.COMMITTEE)
def request_action(request: HttpRequest, pk: int) -> HttpResponse:
    user_request = get_object_or_404(UserRequest, pk=pk)
    form = RequestActionForm(request.POST)
    if form.is_valid():
        try:
            user_requests.request_move(
                by=acting_user(request),
                request=user_request,
                action=form.cleaned_data["action"],
                reason=form.cleaned_data["reason"],
            )
        except ParticipationError as error:
            refusal_message(request, error)
        else:
            messages.success(request, "État de la demande enregistré.")
    else:
        messages.error(request, "Action inconnue.")
    back = request.POST.get("retour", "")
    if back.isdigit():
        return redirect("participation:meeting_detail", pk=int(back))
    return redirect("participation:committee")


@role_required(*perms.DIRECTION_PANEL)
def direction_panel(request: HttpRequest) -> HttpResponse:
    """The block of the director's home page (loaded by HTMX: the centre app does not depend
    on outreach)."""
    return render(
        request,
        "outreach/participation/_direction_panel.html",
        {
            "next_meeting": selectors.next_meeting(),
            "open_requests": list(selectors.open_requests()[:10]),
            "open_count": selectors.open_requests().count(),
            "open_surveys": list(selectors.open_surveys()),
        },
    )
