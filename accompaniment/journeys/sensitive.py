"""Spot likely sensitive data (GDPR article 9 and 10) in the free text of a follow-up.

An advisor's note should say what was done for the project, not who the person is. Health,
religion, opinions, sexual orientation, ethnic origin or a criminal record have no place
there unless truly needed: the follow-up form warns and asks for an explicit confirmation.

Matching is accent- and case-insensitive, on word boundaries (a stem matches its
inflections: "hospitalis" catches "hospitalisé", "hospitalisation"). It is a warning, not a
filter: false positives cost one tick, false negatives are accepted.
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

# Category label → stems and words (written without accents, lower case). A stem ending
# with "*" matches any ending; other entries match the whole word (plural "s"/"x" allowed).
CATEGORIES: dict[str, tuple[str, ...]] = {
    "health": (
        "maladie*",
        "malade",
        "cancer*",
        "chimio*",
        "tumeur",
        "enceinte",
        "grossesse",
        "depression*",
        "depressif*",
        "handicap*",
        "invalidite",
        "traitement",
        "hospitalis*",
        "hopital",
        "psychiatr*",
        "psycholog*",
        "diabete",
        "diabetique",
        "vih",
        "sida",
        "seropositi*",
        "alcoolis*",
        "addiction*",
        "toxicoman*",
        "burn-out",
        "burnout",
        "arret maladie",
        "mdph",
        "aah",
        "medicament*",
        "therapie",
        "sante mentale",
    ),
    "religion": (
        "religion*",
        "religieu*",
        "musulman*",
        "chretien*",
        "catholique*",
        "protestant*",
        "juif",
        "juive*",
        "juifs",
        "islam*",
        "mosquee*",
        "eglise*",
        "synagogue*",
        "ramadan",
        "voile",
        "priere*",
        "athee*",
        "bouddhis*",
    ),
    "opinions": (
        "syndiqu*",
        "syndicat*",
        "syndical*",
        "cgt",
        "cfdt",
        "militant*",
        "parti politique",
        "opinion* politique*",
        "vote pour",
        "extreme droite",
        "extreme gauche",
        "communiste*",
        "sympathisant*",
    ),
    "sexual_life": (
        "homosexu*",
        "heterosexu*",
        "bisexu*",
        "gay",
        "lesbienne*",
        "transgenre*",
        "orientation sexuelle",
        "vie sexuelle",
        "lgbt*",
    ),
    "origin": (
        "origine ethnique",
        "ethnie*",
        "race",
        "racial*",
        "couleur de peau",
        "sans papiers",
        "sans-papiers",
    ),
    "criminal": (
        "casier judiciaire",
        "condamn*",
        "prison",
        "incarcer*",
        "detenu*",
        "detention",
        "garde a vue",
        "sursis",
        "bracelet electronique",
        "spip",
        "delit*",
        "infraction*",
    ),
}

LABELS = {
    "health": _("santé"),
    "religion": _("religion ou convictions"),
    "opinions": _("opinions politiques ou syndicales"),
    "sexual_life": _("vie ou orientation sexuelle"),
    "origin": _("origine ethnique ou raciale"),
    "criminal": _("infractions, condamnations"),
}


def normalise(text: str) -> str:
    """Lower case, without accents, apostrophes as spaces (« l'hôpital » → « l hopital »)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"['’]", " ", stripped)


def _pattern(entries: tuple[str, ...]) -> re.Pattern[str]:
    parts = []
    for entry in entries:
        words = [re.escape(word) for word in entry.rstrip("*").split(" ")]
        body = r"\s+".join(words)
        parts.append(body + (r"[\w-]*" if entry.endswith("*") else r"[sx]?"))
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])")


_PATTERNS = {category: _pattern(entries) for category, entries in CATEGORIES.items()}


def sensitive_categories(*texts: str) -> list[str]:
    """The categories (keys of CATEGORIES) that these texts seem to touch, in a fixed order."""
    text = normalise(" \n ".join(texts))
    return [category for category, pattern in _PATTERNS.items() if pattern.search(text)]


def sensitive_labels(*texts: str) -> list[str]:
    """French names of the categories found, for the warning."""
    return [str(LABELS[category]) for category in sensitive_categories(*texts)]
