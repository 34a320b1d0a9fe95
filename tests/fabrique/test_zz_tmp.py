import pytest
from pathlib import Path
from tests.conftest import client_on
from tests.factories import UserFactory, enrol_totp
pytestmark = pytest.mark.django_db
def test_sg():
    staff = UserFactory(is_staff=True)
    enrol_totp(staff)
    r = client_on("localhost", staff).get("/styleguide/?page=5&q=lille")
    Path("/tmp/pages/sg.html").write_text(r.text)
