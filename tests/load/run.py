"""Load test (`make load`): gunicorn on a free loopback port, serving the generated centre
(tests/bench/generator.py, same database as `make bench`), with a Celery worker for the
exports; 30 receptionists, 10 mediators and a director work at the same time for a bounded
duration, then everything stops by itself and one table is printed.

    make load                          # 90 s
    make load LOAD_ARGS="--duration 60 --receptionists 30 --mediators 10"

A receptionist searches a patient, opens the day agenda with a consultation type (free slots
shown), opens the booking form of a free slot and books it (another receptionist may have
taken the slot meanwhile: the form then says so, counted as a conflict, not an error). A
mediator opens their home page and the session form, and logs a session. The director asks
for the annual report once, polls its progress, downloads the PDF, then looks at the list of
reports now and then. Each simulated person waits 3–8 s between actions (`--think`; a real
receptionist clicks every 15 s or so). What they created is deleted at the end.
Targets: no 5xx; p95 under 300 ms for search, agenda and booking. Only 127.0.0.1 is
contacted; the number of people (≤ 150) and the duration (≤ 600 s) are bounded.
"""

from __future__ import annotations

import argparse
import datetime
import html
import http.client
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TARGET_MS = 300
TARGETED = ("recherche patient", "agenda du jour", "formulaire de RDV", "prise de RDV")
MAX_DURATION = 600


def _test_database_url() -> str:
    """The bench's test database, where the generated centre lives (`make bench`)."""
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/passerelle_bench")
    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith("test_"):
        name = f"test_{name}"
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


# --- HTTP -----------------------------------------------------------------------------------


@dataclass
class Stats:
    samples: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    notes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, page: str, ms: float, status: int) -> None:
        with self.lock:
            self.samples[page].append(ms)
            self.statuses[page][status] += 1

    def note(self, what: str) -> None:
        with self.lock:
            self.notes[what] += 1


class Browser:
    """One person's session: cookies, CSRF token, timings recorded per page name."""

    def __init__(self, port: int, cookie: str, stats: Stats) -> None:
        self.port, self.stats = port, stats
        self.cookies: dict[str, str] = dict([cookie.split("=", 1)])

    def _request(
        self, page: str, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, str, dict[str, str]]:
        headers = {
            "Host": "127.0.0.1",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        began = time.perf_counter()
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
            status = response.status
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name] = rest.split(";", 1)[0]
            location = response.getheader("Location") or ""
        except OSError:
            text, status, location = "", 0, ""
        finally:
            conn.close()
        self.stats.add(page, (time.perf_counter() - began) * 1000, status)
        return status, text, {"location": location}

    def get(self, page: str, path: str) -> tuple[int, str]:
        status, text, _ = self._request(page, "GET", path)
        return status, text

    def post(self, page: str, path: str, body: dict[str, Any]) -> tuple[int, str, str]:
        status, text, extra = self._request(page, "POST", path, body)
        return status, text, extra["location"]


class FormValues(HTMLParser):
    """The values a browser would submit for the <form method=post> posting to `action`."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.values: dict[str, list[str]] = defaultdict(list)
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None
        self._in_form = False
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if self._done:
            return
        if tag == "form" and a.get("method", "").lower() == "post":
            self._in_form = a.get("action", "") in ("", self.action)
        if not self._in_form:
            return
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.values[name].append(a.get("value", "on"))
            elif kind not in ("submit", "button", "file"):
                self.values[name].append(a.get("value", ""))
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in a:
                self.values[self._select].append(value)
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select:
            if not self._select_chosen and self._select_first is not None:
                self.values[self._select].append(self._select_first)
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self._in_form:
            self._in_form, self._done = False, True


def form_values(page: str, action: str) -> dict[str, list[str]]:
    parser = FormValues(action)
    parser.feed(page)
    return dict(parser.values)


# --- people ---------------------------------------------------------------------------------


@dataclass
class World:
    port: int
    stop_at: float
    stats: Stats
    urls: dict[str, str]
    site_id: int
    type_ids: list[int]
    search_terms: list[str]
    patient_ids: list[int]
    days: list[datetime.date]
    think: tuple[float, float] = (3.0, 8.0)
    errors: list[str] = field(default_factory=list)


def _think(world: World, rng: random.Random) -> bool:
    time.sleep(rng.uniform(*world.think))
    return time.monotonic() < world.stop_at


SLOT_LINK = re.compile(r'href="(/rendez-vous/nouveau/\?practitioner=[^"]+)"')


def receptionist(world: World, cookie: str, seed: int) -> None:
    rng = random.Random(seed)
    browser = Browser(world.port, cookie, world.stats)
    while _think(world, rng):
        term = rng.choice(world.search_terms)
        browser.get("recherche patient", f"{world.urls['search']}?q={urllib.parse.quote(term)}")
        if not _think(world, rng):
            break
        day = rng.choice(world.days)
        ctype = rng.choice(world.type_ids)
        status, page = browser.get(
            "agenda du jour",
            f"{world.urls['day']}?site={world.site_id}&date={day:%Y-%m-%d}&type={ctype}",
        )
        links = SLOT_LINK.findall(page)
        if status != 200 or not links:
            world.stats.note("agenda sans créneau libre")
            continue
        if not _think(world, rng):
            break
        status, page = browser.get("formulaire de RDV", html.unescape(rng.choice(links)))
        if status != 200:
            continue
        values = form_values(page, world.urls["book"])
        values["patient"] = [str(rng.choice(world.patient_ids))]
        values["send_confirmation"] = []
        status, page, _ = browser.post("prise de RDV", world.urls["book"], values)
        if status == 302:
            world.stats.note("RDV pris")
        elif status == 200 and ("plus libre" in page or "déjà un rendez-vous" in page):
            world.stats.note("RDV refusé : créneau pris entre-temps (conflit)")
        elif status < 500:
            world.stats.note(f"RDV refusé ({status})")
            _remember(world, "prise de RDV", page)


def mediator(world: World, cookie: str, seed: int) -> None:
    rng = random.Random(seed)
    browser = Browser(world.port, cookie, world.stats)
    while _think(world, rng):
        browser.get("accueil médiation", world.urls["mediation"])
        if not _think(world, rng):
            break
        status, page = browser.get("formulaire d'entretien", world.urls["session_new"])
        if status != 200:
            continue
        values = form_values(page, world.urls["session_new"])
        values.update(topics=[rng.choice(["c2s", "ame", "amo"])], sex=["F"], age_band=[])
        status, page, _ = browser.post(
            "enregistrer un entretien", world.urls["session_new"], values
        )
        if status == 302:
            world.stats.note("entretien enregistré")
        else:
            world.stats.note(f"entretien refusé ({status})")
            _remember(world, "entretien", page)


def director(world: World, cookie: str, seed: int) -> None:
    rng = random.Random(seed)
    browser = Browser(world.port, cookie, world.stats)
    year = datetime.date.today().year - 1
    while _think(world, rng):  # one annual export, then the list of reports now and then
        browser.get("liste des rapports", world.urls["reports"])
        if world.stats.notes.get("rapport demandé"):
            time.sleep(10)
            continue
        world.stats.note("rapport demandé")
        status, page, location = browser.post(
            "demande de rapport",
            world.urls["report_create"],
            {"template": "annual_centre", "start": f"{year}-01-01", "end": f"{year}-12-31"},
        )
        if status != 302:
            _remember(world, "rapport", page)
            continue
        run_path = urllib.parse.urlsplit(location).path
        began = time.monotonic()
        while time.monotonic() < world.stop_at + 60:
            time.sleep(1)
            _, page = browser.get("avancement du rapport", f"{run_path}avancement/")
            if "Télécharger le PDF" in page or "n'a pas pu" in page:
                break
        link = re.search(r'href="([^"]+)">Télécharger le PDF', page)
        if link:
            world.stats.note(f"rapport annuel prêt en {time.monotonic() - began:.0f} s")
            browser.get("téléchargement PDF", html.unescape(link.group(1)))
        else:
            world.stats.note("rapport non produit")


def _remember(world: World, what: str, page: str) -> None:
    errors = [
        re.sub(r"<[^>]+>", "", e).strip()
        for e in re.findall(
            r'class="(?:errorlist|field-error|message message-error)[^"]*"[^>]*>(.{3,300}?)</',
            page,
            re.S,
        )
    ]
    if len(world.errors) < 5:
        world.errors.append(f"{what} : {errors[:3] or page[:200]}")


# --- set-up ---------------------------------------------------------------------------------


def _setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "centre.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _prepare(people: dict[str, int]) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """Migrate and generate if needed, then log the simulated people in (sessions in the
    database, as a real login leaves them)."""
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from appointments.models import ConsultationType
    from patients.models import Patient
    from tests.bench import generator

    call_command("migrate", verbosity=0)
    centre, seconds = generator.ensure()
    if seconds:
        print(f"Centre généré en {seconds:.0f} s.")
    users = {
        "receptionist": centre.receptionists,
        "mediator": centre.mediators,
        "director": [centre.director],
    }
    cookies: dict[str, list[str]] = {}
    for kind, count in people.items():
        cookies[kind] = []
        for n in range(count):
            client = Client()
            user = users[kind][n % len(users[kind])]
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
            name = settings.SESSION_COOKIE_NAME
            cookies[kind].append(f"{name}={client.cookies[name].value}")
    rng = random.Random(8)
    ids = list(Patient.objects.order_by("pk").values_list("pk", flat=True))
    sample = Patient.objects.filter(pk__in=rng.sample(ids, 200)).values_list(
        "last_name", "first_name", "birth_date"
    )
    terms = [f"{last[:5]}" for last, _, _ in sample] + [
        f"{last} {first[:3]}" for last, first, _ in sample
    ]
    first_day = centre.anchor + datetime.timedelta(weeks=6)  # beyond the generated weeks
    world = {
        "urls": {
            "search": reverse("patients:search_results"),
            "day": reverse("appointments:day"),
            "book": reverse("appointments:book"),
            "mediation": "/mediation/",
            "session_new": reverse("outreach_session_new"),
            "reports": reverse("reports:list"),
            "report_create": reverse("reports:create"),
        },
        "site_id": centre.site.pk,
        "type_ids": list(
            ConsultationType.objects.filter(label__startswith="Consultation générée").values_list(
                "pk", flat=True
            )
        ),
        "search_terms": terms,
        "patient_ids": rng.sample(ids, 5000),
        "days": [
            first_day + datetime.timedelta(days=d)
            for d in range(28)
            if (first_day + datetime.timedelta(days=d)).weekday() < 5
        ],
    }
    return cookies, world


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(port: int, timeout: float = 60) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn n'a pas démarré")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=90, help="secondes (≤ 600)")
    parser.add_argument("--receptionists", type=int, default=30)
    parser.add_argument("--mediators", type=int, default=10)
    parser.add_argument("--workers", type=int, default=5, help="workers gunicorn")
    parser.add_argument(
        "--think", type=float, nargs=2, default=(3.0, 8.0), help="attente entre deux actions (s)"
    )
    args = parser.parse_args()
    duration = max(10, min(args.duration, MAX_DURATION))
    receptionists, mediators = min(args.receptionists, 100), min(args.mediators, 50)

    database_url = _test_database_url()
    _setup_django(database_url)
    from django.conf import settings
    from django.utils import timezone

    media = Path(settings.BASE_DIR) / "tests" / "artifacts" / "load-media"
    env = {
        **os.environ,
        "PASSERELLE_ENV": "test",
        "DEBUG": "false",
        "DATABASE_URL": database_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "MEDIA_ROOT": str(media),
    }
    cookies, setup = _prepare({"receptionist": receptionists, "mediator": mediators, "director": 1})
    port = _free_port()
    logs = Path(settings.BASE_DIR) / "tests" / "artifacts"
    logs.mkdir(parents=True, exist_ok=True)
    bindir = Path(sys.executable).parent
    web_log = (logs / "load-gunicorn.log").open("wb")
    worker_log = (logs / "load-worker.log").open("wb")
    web = subprocess.Popen(
        [str(bindir / "gunicorn"), "centre.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--timeout", "60"],
        cwd=ROOT, env=env, stdout=web_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    worker = subprocess.Popen(
        [str(bindir / "celery"), "-A", "centre", "worker", "--pool", "solo", "--loglevel", "INFO"],
        cwd=ROOT, env=env, stdout=worker_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    stats = Stats()
    try:
        _wait(port)
        # Warm-up: each worker imports everything on its first requests (not measured).
        warm = Browser(port, cookies["receptionist"][0], Stats())
        for _ in range(args.workers * 3):
            warm.get("warm-up", setup["urls"]["day"])
        world = World(
            port=port,
            stop_at=time.monotonic() + duration,
            stats=stats,
            think=(max(0.5, args.think[0]), max(args.think)),
            **setup,
        )
        started_at = timezone.now()
        threads = [
            threading.Thread(target=receptionist, args=(world, c, n))
            for n, c in enumerate(cookies["receptionist"])
        ]
        threads += [
            threading.Thread(target=mediator, args=(world, c, 100 + n))
            for n, c in enumerate(cookies["mediator"])
        ]
        threads.append(threading.Thread(target=director, args=(world, cookies["director"][0], 7)))
        print(
            f"Charge : {receptionists} accueil, {mediators} médiation, 1 direction pendant "
            f"{duration} s sur http://127.0.0.1:{port}/ ({args.workers} workers gunicorn)…",
            flush=True,
        )
        began = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=duration + 180)
        elapsed = time.monotonic() - began
    finally:
        web.terminate()
        worker.terminate()
        for process in (web, worker):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        web_log.close()
        worker_log.close()
        if "started_at" in locals():
            _clean_up(started_at, first_day=min(setup["days"]))
    return _report(stats, elapsed, world.errors)


def _clean_up(since: datetime.datetime, *, first_day: datetime.date) -> None:
    """Remove what the simulated people created, so the generated centre stays as generated
    for `make bench` (audit entries stay: the journal is append-only)."""
    from appointments.models import Appointment
    from centre.reports.models import ReportRun
    from outreach.models import Person, RightsSession

    # Bookings were made on days after the generated weeks only (generated future
    # appointments carry a creation date of their own, possibly after `since`).
    Appointment.objects.filter(created_at__gte=since, start__date__gte=first_day).delete()
    people = set(
        RightsSession.objects.filter(created_at__gte=since).values_list("person_id", flat=True)
    )
    RightsSession.objects.filter(created_at__gte=since).delete()
    Person.objects.filter(pk__in=people, created_at__gte=since, sessions__isnull=True).delete()
    ReportRun.objects.filter(created_at__gte=since).delete()


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def _report(stats: Stats, elapsed: float, errors: list[str]) -> int:
    total = sum(len(v) for v in stats.samples.values())
    server_errors = sum(
        n for codes in stats.statuses.values() for code, n in codes.items() if code >= 500
    )
    failures = sum(codes.get(0, 0) for codes in stats.statuses.values())
    print(f"\n{total} requêtes en {elapsed:.0f} s, soit {total / elapsed:.1f} requêtes/s")
    header = f"{'page':<28} {'requêtes':>8} {'médiane':>9} {'p95':>9}  {'codes':<22} cible"
    print(header)
    print("-" * len(header))
    ok = server_errors == 0 and failures == 0
    for page, values in stats.samples.items():
        codes = ", ".join(f"{c}×{n}" for c, n in sorted(stats.statuses[page].items()))
        target = ""
        if page in TARGETED:
            passed = _p95(values) < TARGET_MS
            ok = ok and passed
            target = f"p95 < {TARGET_MS} ms : {'oui' if passed else 'NON'}"
        print(
            f"{page:<28} {len(values):>8} {statistics.median(values):>7.0f}ms "
            f"{_p95(values):>7.0f}ms  {codes:<22} {target}"
        )
    print(f"Erreurs 5xx : {server_errors} ; connexions échouées : {failures}")
    for what, n in sorted(stats.notes.items()):
        print(f"  {what} : {n}")
    for error in errors:
        print(f"  exemple de refus — {error}")
    print("Résultat :", "objectifs atteints" if ok else "objectifs NON atteints")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
