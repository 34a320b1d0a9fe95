"""The caseload (`/suivi/`) and registering a person (`/suivi/porteurs/nouveau/`)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accompaniment.journeys import access, holders
from accompaniment.journeys.caseload import PAGE_SIZE, CaseloadFilterSet, caseload_queryset
from accompaniment.journeys.forms_advisor import HolderRegisterForm, chosen_organisation
from accompaniment.journeys.models import Holder, JourneyState, SupportLink
from accompaniment.journeys.timeline import labels
from accompaniment.journeys.views.advisor_common import advisor_required, caseload_required, viewer_for
from fabrique.forms import form_add_service_errors
from fabrique.perimeter import perimeter_communes


@caseload_required
def caseload(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request)
    visible = access.holders_visible_to(request.user, viewer.fabrique)
    filterset = CaseloadFilterSet(
        request.GET or None,
        queryset=caseload_queryset(visible, viewer.contact_scope),
        fabrique=viewer.fabrique,
        organisation_ids=viewer.contact_scope,
    )
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    stages = labels(JourneyState.choices)
    for holder in page:
        for project in holder.project_list:
            project.state_label = stages[project.state]
    partial = bool(request.htmx)  # type: ignore[attr-defined]
    template = "journeys/advisor/_caseload_results.html" if partial else "journeys/advisor/caseload.html"
    return render(
        request,
        template,
        {
            "filterset": filterset,
            "page_obj": page,
            "today": timezone.localdate(),
            "viewer": viewer,
        },
    )


@advisor_required
def holder_register(request: HttpRequest) -> HttpResponse:
    """Register a person; probable duplicates are shown first, with the offer to link instead."""
    viewer = viewer_for(request)
    if not viewer.organisations:
        raise Http404
    form = HolderRegisterForm(
        request.POST or None, communes=perimeter_communes(viewer.fabrique), organisations=viewer.organisations
    )
    duplicates: list[Holder] = []
    if request.method == "POST" and form.is_valid():
        fields = form.holder_fields()
        organisation = chosen_organisation(form)
        candidates = (
            holders.holder_probable_duplicates(
                viewer.fabrique,
                email=fields["email"],
                first_name=fields["first_name"],
                last_name=fields["last_name"],
                birth_year=fields["birth_year"],
                commune_id=fields["commune"].pk if fields["commune"] else None,
            )
            .select_related("commune")
            .annotate(
                followed_by_mine=Exists(
                    SupportLink.objects.live().filter(holder_id=OuterRef("pk"), organisation_id=organisation.pk)
                )
            )
            .order_by("last_name", "first_name", "pk")
        )
        link_to = request.POST.get("rattacher", "")
        if link_to:
            # Only a file that matches what was typed: a posted id alone opens nothing.
            target = next((holder for holder in candidates if str(holder.pk) == link_to), None)
            if target is None:
                form.add_error(
                    None, _("Ce dossier ne correspond pas à la personne saisie : vérifiez les informations.")
                )
            else:
                with transaction.atomic():
                    holders.support_link_ensure(
                        target,
                        organisation,
                        origin=SupportLink.Origin.REGISTERED,
                        referent=request.user,
                        shares_file=form.cleaned_data["shares_file"] or None,
                    )
                messages.success(request, _("Le dossier existant est rattaché à votre structure."))
                return redirect("journeys:holder_file", pk=target.pk)
        elif request.POST.get("creer_quand_meme") != "1" and (duplicates := list(candidates[:10])):
            pass  # shown below, with the two choices
        else:
            try:
                holder = holders.holder_register(
                    fabrique=viewer.fabrique,
                    organisation=organisation,
                    advisor=request.user,
                    shares_file=form.cleaned_data["shares_file"],
                    **fields,
                )
            except ValidationError as error:
                form_add_service_errors(form, error)
            else:
                messages.success(
                    request, _("Dossier créé : %(name)s est suivi par votre structure.") % {"name": holder.full_name}
                )
                return redirect("journeys:holder_file", pk=holder.pk)
    return render(request, "journeys/advisor/holder_register.html", {"form": form, "duplicates": duplicates})
