"""The interface's promises: French, accessible structure, strict CSP, no third party, tenant theme."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.contrib.messages import constants as message_levels
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory

from fabrique.colours import shade
from fabrique.models import FabriqueHost
from tests.conftest import client_on
from tests.factories import DEFAULT_PASSWORD, FabriqueFactory, UserFactory, enrol_totp

pytestmark = pytest.mark.django_db

LABELLED_EXEMPT_TYPES = {"hidden", "submit", "button", "reset", "image"}


@dataclass
class Page:
    """What the checks need from a page, collected by one pass of html.parser."""

    html_lang: str | None = None
    first_link: dict[str, str] | None = None
    first_link_text: str = ""
    ids: dict[str, str] = field(default_factory=dict)
    urls: list[tuple[str, str, str]] = field(default_factory=list)  # (tag, attribute, value)
    label_for: set[str] = field(default_factory=set)
    controls: list[dict[str, str]] = field(default_factory=list)
    scripts: list[tuple[dict[str, str], str]] = field(default_factory=list)
    styles: list[tuple[dict[str, str], str]] = field(default_factory=list)
    style_attributes: list[str] = field(default_factory=list)
    event_handlers: list[str] = field(default_factory=list)
    elements: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    text_by_id: dict[str, str] = field(default_factory=dict)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._label_depth = 0
        self._raw: tuple[str, dict[str, str]] | None = None
        self._raw_text: list[str] = []
        self._in_first_link = False
        self._open_ids: list[tuple[str, str, int]] = []  # (tag, id, depth)
        self._depth = 0
        self._texts: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {name: value or "" for name, value in attrs_list}
        page = self.page
        page.elements.append((tag, attrs))
        if tag == "html":
            page.html_lang = attrs.get("lang")
        if "id" in attrs:
            page.ids[attrs["id"]] = tag
        for name in ("src", "href", "action", "srcset", "poster"):
            if name in attrs:
                page.urls.append((tag, name, attrs[name]))
        if "style" in attrs:
            page.style_attributes.append(tag)
        page.event_handlers += [name for name in attrs if name.startswith("on")]
        if tag == "a" and page.first_link is None:
            page.first_link = attrs
            self._in_first_link = True
        if tag == "label":
            self._label_depth += 1
            if attrs.get("for"):
                page.label_for.add(attrs["for"])
        if tag in {"input", "select", "textarea"}:
            page.controls.append({**attrs, "_tag": tag, "_in_label": "1" if self._label_depth else ""})
        if tag in {"script", "style"}:
            self._raw = (tag, attrs)
            self._raw_text = []
        if tag not in {"input", "img", "br", "hr", "meta", "link"}:
            self._depth += 1
            if "id" in attrs:
                self._open_ids.append((tag, attrs["id"], self._depth))
                self._texts[attrs["id"]] = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label_depth = max(0, self._label_depth - 1)
        if tag == "a":
            self._in_first_link = False
        if self._raw and tag == self._raw[0]:
            target = self.page.scripts if tag == "script" else self.page.styles
            target.append((self._raw[1], "".join(self._raw_text)))
            self._raw = None
        if tag not in {"input", "img", "br", "hr", "meta", "link"}:
            while self._open_ids and self._open_ids[-1][2] >= self._depth:
                _tag, element_id, _depth = self._open_ids.pop()
                self.page.text_by_id[element_id] = " ".join("".join(self._texts[element_id]).split())
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._raw:
            self._raw_text.append(data)
        if self._in_first_link:
            self.page.first_link_text += data
        for _tag, element_id, _depth in self._open_ids:
            self._texts[element_id].append(data)


def parse(html: str) -> Page:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector.page


def csp_nonce(response) -> str:
    header = response["Content-Security-Policy"]
    match = re.search(r"script-src [^;]*'nonce-([^']+)'", header)
    assert match, f"no script nonce in the CSP header: {header}"
    return match.group(1)


def assert_accessible_and_self_contained(response, *, link_hosts: set[str] = frozenset()) -> Page:
    """The checks every page must pass. `link_hosts`: other hosts of ours that links may point to."""
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    page = parse(html)
    own_host = response.wsgi_request.get_host()

    assert page.html_lang == "fr"
    # The skip link is the first link of the page and leads to the main content.
    assert page.first_link is not None
    assert page.first_link.get("href") == "#contenu"
    assert page.first_link_text.strip() == "Aller au contenu"
    assert page.ids.get("contenu") == "main"

    # Nothing from, and no link to, a host that is not ours.
    for tag, attribute, value in page.urls:
        value = value.strip()
        lowered = value.lower()
        if lowered.startswith(("http://", "https://", "//")):
            host = urlsplit(value if not lowered.startswith("//") else "http:" + value).netloc
            allowed = {own_host}
            if attribute == "href" and tag == "a":
                allowed |= link_hosts
            assert host in allowed, f"<{tag} {attribute}={value!r}> points to another host than {own_host}"
        assert not lowered.startswith("javascript:"), f"<{tag} {attribute}={value!r}>"

    # Every form control has a label (or an accessible name given by aria).
    for control in page.controls:
        if control["_tag"] == "input" and control.get("type", "text") in LABELLED_EXEMPT_TYPES:
            continue
        labelled = (
            control.get("id") in page.label_for
            or control["_in_label"]
            or control.get("aria-label")
            or control.get("aria-labelledby")
        )
        assert labelled, f"form control without a label: {control}"

    # Strict CSP: the header is there; every inline script and every style block carries its nonce;
    # no style attribute, no inline event handler (the CSP would block them).
    nonce = csp_nonce(response)
    header = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in header
    for attrs, body in page.scripts:
        if "src" not in attrs:
            assert attrs.get("nonce") == nonce, f"inline script without the nonce: {body[:80]!r}"
        else:
            assert not attrs["src"].startswith(("http://", "https://", "//"))
    for attrs, _body in page.styles:
        assert attrs.get("nonce") == nonce, "style block without the nonce"
    assert not page.style_attributes, f"style attributes on {page.style_attributes}"
    assert not page.event_handlers, f"inline event handlers: {page.event_handlers}"
    # Only our stylesheet, from our static files.
    stylesheets = [attrs["href"] for tag, attrs in page.elements if tag == "link" and attrs.get("rel") == "stylesheet"]
    assert stylesheets == ["/static/css/fabrique.css"]
    return page


def verified_user(**kwargs):
    user = UserFactory(**kwargs)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def reauthenticated(host: str, user):
    """A client signed in as `user` who just confirmed their password (allauth asks it for MFA pages)."""
    client = client_on(host, user)
    assert_accessible_and_self_contained(client.get("/accounts/reauthenticate/"))
    response = client.post("/accounts/reauthenticate/", {"password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    return client


# --- public pages ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "path"),
    [
        ("localhost", "/"),
        ("lille.localhost", "/"),
        ("localhost", "/accounts/login/"),
        ("localhost", "/accounts/signup/"),
        ("lille.localhost", "/accounts/login/"),
        ("lille.localhost", "/accounts/signup/"),
        ("lille.localhost", "/accounts/password/reset/"),
    ],
)
def test_public_pages_are_french_accessible_and_self_contained(fabrique, host, path):
    response = client_on(host).get(path)
    assert_accessible_and_self_contained(response, link_hosts={"lille.localhost"})


def test_national_home_lists_each_fabrique_as_a_card_linking_to_its_portal(fabrique, other_fabrique):
    FabriqueFactory(name="Fabrique fermée", inactive=True, host="fermee.localhost")
    response = client_on("localhost").get("/")
    page = assert_accessible_and_self_contained(response, link_hosts={"lille.localhost", "dunkerque.localhost"})
    card_links = [
        attrs["href"] for tag, attrs in page.elements if tag == "a" and attrs.get("href", "").startswith("//")
    ]
    assert card_links == ["//dunkerque.localhost/", "//lille.localhost/"]
    assert "Fabrique fermée" not in response.text


def test_links_to_fabriques_keep_the_port_the_visitor_used(fabrique):
    response = client_on("localhost:8000").get("/")
    assert 'href="//lille.localhost:8000/"' in response.text


def test_fabrique_without_primary_host_is_listed_without_a_link(fabrique):
    FabriqueHost.objects.filter(fabrique=fabrique).update(is_primary=False)
    response = client_on("localhost").get("/")
    assert "Fabrique de Lille" in response.text
    assert "//lille.localhost" not in response.text


def test_fabrique_home_presents_the_journey_and_the_territory(fabrique):
    from tests.factories import EPCIFactory

    fabrique.perimeter.add(EPCIFactory(name="Métropole Européenne de Lille", siren="200093201"))
    response = client_on("lille.localhost").get("/")
    page = assert_accessible_and_self_contained(response)
    html = response.text
    assert "<h1" in html
    assert "Fabrique de Lille" in page.text_by_id["titre-page"]
    stages = ["Sensibilisation", "Émergence", "Structuration", "Financement", "Création", "Post-création"]
    positions = [html.index(f'<span class="steps__title">{stage}</span>') for stage in stages]
    assert positions == sorted(positions)
    assert '<ol class="steps">' in html
    territory = html[html.index('id="titre-territoire"') :]
    assert "Métropole Européenne de Lille" in territory
    assert 'href="/accounts/signup/"' in html
    assert 'href="/accounts/login/"' in html


def test_tenant_theme_colours_are_set_in_the_nonced_style_block():
    FabriqueFactory(name="Fabrique bordeaux", primary_colour="#8a1538", host="bx.localhost")
    response = client_on("bx.localhost").get("/")
    page = assert_accessible_and_self_contained(response)
    (attrs, css) = page.styles[0]
    assert "--primary:#8a1538" in css.replace(" ", "")
    assert f"--primary-dark:{shade('#8a1538', 0.8)}" in css.replace(" ", "")
    assert attrs["nonce"] == csp_nonce(response)


def test_header_shows_the_tenant_logo_when_there_is_one(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    fabrique = FabriqueFactory(name="Fabrique à logo", host="logo.localhost")
    fabrique.logo = SimpleUploadedFile("logo.png", b"\x89PNG\r\n\x1a\n", content_type="image/png")
    fabrique.save()
    page = parse(client_on("logo.localhost").get("/").text)
    logos = [attrs for tag, attrs in page.elements if tag == "img" and attrs.get("class") == "brand__logo"]
    assert logos == [{"class": "brand__logo", "src": "/logo", "alt": "Fabrique à logo"}]


def test_anonymous_header_offers_login_and_signup(fabrique):
    html = client_on("lille.localhost").get("/").text
    assert 'href="/accounts/login/"' in html
    assert 'href="/accounts/signup/"' in html
    assert "Se déconnecter" not in html


def test_htmx_is_served_by_us_with_the_nonce_and_without_indicator_styles(fabrique):
    response = client_on("lille.localhost").get("/")
    page = parse(response.text)
    htmx = [attrs for attrs, _body in page.scripts if "htmx" in attrs.get("src", "")]
    assert htmx
    assert htmx[0]["src"].startswith("/static/django_htmx/")
    assert htmx[0]["nonce"] == csp_nonce(response)
    assert """<meta name="htmx-config" content='{"includeIndicatorStyles":false}'>""" in response.text


# --- signed-in pages ---------------------------------------------------------------------


def test_signed_in_header_shows_email_account_links_and_a_post_logout(fabrique):
    user = verified_user()
    html = client_on("lille.localhost", user).get("/").text
    assert user.email in html
    assert 'href="/accounts/email/"' in html
    assert 'href="/accounts/2fa/"' in html
    assert re.search(
        r'<form method="post" action="/accounts/logout/">\s*<input type="hidden" name="csrfmiddlewaretoken"', html
    )


@pytest.mark.parametrize("path", ["/accounts/email/", "/accounts/2fa/", "/accounts/password/change/"])
def test_account_pages_use_our_layout(fabrique, path):
    response = client_on("lille.localhost", verified_user()).get(path)
    page = assert_accessible_and_self_contained(response)
    assert any(tag == "nav" and "side-nav" in attrs.get("class", "") for tag, attrs in page.elements)


def test_totp_activation_shows_the_qr_code_as_a_data_image_allowed_by_the_csp(fabrique):
    client = reauthenticated("lille.localhost", verified_user())
    response = client.get("/accounts/2fa/totp/activate/")
    page = assert_accessible_and_self_contained(response)
    images = [attrs for tag, attrs in page.elements if tag == "img" and "qr-code" in attrs.get("class", "")]
    assert len(images) == 1
    assert images[0]["src"].startswith("data:image/svg+xml")
    assert images[0]["alt"]
    assert re.search(r"img-src [^;]*data:", response["Content-Security-Policy"])


def test_messages_are_rendered_as_alerts(fabrique):
    client = client_on("lille.localhost", verified_user())
    response = client.post("/accounts/logout/", follow=True)
    assert response.status_code == 200
    html = response.text
    assert re.search(r'<div class="alert alert--(info|success)"\s+role="status">', html)
    assert "sr-only" in html


# --- forms -------------------------------------------------------------------------------


def test_field_errors_are_linked_to_their_input(fabrique):
    response = client_on("lille.localhost").post(
        "/accounts/signup/", {"email": "pas-une-adresse", "password1": "court", "password2": "autre"}
    )
    page = parse(response.text)
    email = next(c for c in page.controls if c.get("name") == "email")
    assert email.get("aria-invalid") == "true"
    described = email["aria-describedby"].split()
    assert "id_email_error" in described
    assert "valide" in page.text_by_id["id_email_error"]
    # The summary at the top links to the field.
    assert 'href="#id_email"' in response.text
    assert 'role="alert"' in response.text


def test_login_failure_is_announced(fabrique):
    response = client_on("lille.localhost").post("/accounts/login/", {"login": "x@example.org", "password": "non"})
    assert response.status_code == 200
    assert '<div class="alert alert--error" role="alert">' in response.text


# --- style guide -------------------------------------------------------------------------


def test_styleguide_is_hidden_from_anonymous_visitors():
    response = client_on("localhost").get("/styleguide/")
    assert response.status_code in (302, 403)


def test_styleguide_is_hidden_from_non_staff_users():
    response = client_on("localhost", verified_user()).get("/styleguide/")
    assert response.status_code in (302, 403)


def test_styleguide_sends_staff_without_totp_to_enrolment():
    response = client_on("localhost", verified_user(is_staff=True)).get("/styleguide/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/totp/activate/")


def test_styleguide_shows_every_component_to_staff():
    staff = verified_user(is_staff=True)
    enrol_totp(staff)
    response = client_on("localhost", staff).get("/styleguide/?page=5&q=lille")
    page = assert_accessible_and_self_contained(response)
    html = response.text
    for marker in [
        'class="btn btn--secondary"',
        'class="alert alert--error"',
        'class="badge badge--success"',
        'class="card card--link"',
        'class="field field--error"',
        'class="table-wrapper"',
        'class="pagination"',
        'class="breadcrumb"',
        'class="steps"',
        "components/field.html",
    ]:
        assert marker in html, marker
    # Pagination keeps the other parameters.
    assert "?page=6&amp;q=lille" in html
    assert any(attrs.get("aria-current") == "page" and tag == "a" for tag, attrs in page.elements)


# --- components in isolation -------------------------------------------------------------


def test_pagination_keeps_other_query_parameters_and_marks_the_current_page():
    request = RequestFactory().get("/aides/", {"q": "prêt", "stage": "financement", "page": "2"})
    page = Paginator(range(100), 10).page(2)
    html = render_to_string("components/pagination.html", {"page": page}, request=request)
    assert 'href="?q=pr%C3%AAt&amp;stage=financement&amp;page=3"' in html
    assert 'rel="prev"' in html
    assert 'rel="next"' in html
    assert re.search(r'aria-current="page"><span class="sr-only">Page</span> 2<', html)
    assert "…" in html


def test_pagination_renders_nothing_for_a_single_page():
    request = RequestFactory().get("/")
    html = render_to_string("components/pagination.html", {"page": Paginator(range(5), 10).page(1)}, request=request)
    assert html.strip() == ""


def test_alert_levels_have_roles_and_screen_reader_prefixes():
    error = render_to_string("components/alert.html", {"level": "error", "message": "Créneau pris."})
    assert 'role="alert"' in error
    assert "Erreur :" in error
    info = render_to_string("components/alert.html", {"message": "Bientôt."})
    assert 'role="status"' in info
    assert "Information :" in info


def test_breadcrumb_tag_marks_the_current_page():
    from django.template import Context, Template

    html = Template('{% load ui %}{% breadcrumb "Accueil" "/" "Aides" "/aides/" "Prêt" %}').render(Context())
    assert '<a href="/aides/">Aides</a>' in html
    assert '<span aria-current="page">Prêt</span>' in html
    assert "Fil d&#x27;Ariane" in html or "Fil d'Ariane" in html


def test_message_level_mapping():
    from fabrique.templatetags.ui import message_level

    assert message_level(message_levels.DEFAULT_TAGS[message_levels.ERROR]) == "error"
    assert message_level("debug") == "info"
    assert message_level("success extra") == "success"


# --- error pages -------------------------------------------------------------------------


def test_unknown_host_page_says_so_in_french_without_account_links(fabrique):
    response = client_on("inconnue.localhost").get("/")
    assert response.status_code == 404
    html = response.text
    assert "Cette adresse ne correspond à aucune Fabrique" in html
    assert '<html lang="fr">' in html
    assert "/accounts/login/" not in html
    assert "Fabrique de Lille" not in html


def test_404_page_uses_our_layout(fabrique):
    response = client_on("lille.localhost").get("/nulle-part/")
    assert response.status_code == 404
    assert "Page introuvable" in response.text
    assert 'href="#contenu"' in response.text


@pytest.mark.parametrize("template", ["500.html", "400.html", "403_csrf.html"])
def test_standalone_error_pages_render_without_request_or_context(template):
    html = render_to_string(template)
    page = parse(html)
    assert page.html_lang == "fr"
    assert page.first_link
    assert page.first_link["href"] == "#contenu"
    assert '<link rel="stylesheet" href="/static/css/fabrique.css">' in html
    assert not page.scripts
    assert not page.styles
    assert "{{" not in html
    assert "{%" not in html


def test_403_page_renders_with_the_request(fabrique):
    from django.core.exceptions import PermissionDenied
    from django.views.defaults import permission_denied

    request = RequestFactory(HTTP_HOST="lille.localhost").get("/")
    request.fabrique = fabrique
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    assert "Accès refusé" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    ["/accounts/password/reset/done/", "/accounts/confirm-email/", "/accounts/password/reset/key/1-set-password/"],
)
def test_other_public_account_pages_render_in_our_layout(fabrique, path):
    assert_accessible_and_self_contained(client_on("lille.localhost").get(path))


def test_two_factor_pages_render_in_our_layout(fabrique):
    user = verified_user()
    client = reauthenticated("lille.localhost", user)
    assert_accessible_and_self_contained(client.get("/accounts/logout/"))
    enrol_totp(user)
    for path in ["/accounts/2fa/", "/accounts/2fa/recovery-codes/generate/", "/accounts/2fa/totp/deactivate/"]:
        assert_accessible_and_self_contained(client.get(path))
    assert client.post("/accounts/2fa/recovery-codes/generate/").status_code == 302
    page = assert_accessible_and_self_contained(client.get("/accounts/2fa/recovery-codes/"))
    assert "recovery_codes" in page.ids


def test_second_factor_step_of_login_renders_in_our_layout(fabrique):
    user = verified_user(is_staff=True)
    enrol_totp(user)
    client = client_on("lille.localhost")
    response = client.post("/accounts/login/", {"login": user.email, "password": DEFAULT_PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    page = assert_accessible_and_self_contained(client.get("/accounts/2fa/authenticate/"))
    assert any(control.get("name") == "code" for control in page.controls)


@pytest.mark.django_db
def test_fabrique_home_leads_to_the_questionnaire(fabrique):
    response = client_on("lille.localhost").get("/")
    assert 'href="/quelle-aide-pour-moi/"' in response.text
