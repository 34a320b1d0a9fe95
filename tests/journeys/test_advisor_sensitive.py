"""Spotting likely sensitive data in a follow-up's free text."""

from __future__ import annotations

import pytest

from accompaniment.journeys.sensitive import sensitive_categories, sensitive_labels


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Elle est enceinte de 6 mois", "health"),
        ("Suivi d'une GROSSESSE difficile", "health"),
        ("sort d'une dépression", "health"),
        ("Déprimé, en arrêt maladie", "health"),
        ("Traitement lourd en cours", "health"),
        ("hospitalisé la semaine dernière", "health"),
        ("reconnaissance de handicap (RQTH)", "health"),
        ("Il fait le ramadan", "religion"),
        ("pratiquante musulmane", "religion"),
        ("Délégué syndical CGT", "opinions"),
        ("militante dans un parti politique", "opinions"),
        ("il est homosexuel", "sexual_life"),
        ("origine ethnique mentionnée", "origin"),
        ("Sortie de prison en mars", "criminal"),
        ("casier judiciaire non vierge", "criminal"),
        ("condamné pour vol", "criminal"),
    ],
)
def test_each_category_is_spotted_whatever_the_case_and_accents(text, category):
    assert category in sensitive_categories(text)


@pytest.mark.parametrize(
    "text",
    [
        "Étude de marché faite, prévisionnel à revoir",
        "Rendez-vous à la banque pour le prêt d'honneur",
        "Le porteur vise un local en centre-ville",
        "Prisonnier de ses habitudes ? Non : prisme commercial",  # no word boundary match
        "Malaxeur acheté pour la boulangerie",
    ],
)
def test_ordinary_project_notes_raise_nothing(text):
    assert sensitive_categories(text) == []


def test_several_categories_come_in_a_fixed_order_with_french_labels():
    assert sensitive_labels("Condamné, puis malade", "musulman") == [
        "santé",
        "religion ou convictions",
        "infractions, condamnations",
    ]
