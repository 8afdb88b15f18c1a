import csv
import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from members.tests.factories import UserFactory
from papers.models import Vote
from papers.services import paper_vote_set
from papers.tests.factories import PaperFactory, TagFactory

pytestmark = pytest.mark.django_db


def _rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _action(client, model: str, action: str, ids: list[int]):
    url = reverse(f"admin:papers_{model}_changelist")
    return client.post(url, {"action": action, ACTION_CHECKBOX_NAME: ids})


def test_organisers_export_selected_papers_as_csv(client, organiser):
    chosen = PaperFactory(title="Chosen", authors=["Ann Lee", "Bo Chen"], tags=[TagFactory(name="Graphs")])
    PaperFactory(title="Not chosen")
    paper_vote_set(user=UserFactory(), paper_id=chosen.pk, voted=True)
    client.force_login(organiser)
    (row,) = _rows(_action(client, "paper", "export_csv", [chosen.pk]))
    assert row["title"] == "Chosen"
    assert row["authors"] == "Ann Lee; Bo Chen"
    assert (row["votes"], row["tags"], row["status"]) == ("1", "Graphs", "listed")


def test_cells_that_would_run_as_spreadsheet_formulas_are_defused(client, organiser):
    paper = PaperFactory(title='=HYPERLINK("https://evil.example.com")')
    client.force_login(organiser)
    (row,) = _rows(_action(client, "paper", "export_csv", [paper.pk]))
    assert row["title"].startswith("'=")


def test_organisers_export_votes_as_csv_without_email_addresses(client, organiser):
    paper = PaperFactory(title="Voted")
    voter = UserFactory(username="voter")
    paper_vote_set(user=voter, paper_id=paper.pk, voted=True)
    client.force_login(organiser)
    rows = _rows(_action(client, "vote", "export_csv", list(Vote.objects.values_list("pk", flat=True))))
    assert rows == [
        {
            "paper_id": str(paper.pk),
            "paper_title": "Voted",
            "member": "voter",
            "voted_at": Vote.objects.get().created_at.isoformat(),
            "paper_discussed": "no",
        }
    ]
    assert "@" not in str(rows)


def test_members_cannot_export(client, member):
    paper = PaperFactory()
    client.force_login(member)
    response = _action(client, "paper", "export_csv", [paper.pk])
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
