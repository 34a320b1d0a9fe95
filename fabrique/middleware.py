"""Request-level platform concerns: tenant resolution, staff two-factor, headers."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django.shortcuts import redirect, render
from django.urls import reverse

from fabrique.accounts.mfa import user_access
from fabrique.host_cache import fabrique_for_host

Handler = Callable[[HttpRequest], HttpResponse]

# Paths that answer whatever the host: infrastructure, not tenant content.
TENANTLESS_PATHS = ("/healthz",)


class TenantMiddleware:
    """Resolve the Fabrique once per request from the Host header into `request.fabrique`.

    The national portal's hosts give `request.fabrique = None`; a host that is neither
    gets a plain 404 page, never another tenant's content.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.fabrique = None  # type: ignore[attr-defined]
        if request.path_info.startswith(TENANTLESS_PATHS):
            return self.get_response(request)
        host, _port = split_domain_port(request.get_host())  # validated against ALLOWED_HOSTS
        if host not in settings.NATIONAL_HOSTS:
            fabrique = fabrique_for_host(host)
            if fabrique is None:
                return render(request, "errors/unknown_host.html", {"host": host}, status=404)
            request.fabrique = fabrique  # type: ignore[attr-defined]
        return self.get_response(request)


class RequireStaffMFAMiddleware:
    """Staff roles (anyone who sees other people's data) must enrol in TOTP before anything else.

    The same query gives the roles the user holds in the current Fabrique (`request.fabrique_roles`).
    """

    allowed_prefixes = ("/accounts/", "/static/", "/healthz")

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            must_enrol, roles = user_access(user, getattr(request, "fabrique", None))
            request.fabrique_roles = roles  # type: ignore[attr-defined]  # read by the menu
            if must_enrol and not request.path_info.startswith(self.allowed_prefixes):
                return redirect(reverse("mfa_activate_totp") + "?next=" + request.get_full_path())
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
