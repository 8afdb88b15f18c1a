import pytest
from django.db import IntegrityError

from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_organiser_gets_admin_access_and_curation_rights():
    organiser = UserFactory(role="organiser")
    assert organiser.is_staff
    assert organiser.has_perm("papers.change_paper")
    assert organiser.has_module_perms("meetings")
    assert not organiser.has_perm("auth.change_group")


def test_a_member_has_no_curation_rights(member):
    assert not member.is_staff
    assert not member.has_perm("papers.change_paper")


def test_two_members_cannot_share_an_email_address_in_any_case():
    UserFactory(username="a", email="Same@Example.org")
    with pytest.raises(IntegrityError):
        UserFactory(username="b", email="same@example.org")


def test_the_public_name_never_falls_back_to_the_email(member):
    member.display_name = ""
    member.first_name = member.last_name = ""
    assert member.public_name == member.username


def test_the_database_refuses_an_unknown_role():
    with pytest.raises(IntegrityError):
        UserFactory(role="owner")
