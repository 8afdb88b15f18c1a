import bibtexparser
import pytest
from django.urls import reverse

from meetings.services import agenda_add
from meetings.tests.factories import MeetingFactory
from papers.tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def test_a_sessions_papers_export_as_bibtex_in_agenda_order(client):
    meeting = MeetingFactory()
    for title in ("Second thoughts", "First steps"):
        agenda_add(meeting=meeting, paper=PaperFactory(title=title, authors=["Ann Lee", "Bo Chen"]))
    response = client.get(reverse("meetings:bibtex", args=[meeting.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="session-{meeting.pk}.bib"'
    library = bibtexparser.parse_string(response.content.decode())
    assert library.failed_blocks == []
    assert [e.fields_dict["title"].value for e in library.entries] == ["Second thoughts", "First steps"]
    assert library.entries[0].fields_dict["author"].value == "Ann Lee and Bo Chen"


def test_an_unknown_session_is_not_found(client):
    assert client.get(reverse("meetings:bibtex", args=[999])).status_code == 404


def test_the_session_export_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    meeting = MeetingFactory()
    for _ in range(6):
        agenda_add(meeting=meeting, paper=PaperFactory())
    with django_assert_max_num_queries(3):
        client.get(reverse("meetings:bibtex", args=[meeting.pk]))


def test_a_hostile_title_on_the_agenda_writes_no_field_of_its_own(client):
    meeting = MeetingFactory()
    hostile = "Robust Graph Learning }, year = 1999, note = 1337, x = 1"
    agenda_add(meeting=meeting, paper=PaperFactory(title=hostile, authors=["Ann Lee"], doi="10.1000/x"))
    text = client.get(reverse("meetings:bibtex", args=[meeting.pk])).content.decode()
    # As BibTeX reads it: every brace counts, escaped or not (bibtexparser skips escaped ones).
    library = bibtexparser.parse_string(text.replace("\\", "/"))
    assert library.failed_blocks == []
    (entry,) = library.entries
    assert set(entry.fields_dict) == {"title", "author", "year", "month", "doi", "abstract"}
    assert entry.fields_dict["author"].value == "Ann Lee"
    assert "year = 1999" in entry.fields_dict["title"].value
