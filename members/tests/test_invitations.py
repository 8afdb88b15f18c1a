"""Signup by invitation only: organisers invite an address; the signed link expires."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from members.invitations import make_token
from members.models import Invitation, User
from members.services import invitation_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Run what the code queues on commit (the mail task), as a real transaction would."""

    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


FORM = {"username": "newbie", "password1": "a long new passphrase", "password2": "a long new passphrase"}


def _link() -> str:
    return re.search(r"http://127\.0\.0\.1:8000(/members/join/\S+/)", mail.outbox[-1].body).group(1)


def test_an_organiser_invites_an_address_and_it_gets_a_link(client, organiser, sent):
    client.force_login(organiser)
    response = sent(client.post, reverse("members:invitations"), {"email": "New.Person@Example.org"})
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.invited_by == organiser and invitation.sent_at is not None
    assert mail.outbox[0].to == [invitation.email] and "/members/join/" in mail.outbox[0].body


def test_members_cannot_invite_and_visitors_must_log_in(client, member):
    assert client.get(reverse("members:invitations")).status_code == 302
    client.force_login(member)
    assert client.post(reverse("members:invitations"), {"email": "x@example.org"}).status_code == 403
    assert not Invitation.objects.exists()


def test_inviting_a_member_s_address_is_a_form_error(client, organiser, member):
    client.force_login(organiser)
    response = client.post(reverse("members:invitations"), {"email": "MEMBER@example.org"})
    assert response.status_code == 400
    assert "already a member" in response.context["form"].errors["email"][0]
    assert not Invitation.objects.exists() and mail.outbox == []


def test_a_bad_address_is_a_form_error(client, organiser):
    client.force_login(organiser)
    response = client.post(reverse("members:invitations"), {"email": "not an address"})
    assert response.status_code == 400 and not Invitation.objects.exists()


def test_inviting_an_address_again_resends_the_open_invitation(organiser, sent):
    first = sent(invitation_create, email="again@example.org", invited_by=organiser)
    second = sent(invitation_create, email="Again@example.org", invited_by=organiser)
    assert first.pk == second.pk and len(mail.outbox) == 2


def test_the_invitee_picks_a_username_and_password_and_is_logged_in(client, organiser, sent):
    sent(invitation_create, email="newbie@example.org", invited_by=organiser)
    link = _link()
    page = client.get(link)
    assert page.status_code == 200 and b"newbie@example.org" in page.content
    response = client.post(link, FORM)
    assert response.status_code == 302 and response["Location"] == reverse("members:profile")
    user = User.objects.get(username="newbie")
    assert user.email == "newbie@example.org" and user.check_password(FORM["password1"])
    assert Invitation.objects.get().accepted_by == user
    assert client.get(reverse("members:profile")).status_code == 200


def test_a_link_works_once(client, organiser, sent):
    sent(invitation_create, email="newbie@example.org", invited_by=organiser)
    link = _link()
    client.post(link, FORM)
    client.post(reverse("logout"))
    response = client.get(link)
    assert response.status_code == 404 and b"used already" in response.content
    assert client.post(link, FORM | {"username": "second"}).status_code == 404
    assert User.objects.filter(email="newbie@example.org").count() == 1


def test_an_expired_link_is_refused_with_a_clear_message(client, organiser, time_machine, sent):
    time_machine.move_to(timezone.now(), tick=False)
    sent(invitation_create, email="late@example.org", invited_by=organiser)
    link = _link()
    time_machine.shift(timedelta(days=8))
    response = client.get(link)
    assert response.status_code == 410 and b"expired" in response.content
    assert client.post(link, FORM).status_code == 410 and not User.objects.filter(username="newbie").exists()


def test_a_tampered_link_is_refused(client, organiser, sent):
    invitation = sent(invitation_create, email="t@example.org", invited_by=organiser)
    forged = make_token(invitation_id=invitation.pk, email="t@example.org")[:-3] + "abc"
    assert client.get(reverse("members:join", args=[forged])).status_code == 404
    other = make_token(invitation_id=invitation.pk, email="someone-else@example.org")
    assert client.get(reverse("members:join", args=[other])).status_code == 404


def test_a_withdrawn_invitation_s_link_no_longer_works(client, organiser, sent):
    invitation = sent(invitation_create, email="gone@example.org", invited_by=organiser)
    link = _link()
    client.force_login(organiser)
    client.post(reverse("members:invitation-revoke", args=[invitation.pk]))
    client.post(reverse("logout"))
    assert client.get(link).status_code == 404 and not Invitation.objects.exists()


def test_signup_rejects_a_taken_username_and_weak_passwords(client, organiser, member, sent):
    sent(invitation_create, email="newbie@example.org", invited_by=organiser)
    link = _link()
    taken = client.post(link, FORM | {"username": "MEMBER"})
    assert taken.status_code == 400 and "username" in taken.context["form"].errors
    weak = client.post(link, FORM | {"password1": "12345678", "password2": "12345678"})
    assert weak.status_code == 400 and "password2" in weak.context["form"].errors
    assert Invitation.objects.open().count() == 1


def test_an_organiser_invites_from_the_admin(client, organiser, sent):
    client.force_login(organiser)
    response = sent(
        client.post, reverse("admin:members_invitation_add"), {"email": "admin-invite@example.org"}
    )
    assert response.status_code == 302
    assert Invitation.objects.get().invited_by == organiser and len(mail.outbox) == 1


def test_the_admin_resends_open_invitations(client, organiser, sent):
    invitation = sent(invitation_create, email="r@example.org", invited_by=organiser)
    client.force_login(organiser)
    sent(
        client.post,
        reverse("admin:members_invitation_changelist"),
        {"action": "resend", "_selected_action": [invitation.pk]},
    )
    assert len(mail.outbox) == 2


def test_the_invitations_page_runs_a_bounded_number_of_queries(client, organiser, django_assert_num_queries):
    for n in range(5):
        invitation_create(email=f"p{n}@example.org", invited_by=organiser)
    client.force_login(organiser)
    with django_assert_num_queries(3):  # session, user, invitations with inviter and member
        client.get(reverse("members:invitations"))
