import csv
import io

import pytest
from django.urls import reverse

from meetings.services import agenda_add
from meetings.tests.factories import MeetingFactory
from members.tests.factories import UserFactory
from papers.tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def _rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_a_sessions_agenda_exports_as_csv_in_agenda_order(client):
    meeting = MeetingFactory()
    presenter = UserFactory(display_name="Ada L.", email="ada@example.org")
    agenda_add(meeting=meeting, paper=PaperFactory(title="Second thoughts", authors=["Ann Lee", "Bo Chen"]))
    agenda_add(meeting=meeting, paper=PaperFactory(title="=First steps"), presenter=presenter)
    response = client.get(reverse("meetings:csv", args=[meeting.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="session-{meeting.pk}.csv"'
    header, first, second = _rows(response)
    assert header[:3] == ["position", "paper_id", "title"] and header[-1] == "presenter"
    assert first[0] == "1" and first[2] == "Second thoughts" and first[3] == "Ann Lee; Bo Chen"
    # A title that a spreadsheet would run as a formula is defused; the presenter shows by name only.
    assert second[2] == "'=First steps" and second[-1] == "Ada L."
    assert "ada@example.org" not in ",".join(second)


def test_an_unknown_sessions_csv_is_not_found(client):
    assert client.get(reverse("meetings:csv", args=[999])).status_code == 404


def test_a_private_site_asks_for_a_login_before_the_csv(client, settings):
    settings.SITE_PUBLIC = False
    meeting = MeetingFactory()
    response = client.get(reverse("meetings:csv", args=[meeting.pk]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_csv_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    meeting = MeetingFactory()
    for _ in range(6):
        agenda_add(meeting=meeting, paper=PaperFactory())
    with django_assert_max_num_queries(3):
        _rows(client.get(reverse("meetings:csv", args=[meeting.pk])))
