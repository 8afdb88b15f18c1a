"""Only a superuser acts on a superuser: every admin action, for every target and acting role.

The actions are read from the admin site, so an action added later is walked too; a model
registered later needs a row builder below (the test says so).
"""

from collections.abc import Callable

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.urls import reverse
from knox.models import AuthToken

from discussions.models import Report
from discussions.services import comment_create
from meetings.services import rsvp_set
from meetings.tests.factories import AgendaItemFactory, MeetingFactory
from members.models import Invitation, User
from members.tests.factories import UserFactory
from papers.models import TopicAssignment, Vote
from papers.services import paper_vote_set
from papers.tests.factories import AuthorFactory, FetchRunFactory, PaperFactory, SourceFactory, TagFactory

pytestmark = pytest.mark.django_db


def _action_names(model_admin) -> list[str]:
    site_wide = [name for name, _ in model_admin.admin_site.actions]
    own = [a if isinstance(a, str) else a.__name__ for a in model_admin.actions or []]
    return site_wide + own


ACTIONS = [(model, name) for model, each in admin.site._registry.items() for name in _action_names(each)]


def _axes(model) -> Callable[[User], object]:
    extra = {"failures_since_start": 1} if model is AccessAttempt else {}
    return lambda user: model.objects.create(username=user.username, ip_address="192.0.2.1", **extra)


def _group(user: User) -> Group:
    group = Group.objects.create(name=f"group of {user.username}")
    user.groups.add(group)
    return group


def _vote(user: User):
    paper = PaperFactory()
    paper_vote_set(user=user, paper_id=paper.pk, voted=True)
    return Vote.objects.get(user=user, paper=paper)


def _meeting(user: User):
    meeting = MeetingFactory()
    rsvp_set(meeting=meeting, user=user, answer="yes")
    return meeting


# The row of each model an action is tried on, tied to the target user wherever the model has a user.
ROWS: dict[str, Callable[[User], object]] = {
    "members.User": lambda user: user,
    "members.Invitation": lambda user: Invitation.objects.create(email="new@example.net", invited_by=user),
    "knox.AuthToken": lambda user: AuthToken.objects.create(user=user)[0],
    "auth.Group": _group,
    "axes.AccessAttempt": _axes(AccessAttempt),
    "axes.AccessLog": _axes(AccessLog),
    "axes.AccessFailureLog": _axes(AccessFailureLog),
    "papers.Paper": lambda user: PaperFactory(submitted_by=user),
    "papers.Author": lambda user: AuthorFactory(),
    "papers.Tag": lambda user: TagFactory(),
    "papers.TopicAssignment": lambda user: TopicAssignment.objects.create(
        paper=PaperFactory(submitted_by=user), topic=TagFactory(kind="topic"), score=0.5
    ),
    "papers.Vote": _vote,
    "papers.Source": lambda user: SourceFactory(),
    "papers.FetchRun": lambda user: FetchRunFactory(),
    "meetings.Meeting": _meeting,
    "meetings.AgendaItem": lambda user: AgendaItemFactory(presenter=user),
    "meetings.RSVP": lambda user: rsvp_set(meeting=MeetingFactory(), user=user, answer="yes"),
    "discussions.Comment": lambda user: comment_create(author=user, target=PaperFactory(), body="A note."),
    "discussions.Report": lambda user: Report.objects.create(
        comment=comment_create(author=user, target=PaperFactory(), body="Reported."),
        reporter=user,
        reason="spam",
    ),
}
TARGETS = {
    "member": {},
    "organiser": {"role": "organiser"},
    "superuser": {"is_superuser": True, "is_staff": True},
}


def _snapshot() -> dict:
    """Everything about each superuser an action could change: their row, tokens and groups."""
    return {
        user.pk: (
            User.objects.filter(pk=user.pk).values().get(),
            sorted(AuthToken.objects.filter(user=user).values_list("digest", flat=True)),
            sorted(user.groups.values_list("pk", flat=True)),
        )
        for user in User.objects.filter(is_superuser=True)
    }


def _answers(form: forms.Form) -> dict:
    """A valid answer to an action's intermediate form: the first choice, or the initial value."""
    data = {}
    for name, field in form.fields.items():
        if isinstance(field, forms.ModelMultipleChoiceField):
            data[form.add_prefix(name)] = [field.queryset.first().pk]
        elif isinstance(field, forms.ModelChoiceField):
            data[form.add_prefix(name)] = field.queryset.first().pk
        else:
            data[form.add_prefix(name)] = field.initial if field.initial is not None else 1
    return data


def _run_action(client, model, action: str, row) -> list:
    """Select the row, run the action, and confirm or answer the page it may ask with."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    data = {"action": action, ACTION_CHECKBOX_NAME: [row.pk]}
    responses = [client.post(url, data)]
    asked = responses[0]
    if asked.status_code == 200 and asked.get("Content-Type", "").startswith("text/html"):
        form = (asked.context or {}).get("form")
        answers = _answers(form) if isinstance(form, forms.Form) else {}
        responses.append(client.post(url, {**data, **answers, "post": "yes", "apply": "Apply"}))
    return responses


@pytest.mark.parametrize("acting", ["organiser", "superuser"])
@pytest.mark.parametrize("target", list(TARGETS))
@pytest.mark.parametrize(("model", "action"), ACTIONS, ids=[f"{m._meta.label}.{a}" for m, a in ACTIONS])
def test_every_admin_action_leaves_superusers_to_superusers(client, model, action, target, acting):
    assert model._meta.label in ROWS, f"add a row builder for {model._meta.label} to ROWS"
    TagFactory(), MeetingFactory()  # something for the actions that ask for a tag or a session
    actor = UserFactory(username="actor", **TARGETS[acting])
    row = ROWS[model._meta.label](UserFactory(username="target", **TARGETS[target]))
    before = _snapshot()
    client.force_login(actor)
    for response in _run_action(client, model, action, row):
        assert response.status_code < 500
    if acting == "organiser":
        assert _snapshot() == before


def _deactivate(client, *users):
    url = reverse("admin:members_user_changelist")
    selected = {"action": "deactivate", ACTION_CHECKBOX_NAME: [user.pk for user in users]}
    return client.post(url, selected, follow=True)


def test_an_organiser_deactivates_members_but_a_superuser_is_skipped_and_named(client, organiser, superuser):
    member = UserFactory(username="ada")
    AuthToken.objects.create(user=superuser)
    client.force_login(organiser)
    response = _deactivate(client, member, superuser)
    superuser.refresh_from_db(), member.refresh_from_db()
    assert superuser.is_active and AuthToken.objects.filter(user=superuser).exists()
    assert not member.is_active
    shown = [str(m) for m in response.context["messages"]]
    assert "Skipped root: only a superuser can act on a superuser." in shown
    assert "1 member(s) deactivated." in shown


def test_an_organiser_cannot_delete_a_superuser_with_delete_selected(client, organiser, superuser):
    member = UserFactory(username="ada")
    client.force_login(organiser)
    url = reverse("admin:members_user_changelist")
    selected = {"action": "delete_selected", ACTION_CHECKBOX_NAME: [member.pk, superuser.pk]}
    client.post(url, selected)
    client.post(url, {**selected, "post": "yes"})
    assert User.objects.filter(pk=superuser.pk).exists()
    assert not User.objects.filter(pk=member.pk).exists()


def test_a_superuser_may_deactivate_another_superuser(client, superuser):
    other = UserFactory(username="root2", is_superuser=True, is_staff=True)
    client.force_login(superuser)
    _deactivate(client, other)
    other.refresh_from_db()
    assert not other.is_active
