"""A suggestion whose details cannot be fetched says so, can be retried or removed, and stays out of lists."""

from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from meetings.notifications import digest_content
from outbox.tests.helpers import first_args
from papers import tasks
from papers.ingest import paper_upsert
from papers.models import Paper
from papers.selectors import paper_list
from papers.services import (
    paper_metadata_failed,
    paper_set_status,
    paper_suggest,
    paper_suggestion_retry,
    paper_suggestion_withdraw,
)
from papers.sources.records import PaperRecord
from papers.tests.conftest import fixture_bytes
from papers.tests.factories import PaperFactory, SourceFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:papers_paper_changelist")


@pytest.fixture
def metadata_queue(monkeypatch):
    return first_args(monkeypatch, tasks.fetch_paper_metadata)


@pytest.fixture
def failed(member, metadata_queue):
    paper, _ = paper_suggest(user=member, reference="2401.04088")
    paper_metadata_failed(paper_id=paper.pk, error="arXiv answered 500.")
    metadata_queue.clear()
    return Paper.objects.get(pk=paper.pk)


def test_a_new_suggestion_waits_for_its_details_with_no_date(member, metadata_queue):
    paper, _ = paper_suggest(user=member, reference="2401.04088")
    paper.refresh_from_db()
    assert paper.metadata_pending and paper.published_at is None and paper.metadata_error == ""


def test_it_retries_a_server_error_then_records_it_on_the_last_try(
    member, httpserver, settings, metadata_queue
):
    settings.ARXIV_API_URL = httpserver.url_for("/api/query")
    settings.METADATA_MAX_RETRIES = 2
    httpserver.expect_request("/api/query").respond_with_data("down", status=500)
    paper, _ = paper_suggest(user=member, reference="2401.04088")
    with pytest.raises(Retry):
        tasks.fetch_paper_metadata.apply(args=[paper.pk], retries=1, throw=True)
    assert Paper.objects.get(pk=paper.pk).metadata_error == ""
    assert tasks.fetch_paper_metadata.apply(args=[paper.pk], retries=2).get() is False
    paper.refresh_from_db()
    assert "500" in paper.metadata_error and paper.metadata_failed_at is not None
    assert paper.status == "pending" and paper.metadata_pending


def test_an_id_arxiv_does_not_know_is_recorded_as_failed(member, httpserver, settings, metadata_queue):
    settings.ARXIV_API_URL = httpserver.url_for("/api/query")
    httpserver.expect_request("/api/query").respond_with_data(fixture_bytes("arxiv_empty.xml"))
    paper, _ = paper_suggest(user=member, reference="2401.04088")
    assert tasks.fetch_paper_metadata.delay(paper.pk).get() is False
    paper.refresh_from_db()
    assert paper.metadata_error == "arXiv does not know arXiv:2401.04088."


def test_a_fetch_that_works_clears_the_failure_and_lists_the_paper(
    member, httpserver, settings, queued, metadata_queue
):
    settings.ARXIV_API_URL = httpserver.url_for("/api/query")
    httpserver.expect_request("/api/query").respond_with_data(fixture_bytes("arxiv_page1.xml"))
    paper, _ = paper_suggest(user=member, reference="2403.01234")
    paper_metadata_failed(paper_id=paper.pk, error="arXiv answered 500.")
    assert tasks.fetch_paper_metadata.delay(paper.pk).get() is True
    paper.refresh_from_db()
    assert (paper.metadata_pending, paper.metadata_error, paper.metadata_failed_at) == (False, "", None)
    assert paper.status == "listed" and paper.published_at is not None


def test_the_retry_delay_doubles_and_is_capped(settings):
    settings.METADATA_RETRY_SECONDS = 30
    assert [tasks.metadata_retry_countdown(n) for n in range(6)] == [30, 60, 120, 240, 480, 600]


def test_a_waiting_paper_is_never_listed_by_a_status_change(failed):
    assert paper_set_status(papers=Paper.objects.filter(pk=failed.pk), status="listed") == 0
    assert Paper.objects.get(pk=failed.pk).status == "pending"


def test_a_waiting_paper_listed_by_hand_stays_out_of_every_list(client, failed):
    voted = PaperFactory(title="A paper with votes", vote_count=10)
    Paper.objects.filter(pk=failed.pk).update(status="listed")
    assert list(paper_list(order="trending")) == [voted]
    content = digest_content(now=timezone.now() + timedelta(minutes=1))
    assert list(content["new_papers"]) == [voted]
    for url in (reverse("papers:trending"), reverse("papers:daily"), reverse("feeds:papers-new-rss")):
        assert b"arXiv:2401.04088" not in client.get(url).content


def test_the_suggester_sees_the_failure_with_try_again_and_remove(client, member, failed):
    client.force_login(member)
    page = client.get(failed.get_absolute_url()).content.decode()
    assert "could not be fetched" in page and "arXiv answered 500." in page
    assert reverse("papers:suggestion-retry", args=[failed.pk]) in page
    assert reverse("papers:suggestion-withdraw", args=[failed.pk]) in page
    assert "Publication date unknown" in page


def test_an_organiser_sees_the_failure_without_the_suggesters_buttons(client, organiser, failed):
    client.force_login(organiser)
    page = client.get(failed.get_absolute_url()).content.decode()
    assert "arXiv answered 500." in page and "Remove my suggestion" not in page


def test_try_again_clears_the_error_and_queues_the_fetch(client, member, failed, metadata_queue):
    client.force_login(member)
    response = client.post(reverse("papers:suggestion-retry", args=[failed.pk]))
    assert response.status_code == 302 and metadata_queue == [failed.pk]
    failed.refresh_from_db()
    assert failed.metadata_error == "" and failed.metadata_failed_at is None


def test_remove_my_suggestion_deletes_the_placeholder(client, member, failed):
    client.force_login(member)
    response = client.post(reverse("papers:suggestion-withdraw", args=[failed.pk]))
    assert response.status_code == 302 and not Paper.objects.filter(pk=failed.pk).exists()


def test_another_member_can_neither_retry_nor_remove(client, other_member, failed, metadata_queue):
    client.force_login(other_member)
    assert client.post(reverse("papers:suggestion-retry", args=[failed.pk])).status_code == 404
    assert client.post(reverse("papers:suggestion-withdraw", args=[failed.pk])).status_code == 404
    assert Paper.objects.get(pk=failed.pk).metadata_error and metadata_queue == []


def test_the_actions_answer_post_only(client, member, failed):
    client.force_login(member)
    assert client.get(reverse("papers:suggestion-withdraw", args=[failed.pk])).status_code == 405
    assert Paper.objects.filter(pk=failed.pk).exists()


def test_a_paper_with_its_details_cannot_be_withdrawn(member):
    paper = PaperFactory(submitted_by=member)
    with pytest.raises(PermissionDenied):
        paper_suggestion_withdraw(user=member, paper_id=paper.pk)
    with pytest.raises(PermissionDenied):
        paper_suggestion_retry(user=member, paper_id=paper.pk)


def test_the_admin_list_action_warns_and_skips_waiting_papers(client, organiser, failed):
    client.force_login(organiser)
    ready = PaperFactory(status="pending")
    data = {"action": "list_papers", ACTION_CHECKBOX_NAME: [failed.pk, ready.pk]}
    page = client.post(CHANGELIST, data, follow=True).content.decode()
    assert "1 paper(s) skipped" in page and "1 paper(s) listed." in page
    assert Paper.objects.get(pk=failed.pk).status == "pending"
    assert Paper.objects.get(pk=ready.pk).status == "listed"


def test_the_admin_filters_failed_papers_and_fetches_them_again(client, organiser, failed, metadata_queue):
    client.force_login(organiser)
    PaperFactory(title="Fine paper")
    page = client.get(CHANGELIST, {"details": "failed"}).content.decode()
    assert "arXiv:2401.04088" in page and "Fine paper" not in page
    client.post(CHANGELIST, {"action": "fetch_metadata_again", ACTION_CHECKBOX_NAME: [failed.pk]})
    assert metadata_queue == [failed.pk] and Paper.objects.get(pk=failed.pk).metadata_error == ""


def test_a_source_bringing_a_waiting_paper_fills_it_in(failed, queued):
    record = PaperRecord(
        title="Mixtral of Experts",
        arxiv_id="2401.04088",
        arxiv_version=1,
        published_at=timezone.now() - timedelta(days=300),
    )
    paper_upsert(records=[record], source=SourceFactory(auto_list=True))
    failed.refresh_from_db()
    assert (failed.title, failed.metadata_pending, failed.metadata_error) == ("Mixtral of Experts", False, "")
    assert failed.status == "listed" and failed.published_at is not None
