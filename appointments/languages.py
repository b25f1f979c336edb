"""Language names for interpreter needs. Appointments store what was chosen (an ISO 639 code
from the patients' or outreach's lists, or a name typed at reception); pages, the day sheet and
the calendar feed show the French name (« Interprète : pachto »), never the code."""

from __future__ import annotations

# ISO 639-1/639-3 codes used by the patient record and the outreach forms, named in French.
LANGUAGE_NAMES: dict[str, str] = {
    "fr": "français",
    "ar": "arabe",
    "kab": "kabyle",
    "en": "anglais",
    "es": "espagnol",
    "pt": "portugais",
    "tr": "turc",
    "ru": "russe",
    "uk": "ukrainien",
    "ps": "pachto",
    "prs": "dari",
    "fa": "persan",
    "wo": "wolof",
    "ro": "roumain",
    "sq": "albanais",
    "ti": "tigrigna",
    "so": "somali",
    "ka": "géorgien",
    "ta": "tamoul",
    "bm": "bambara",
    "ln": "lingala",
    "zh": "chinois",
    "bn": "bengali",
    "ur": "ourdou",
    "hy": "arménien",
    "other": "autre langue",
}


def language_name(value: str) -> str:
    """`ps` → `pachto`; a name already typed (« arabe ») is kept as it is."""
    cleaned = (value or "").strip()
    return LANGUAGE_NAMES.get(cleaned.lower(), cleaned)
