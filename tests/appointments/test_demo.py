"""The demo availability: booking works out of `make run` (idempotent seed)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accompaniment.appointments.models import Appointment, AvailabilityRange, Motive
from fabrique.models import User
from tests.conftest import client_on

pytestmark = pytest.mark.django_db


def _seed(settings) -> str:
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_the_demo_advisor_is_bookable_and_the_demo_holder_has_an_appointment(settings, geography):
    assert "1 rendez-vous réservé" in _seed(settings)
    counts = (Motive.objects.count(), AvailabilityRange.objects.count(), Appointment.objects.count())
    assert "0 rendez-vous réservé" in _seed(settings)
    assert (Motive.objects.count(), AvailabilityRange.objects.count(), Appointment.objects.count()) == counts
    assert counts == (2, 3, 1)

    holder = User.objects.get(email="porteur@demo.fabrique.test")
    client = client_on("mel.localhost", holder)
    assert "Premier rendez-vous d" in client.get(reverse("journeys:my_journey")).content.decode()
    motive = Motive.objects.get(name__startswith="Point d'étape")
    slots = client.get(reverse("appointments:slots", kwargs={"pk": motive.pk}))
    assert slots.status_code == 200
    assert reverse("appointments:confirm", kwargs={"pk": motive.pk}) + "?" in slots.content.decode()
