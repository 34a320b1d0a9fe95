import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fabrique.demo import DEMO_ACCOUNTS, DEMO_FABRIQUES
from fabrique.models import Fabrique, FabriqueHost, FabriqueTarget, Membership, Organisation, User
from tests.conftest import client_on

pytestmark = pytest.mark.django_db

MODELS = (Fabrique, FabriqueHost, FabriqueTarget, Membership, Organisation, User)


def _counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_demo_is_idempotent(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    first = _counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert _counts() == first
    assert first["Fabrique"] == len(DEMO_FABRIQUES)
    assert first["User"] == len(DEMO_ACCOUNTS)
    # one account per role, and the MEL portal answers on mel.localhost
    assert client_on("mel.localhost").get("/").status_code == 200


def test_seed_demo_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG est désactivé"):
        call_command("seed_demo")
    assert User.objects.count() == 0
