"""Demo participation data: the health diagnosis of the Trois-Cités (the Poitiers kind: 200
questionnaires collected by trained inhabitants), two users' committee meetings and a few
ideas and requests. Called by outreach/demo.py; idempotent (looked up by title and date).

Historic rows are inserted in bulk (they describe the past; there is no acting user to
audit), as in outreach/demo.py.
"""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from centre.demo import DEMO_DOMAIN, OrganisationSeed
from outreach.participation.models import (
    Answer,
    AnswerSheet,
    Choice,
    CommitteeDecision,
    CommitteeMeeting,
    DecisionStatus,
    Question,
    QuestionKind,
    RequestStatus,
    SheetChannel,
    Survey,
    SurveyStatus,
    UserRequest,
    new_public_token,
)

SURVEY_TITLE = "Diagnostic santé des Trois-Cités"
SHEETS = 200

# (kind, text, English text, required, min, max, choices with weights, English choices)
QUESTIONS: list[
    tuple[str, str, str, bool, int | None, int | None, list[tuple[str, int]], list[str]]
] = [
    (
        QuestionKind.SINGLE,
        "Dans quel quartier habitez-vous ?",
        "Which neighbourhood do you live in?",
        True,
        None,
        None,
        [
            ("Trois-Cités", 45),
            ("Couronneries", 25),
            ("Beaulieu", 12),
            ("Saint-Éloi", 10),
            ("Autre", 8),
        ],
        ["Trois-Cités", "Couronneries", "Beaulieu", "Saint-Éloi", "Other"],
    ),
    (
        QuestionKind.SINGLE,
        "Quel âge avez-vous ?",
        "How old are you?",
        True,
        None,
        None,
        [("Moins de 25 ans", 18), ("25 à 44 ans", 34), ("45 à 64 ans", 30), ("65 ans et plus", 18)],
        ["Under 25", "25 to 44", "45 to 64", "65 and over"],
    ),
    (
        QuestionKind.SINGLE,
        "Avez-vous un médecin traitant ?",
        "Do you have a regular doctor (médecin traitant)?",
        True,
        None,
        None,
        [("Oui", 58), ("Non", 35), ("Je ne sais pas", 7)],
        ["Yes", "No", "I don't know"],
    ),
    (
        QuestionKind.MULTIPLE,
        "Qu'est-ce qui vous empêche de vous soigner ?",
        "What stops you from getting care?",
        False,
        None,
        None,
        [
            ("Le coût, l'avance des frais", 40),
            ("Les délais pour un rendez-vous", 55),
            ("Aucun médecin ne prend de nouveaux patients", 35),
            ("Les transports", 15),
            ("La langue", 10),
            ("Les démarches administratives", 25),
            ("Rien", 15),
        ],
        [
            "Cost, paying up front",
            "Waiting time for an appointment",
            "No doctor takes new patients",
            "Transport",
            "Language",
            "Paperwork",
            "Nothing",
        ],
    ),
    (
        QuestionKind.SCALE,
        "Êtes-vous satisfait·e de l'accès aux soins dans votre quartier ? (1 = pas du tout, "
        "5 = tout à fait)",
        "Are you satisfied with access to care in your neighbourhood? (1 = not at all, 5 = fully)",
        True,
        1,
        5,
        [],
        [],
    ),
    (
        QuestionKind.NUMBER,
        "Combien de fois avez-vous vu un médecin ces douze derniers mois ?",
        "How many times did you see a doctor in the last twelve months?",
        False,
        0,
        60,
        [],
        [],
    ),
    (
        QuestionKind.TEXT,
        "Qu'aimeriez-vous trouver au centre de santé ?",
        "What would you like to find at the health centre?",
        False,
        None,
        None,
        [],
        [],
    ),
]

FREE_TEXTS = [
    "Un dentiste",
    "Des consultations sans rendez-vous le samedi",
    "Quelqu'un pour aider avec les papiers de la CAF et de la CPAM",
    "Un pédiatre",
    "Des ateliers sur l'alimentation",
    "Un psychologue gratuit",
    "Un interprète en arabe",
    "Une permanence pour les personnes âgées",
    "Des horaires le soir après le travail",
    "Un ophtalmologiste",
]


def _survey(org: OrganisationSeed) -> Survey:
    director = org.users[f"direction@{DEMO_DOMAIN}"]
    survey, created = Survey.objects.get_or_create(
        title=SURVEY_TITLE,
        defaults={
            "introduction": "Questionnaire préparé avec les habitant·e·s du quartier pour "
            "connaître vos besoins de santé. Il est anonyme : vos réponses serviront au "
            "diagnostic présenté en réunion publique.",
            "languages": ["en"],
            "created_by": director,
            "status": SurveyStatus.OPEN,
            "opened_at": timezone.now() - datetime.timedelta(days=60),
            "public_token": new_public_token(),
        },
    )
    if created:
        for position, (kind, text, english, required, low, high, choices, en_choices) in enumerate(
            QUESTIONS, start=1
        ):
            question = Question.objects.create(
                survey=survey,
                position=position,
                kind=kind,
                text=text,
                translations={"en": english},
                required=required,
                min_value=low,
                max_value=high,
            )
            Choice.objects.bulk_create(
                Choice(
                    question=question,
                    position=index,
                    label=label,
                    translations={"en": en_choices[index - 1]},
                )
                for index, (label, _) in enumerate(choices, start=1)
            )
    return survey


def _sheets(org: OrganisationSeed, survey: Survey, rng: random.Random) -> int:
    if survey.sheets.exists():
        return 0
    volunteer = org.users.get(f"collecte@{DEMO_DOMAIN}")
    mediator = org.users.get(f"mediation@{DEMO_DOMAIN}")
    questions = list(survey.questions.prefetch_related("choices").order_by("position"))
    start = timezone.now() - datetime.timedelta(days=60)
    sheets = []
    for index in range(SHEETS):
        online = rng.random() < 0.15
        contact = rng.random() < 0.05
        sheets.append(
            AnswerSheet(
                survey=survey,
                channel=SheetChannel.ONLINE if online else SheetChannel.PAPER,
                entered_by=None if online else (volunteer if index % 3 else mediator),
                created_at=start + datetime.timedelta(minutes=index * 420 + rng.randint(0, 300)),
                wants_contact=contact,
                contact_name=f"Habitant·e n° {index + 1}" if contact else "",
                contact=f"06 00 00 {index // 100:02d} {index % 100:02d}" if contact else "",
            )
        )
    AnswerSheet.objects.bulk_create(sheets)
    answers: list[Answer] = []
    weights = {spec[1]: [w for _, w in spec[6]] for spec in QUESTIONS}
    for sheet in sheets:
        for question in questions:
            choices = list(question.choices.all())
            if question.kind == QuestionKind.SINGLE:
                (choice,) = rng.choices(choices, weights=weights[question.text])
                answers.append(Answer(sheet=sheet, question=question, choice=choice))
            elif question.kind == QuestionKind.MULTIPLE:
                picked = [
                    c
                    for c, w in zip(choices, weights[question.text], strict=True)
                    if rng.random() < w / 100
                ]
                answers += [Answer(sheet=sheet, question=question, choice=c) for c in picked]
            elif question.kind == QuestionKind.SCALE:
                value = rng.choices([1, 2, 3, 4, 5], weights=[14, 26, 30, 20, 10])[0]
                answers.append(Answer(sheet=sheet, question=question, number=value))
            elif question.kind == QuestionKind.NUMBER and rng.random() < 0.85:
                value = min(60, int(rng.expovariate(1 / 4)))
                answers.append(Answer(sheet=sheet, question=question, number=value))
            elif question.kind == QuestionKind.TEXT and rng.random() < 0.3:
                answers.append(Answer(sheet=sheet, question=question, text=rng.choice(FREE_TEXTS)))
    Answer.objects.bulk_create(answers)
    return len(sheets)


def _committee(org: OrganisationSeed) -> None:
    director = org.users[f"direction@{DEMO_DOMAIN}"]
    today = timezone.localdate()
    past_day = today - datetime.timedelta(days=45)
    next_day = today + datetime.timedelta(days=21)
    if CommitteeMeeting.objects.filter(place="Maison de quartier des Trois-Cités").exists():
        return
    past = CommitteeMeeting.objects.create(
        held_on=past_day,
        place="Maison de quartier des Trois-Cités",
        participants=14,
        agenda="1. Présentation du diagnostic santé\n2. Horaires du centre\n3. Idées des usagers",
        minutes="Quatorze usager·e·s présent·e·s, deux médecins et la coordinatrice. Le "
        "diagnostic montre que les délais de rendez-vous sont le premier frein. Le comité "
        "demande une plage sans rendez-vous et un affichage traduit à l'accueil.",
        created_by=director,
    )
    CommitteeDecision.objects.bulk_create(
        [
            CommitteeDecision(
                meeting=past,
                text="Ouvrir une plage de consultations sans rendez-vous le mardi matin",
                status=DecisionStatus.IN_PROGRESS,
                follow_up="Essai à partir du mois prochain avec le Dr Benali.",
            ),
            CommitteeDecision(
                meeting=past,
                text="Traduire l'affichage de l'accueil en arabe et en anglais",
                status=DecisionStatus.DONE,
                follow_up="Affiches posées.",
            ),
            CommitteeDecision(
                meeting=past, text="Présenter les résultats du diagnostic en réunion publique"
            ),
        ]
    )
    CommitteeMeeting.objects.create(
        held_on=next_day,
        place="Centre de santé — salle du rez-de-chaussée",
        participants=0,
        agenda="1. Suivi des décisions\n2. Plage sans rendez-vous : premier bilan",
        created_by=director,
    )
    UserRequest.objects.bulk_create(
        [
            UserRequest(
                raised_on=past_day,
                summary="Un atelier cuisine et petit budget",
                meeting=past,
                status=RequestStatus.STUDIED,
                created_by=director,
            ),
            UserRequest(
                raised_on=past_day,
                summary="Des bancs dans la salle d'attente pour les poussettes",
                meeting=past,
                status=RequestStatus.DONE,
                created_by=director,
            ),
            UserRequest(
                raised_on=past_day,
                summary="Un médecin le samedi matin",
                meeting=past,
                status=RequestStatus.DECLINED,
                decline_reason="Pas de médecin disponible le samedi pour l'instant ; la plage "
                "sans rendez-vous du mardi est essayée à la place.",
                created_by=director,
            ),
            UserRequest(
                raised_on=today - datetime.timedelta(days=10),
                summary="Un rappel des rendez-vous par SMS en arabe",
                status=RequestStatus.RECEIVED,
                created_by=director,
            ),
        ]
    )


def seed(org: OrganisationSeed, rng: random.Random) -> str:
    if f"direction@{DEMO_DOMAIN}" not in org.users:
        return ""
    survey = _survey(org)
    _sheets(org, survey, rng)
    _committee(org)
    return (
        f"{Survey.objects.count()} enquête(s), {AnswerSheet.objects.count()} questionnaires, "
        f"{CommitteeMeeting.objects.count()} réunions du comité d'usagers, "
        f"{UserRequest.objects.count()} idées ou demandes"
    )
