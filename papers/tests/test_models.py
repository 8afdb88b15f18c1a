from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from papers.models import Paper, Source, Vote
from papers.tests.factories import PaperFactory, SourceFactory

pytestmark = pytest.mark.django_db


def test_it_refuses_a_second_paper_with_the_same_arxiv_id():
    PaperFactory(arxiv_id="2401.00001")
    with pytest.raises(IntegrityError):
        PaperFactory(arxiv_id="2401.00001")


def test_it_allows_many_papers_without_arxiv_id_or_doi():
    PaperFactory(arxiv_id="", doi="")
    PaperFactory(arxiv_id="", doi="")
    assert Paper.objects.count() == 2


def test_it_refuses_a_second_paper_with_the_same_doi():
    PaperFactory(doi="10.1000/xyz")
    with pytest.raises(IntegrityError):
        PaperFactory(doi="10.1000/xyz")


def test_it_refuses_an_upper_case_doi_in_the_database():
    with pytest.raises(IntegrityError):
        PaperFactory(doi="10.1000/ABC")


def test_it_refuses_a_second_vote_by_one_member(member):
    paper = PaperFactory()
    Vote.objects.create(user=member, paper=paper)
    with pytest.raises(IntegrityError):
        Vote.objects.create(user=member, paper=paper)


def test_it_refuses_an_unknown_status_in_the_database():
    paper = PaperFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Paper.objects.filter(pk=paper.pk).update(status="deleted")


def test_it_rejects_a_source_url_that_is_not_http():
    source = SourceFactory.build(url="ftp://example.org/feed.xml")
    with pytest.raises(ValidationError) as error:
        source.full_clean()
    assert "url" in error.value.message_dict


def test_the_database_rejects_a_non_http_source_url():
    with pytest.raises(IntegrityError):
        Source.objects.create(name="bad", kind="feed", url="file:///etc/passwd")


def test_it_keys_titles_without_case_accents_or_punctuation():
    paper = PaperFactory(title="Über {Attention}: Is It All You Need?")
    assert paper.title_key == "uber attention is it all you need"


def test_saving_a_stale_copy_keeps_the_vote_count(member):
    paper = PaperFactory()
    stale = Paper.objects.get(pk=paper.pk)
    Vote.objects.create(user=member, paper=paper)
    Paper.objects.filter(pk=paper.pk).update(vote_count=1)
    stale.title = "A new title"
    stale.save()
    paper.refresh_from_db()
    assert (paper.vote_count, paper.title) == (1, "A new title")


def test_a_source_is_due_when_never_fetched_or_after_its_interval():
    source = SourceFactory(interval=60)
    assert source.is_due()
    source.last_fetched_at = timezone.now() - timedelta(minutes=59)
    assert not source.is_due()
    source.last_fetched_at = timezone.now() - timedelta(minutes=61)
    assert source.is_due()
    source.enabled = False
    assert not source.is_due()


def test_papers_load_without_their_search_vector_which_only_sql_reads():
    paper = PaperFactory()
    loaded = Paper.objects.get(pk=paper.pk)
    assert "search_vector" in loaded.get_deferred_fields()
    loaded.title = "Renamed"
    loaded.save()  # a paper loaded without it saves as any other
    assert Paper.objects.get(pk=paper.pk).title == "Renamed"
