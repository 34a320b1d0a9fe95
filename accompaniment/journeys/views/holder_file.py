"""A holder's file for the advisors (`/suivi/porteurs/<pk>/`) and moving a project along its
journey (`/suivi/projets/<pk>/etape/`)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accompaniment.journeys import access, projects
from accompaniment.journeys.forms_advisor import ProjectTransitionForm, chosen_organisation
from accompaniment.journeys.models import Holder, JourneyState, Project, SupportLink, TransitionNotAllowed
from accompaniment.journeys.timeline import Reader, holder_timeline
from accompaniment.journeys.views.advisor_common import Viewer, caseload_required, viewer_for
from fabrique.models import Organisation

# The file opens on the latest entries; the whole history is one link away.
TIMELINE_LATEST = 50


def following_organisations(viewer: Viewer, links: list[SupportLink]) -> list[Organisation]:
    """The viewer's structures that follow this holder: the ones they may act for on the file."""
    following = {link.organisation_id for link in links}
    return [organisation for organisation in viewer.organisations if organisation.pk in following]


@caseload_required
def holder_file(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request)
    holder = access.get_holder_or_404(request.user, viewer.fabrique, pk)
    links = list(
        SupportLink.objects.live()
        .filter(holder=holder)
        .select_related("organisation", "referent")
        .order_by("started_at")
    )
    acting = following_organisations(viewer, links)
    project_list = list(Project.objects.filter(holder=holder).order_by("-created_at", "pk"))
    transition_forms = {
        project.pk: ProjectTransitionForm(project=project, organisations=acting, prefix=f"projet-{project.pk}")
        for project in project_list
        if acting and project.available_transitions()
    }
    reader = Reader(organisation_ids=viewer.organisation_ids, reads_notes=bool(viewer.organisations), file_links=links)
    whole_history = request.GET.get("historique") == "complet"
    timeline, has_older = holder_timeline(holder, reader, limit=None if whole_history else TIMELINE_LATEST)
    return render(
        request,
        "journeys/advisor/holder_file.html",
        {
            "holder": holder,
            "commune": holder.commune,
            "links": links,
            # `projects` (plain list) and `acting_organisations` are read by the coordination actions.
            "projects": project_list,
            "project_rows": [(project, transition_forms.get(project.pk)) for project in project_list],
            "acting_organisations": acting,
            "can_act": bool(acting),
            "timeline": timeline,
            "timeline_has_older": has_older,
            "reads_notes": reader.reads_notes,
            "my_link": next((link for link in links if link.organisation_id in {o.pk for o in acting}), None),
        },
    )


def _project_for_action(viewer: Viewer, user: object, pk: int) -> tuple[Project, list[Organisation]]:
    """A project of a holder the user sees *and* that one of their structures follows; else 404
    (territory staff see the file but do not move projects)."""
    visible = access.holders_visible_to(user, viewer.fabrique)
    try:
        project = Project.objects.select_related("holder").get(pk=pk, holder__in=visible.values("pk"))
    except Project.DoesNotExist:
        raise Http404 from None
    links = list(SupportLink.objects.live().filter(holder_id=project.holder_id))
    acting = following_organisations(viewer, links)
    if not acting:
        raise Http404
    return project, acting


@caseload_required
def project_transition(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request)
    project, acting = _project_for_action(viewer, request.user, pk)
    prefix = f"projet-{project.pk}"
    form = ProjectTransitionForm(request.POST or None, project=project, organisations=acting, prefix=prefix)
    if request.method == "POST" and form.is_valid():
        try:
            record = projects.project_transition(
                project,
                form.cleaned_data["transition"],
                by=request.user,
                organisation=chosen_organisation(form),
                reason=form.cleaned_data["reason"],
            )
        except TransitionNotAllowed as error:
            # Nothing was written (the service is atomic): say why, offer what is possible now.
            project.refresh_from_db()
            form = ProjectTransitionForm(request.POST, project=project, organisations=acting, prefix=prefix)
            form.is_valid()
            for message in error.messages:
                form.add_error("transition", message)
        else:
            messages.success(
                request,
                _("Le projet « %(title)s » est maintenant à l'étape « %(stage)s ».")
                % {"title": project.title, "stage": JourneyState(record.to_state).label},
            )
            return redirect("journeys:holder_file", pk=project.holder_id)
    holder: Holder = project.holder
    return render(
        request, "journeys/advisor/project_transition.html", {"form": form, "project": project, "holder": holder}
    )
