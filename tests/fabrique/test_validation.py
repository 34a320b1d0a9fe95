import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError

from fabrique.colours import contrast_ratio
from fabrique.env import env_bool, env_int
from fabrique.validators import validate_siret
from tests.factories import FabriqueFactory


def test_contrast_ratio_matches_wcag_reference_values():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.django_db
def test_a_pale_primary_colour_is_refused_in_french():
    fabrique = FabriqueFactory.build(primary_colour="#ffd700")
    with pytest.raises(ValidationError) as error:
        fabrique.full_clean()
    assert "Contraste insuffisant" in error.value.message_dict["primary_colour"][0]


@pytest.mark.parametrize("value", ["73282932000074", "35600000000001"])
def test_valid_siret(value):
    validate_siret(value)


@pytest.mark.parametrize("value", ["73282932000075", "1234", "7328293200007A"])
def test_invalid_siret(value):
    with pytest.raises(ValidationError):
        validate_siret(value)


def test_bad_environment_values_fail_at_start_up(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "peut-être")
    monkeypatch.setenv("SOME_NUMBER", "dix")
    with pytest.raises(ImproperlyConfigured):
        env_bool("SOME_FLAG")
    with pytest.raises(ImproperlyConfigured):
        env_int("SOME_NUMBER", 1)
