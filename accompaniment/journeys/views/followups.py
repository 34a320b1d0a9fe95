"""Logging a follow-up on a holder's file, and marking its next step done."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accompaniment.journeys import access
from accompaniment.journeys.followups import followup_log, followup_next_step_done
from accompaniment.journeys.forms_advisor import FollowUpForm, chosen_organisation
from accompaniment.journeys.models import FollowUp, SupportLink
from accompaniment.journeys.views.advisor_common import advisor_required, viewer_for
from accompaniment.journeys.views.holder_file import following_organisations
from fabrique.forms import form_add_service_errors
from fabrique.perimeter import perimeter_places


@advisor_required
def followup_create(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request)
    holder = access.get_holder_or_404(request.user, viewer.fabrique, pk)
    links = list(SupportLink.objects.live().filter(holder=holder))
    acting = following_organisations(viewer, links)
    if not acting:  # sees the file through another role, but no structure of theirs follows it
        raise Http404
    agreed = any(link.shares_file for link in links if link.organisation_id in {o.pk for o in acting})
    form = FollowUpForm(
        request.POST or None,
        holder=holder,
        places=perimeter_places(viewer.fabrique),
        organisations=acting,
        holder_agreed_sharing=agreed,
    )
    if request.method == "POST" and form.is_valid():
        try:
            followup_log(
                holder=holder, organisation=chosen_organisation(form), author=request.user, **form.followup_fields()
            )
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("Action enregistrée dans le dossier de %(name)s.") % {"name": holder.full_name})
            return redirect("journeys:holder_file", pk=holder.pk)
    return render(request, "journeys/advisor/followup_form.html", {"form": form, "holder": holder})


@advisor_required
def followup_step_done(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation (works without JavaScript); POST marks the step done.
    Only the author's structure may, on a file it can open."""
    viewer = viewer_for(request)
    visible = access.holders_visible_to(request.user, viewer.fabrique)
    try:
        followup = FollowUp.objects.select_related("holder").get(
            pk=pk, organisation_id__in=viewer.organisation_ids, holder__in=visible.values("pk")
        )
    except FollowUp.DoesNotExist:
        raise Http404 from None
    if request.method == "POST":
        if followup_next_step_done(followup):
            messages.success(request, _("Prochaine étape marquée comme faite."))
        else:
            messages.info(request, _("Cette prochaine étape était déjà faite."))
        return redirect("journeys:holder_file", pk=followup.holder_id)
    return render(
        request, "journeys/advisor/followup_step_done.html", {"followup": followup, "holder": followup.holder}
    )
