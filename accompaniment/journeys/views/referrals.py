"""Referrals between structures (`/suivi/orientations/`), for advisors and structure managers.

A referral is seen by its sending and its target structure only; anyone else, territory staff
and funders included, gets a 404 — a referral carries a holder's contact details and message.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accompaniment.journeys import referrals as services
from accompaniment.journeys.access import acting_organisations
from accompaniment.journeys.forms_coordination import ReferralDeclineForm, ReferralFilter, ReferralForm
from accompaniment.journeys.models import Holder, Referral
from fabrique.access import fabrique_role_required
from fabrique.forms import form_add_service_errors
from fabrique.models import Fabrique, Organisation, Role

advisor_required = fabrique_role_required(Role.ADVISOR, Role.STRUCTURE_MANAGER)
REFERRAL_PAGE_SIZE = 50


def acting_or_404(request: HttpRequest) -> tuple[Fabrique, list[Organisation]]:
    """The Fabrique and the structures the user acts for in it; 404 when none."""
    fabrique: Fabrique = request.fabrique  # type: ignore[attr-defined]  # set, advisor_required checked it
    organisations = list(acting_organisations(request.user, fabrique))
    if not organisations:
        raise Http404
    return fabrique, organisations


def with_overdue(queryset: Any) -> Any:
    today = timezone.localdate()
    return queryset.annotate(
        is_overdue=ExpressionWrapper(
            Q(status=Referral.Status.PENDING, respond_by__lt=today), output_field=BooleanField()
        )
    )


@advisor_required
@require_http_methods(["GET", "POST"])
def referral_create(request: HttpRequest, pk: int) -> HttpResponse:
    fabrique, organisations = acting_or_404(request)
    try:
        holder = Holder.objects.followed_by([o.pk for o in organisations]).for_fabrique(fabrique).get(pk=pk)
    except Holder.DoesNotExist:
        raise Http404 from None
    senders = _senders(holder, organisations)
    targets = services.referral_targets(fabrique)
    if len(senders) == 1:
        targets = targets.exclude(pk=senders[0].pk)
    form = ReferralForm(request.POST or None, senders=senders, targets=targets, projects=holder.projects.all())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            referral = services.referral_create(
                holder=holder,
                from_organisation=data["from_organisation"],
                to_organisation=data["to_organisation"],
                need=data["need"],
                message=data["message"],
                holder_consented=data["holder_consented"],
                by=request.user,
                project=data["project"],
            )
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Orientation envoyée à %(structure)s : elle a %(days)s jours pour répondre.")
                % {"structure": referral.to_organisation.name, "days": services.REFERRAL_RESPONSE_DAYS},
            )
            return redirect("journeys:referral_detail", pk=referral.pk)
    return render(request, "journeys/coordination/referral_form.html", {"form": form, "holder": holder})


def _senders(holder: Holder, organisations: list[Organisation]) -> Any:
    """The user's structures that follow `holder` (those may refer them)."""
    return Organisation.objects.filter(
        pk__in=holder.links.filter(ended_at__isnull=True, organisation__in=organisations).values("organisation_id")
    ).order_by("name", "pk")


@advisor_required
@require_http_methods(["GET"])
def referral_list(request: HttpRequest) -> HttpResponse:
    fabrique, organisations = acting_or_404(request)
    ids = [o.pk for o in organisations]
    base = with_overdue(
        Referral.objects.for_fabrique(fabrique).select_related(
            "holder", "from_organisation", "to_organisation", "project"
        )
    )
    # Invalid filter values are ignored (django-filter drops them), never an error page.
    filterset = ReferralFilter(request.GET, queryset=base.involving(ids), organisation_ids=ids)
    page = Paginator(filterset.qs.order_by("-created_at", "-pk"), REFERRAL_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "journeys/coordination/referral_list.html",
        {"page_obj": page, "filter": filterset, "organisation_ids": ids},
    )


@advisor_required
@require_http_methods(["GET", "POST"])
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    fabrique, organisations = acting_or_404(request)
    ids = [o.pk for o in organisations]
    try:
        referral = (
            with_overdue(Referral.objects.involving(ids).for_fabrique(fabrique))
            .select_related("holder__commune", "from_organisation", "to_organisation", "project", "created_by")
            .get(pk=pk)
        )
    except Referral.DoesNotExist:
        raise Http404 from None
    is_target, is_sender = referral.to_organisation_id in ids, referral.from_organisation_id in ids
    decline_form = ReferralDeclineForm(request.POST if request.POST.get("action") == "decline" else None)
    if request.method == "POST":
        action = request.POST.get("action")
        # Only the target answers, only the sender cancels: to anyone else these forms do not exist.
        if (action in ("accept", "decline") and not is_target) or (action == "cancel" and not is_sender):
            raise Http404
        done = {
            "accept": _("Orientation acceptée : votre structure suit maintenant ce porteur."),
            "decline": _("Orientation refusée ; la structure qui l'a envoyée est prévenue."),
            "cancel": _("Orientation annulée."),
        }
        if action not in done:
            messages.error(request, _("Action inconnue."))
            return redirect("journeys:referral_detail", pk=referral.pk)
        if action != "decline" or decline_form.is_valid():
            try:
                if action == "accept":
                    services.referral_accept(referral=referral, by=request.user)
                elif action == "decline":
                    reason = decline_form.cleaned_data["reason"]
                    services.referral_decline(referral=referral, by=request.user, reason=reason)
                else:
                    services.referral_cancel(referral=referral, by=request.user)
            except ValidationError as error:
                if action == "decline" and hasattr(error, "error_dict"):
                    form_add_service_errors(decline_form, error)  # shown beside the reason
                else:  # e.g. answered meanwhile: the page then shows the outcome
                    messages.error(request, " ".join(error.messages))
                    return redirect("journeys:referral_detail", pk=referral.pk)
            else:
                messages.success(request, done[action])
                return redirect("journeys:referral_detail", pk=referral.pk)
    return render(
        request,
        "journeys/coordination/referral_detail.html",
        {
            "referral": referral,
            "holder": referral.holder,
            "is_target": is_target,
            "is_sender": is_sender,
            "decline_form": decline_form,
            "is_pending": referral.status == Referral.Status.PENDING,
        },
    )
