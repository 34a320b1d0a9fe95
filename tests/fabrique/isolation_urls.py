"""A URLconf for testing the isolation harness itself: one scoped view, one leaky view."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from fabrique import urls as project_urls
from fabrique.models import FabriqueTarget
from fabrique.tenancy import get_current_fabrique_or_404, get_for_fabrique_or_404


def scoped_target(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_for_fabrique_or_404(FabriqueTarget.objects.all(), get_current_fabrique_or_404(request), pk=pk)
    return HttpResponse(str(target.value))


def leaky_target(request: HttpRequest, pk: int) -> HttpResponse:
    target = FabriqueTarget.objects.get(pk=pk)  # the bug the harness exists to catch
    return HttpResponse(str(target.value))


harness_patterns = [
    path("objectifs/<int:pk>/", scoped_target, name="scoped_target"),
    path("fuite/<int:pk>/", leaky_target, name="leaky_target"),
]
# The project's own routes too: templates reverse them (header links, error pages).
urlpatterns = harness_patterns + project_urls.urlpatterns
