"""Platform pages: home (national portal or a Fabrique's), health, logo, style guide."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

from fabrique.health import broker_status, database_status
from fabrique.models import Fabrique
from fabrique.tenancy import get_current_fabrique_or_404


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    fabrique = getattr(request, "fabrique", None)
    if fabrique is None:
        fabriques = Fabrique.objects.active().prefetch_related("hosts", "perimeter")
        return render(request, "fabrique/home_national.html", {"fabriques": fabriques})
    return render(request, "fabrique/home_fabrique.html", {"perimeter": fabrique.perimeter.all()})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers, with the broker's state in the body; 503 otherwise.

    Pages keep working without the broker (jobs wait in the outbox), so a broker
    outage is reported but does not make the instance unhealthy.
    """
    database = database_status()
    broker = broker_status()
    status = 200 if database == "ok" else 503
    return JsonResponse({"database": database, "broker": broker}, status=status)


@require_GET
@cache_control(max_age=3600, public=True)
def logo(request: HttpRequest) -> FileResponse:
    fabrique = get_current_fabrique_or_404(request)
    if not fabrique.logo:
        raise Http404
    return FileResponse(fabrique.logo.open("rb"))


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *", "Disallow: /accounts/", "Disallow: /admin/", "Disallow: /styleguide/"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@staff_member_required
@require_GET
def styleguide(request: HttpRequest) -> HttpResponse:
    return render(request, "fabrique/styleguide.html")
