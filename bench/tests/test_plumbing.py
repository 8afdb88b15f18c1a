"""The benchmark's plumbing (no timings): the data loader, and references that answer what the API answers.

L1 (bench.reference) must return the same page as the API for the same member, or the
ratios the benchmark reports would compare different work.
"""

import json

import pytest
from django.test import Client

from bench import data, fixtures, reference
from bench.server import PROXY_HEADERS
from papers.models import Paper, Vote

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def loaded(settings):
    settings.ROOT_URLCONF = "bench.urls"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    return data.load(300)


def _get(client, path, headers):
    response = client.get(path, headers={**PROXY_HEADERS, **headers})
    assert response.status_code == 200, response.content[:300]
    return response.json()


def _comparable(value, key: str = ""):
    """PostgreSQL writes timestamps as "+00:00", DRF as "Z": the same instant."""
    if isinstance(value, dict):
        return {k: _comparable(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value.replace("+00:00", "Z") if isinstance(value, str) and key.endswith("_at") else value


def test_the_loader_fills_every_table_and_marks_the_data(loaded):
    assert Paper.objects.count() == 300 == data.loaded()["papers"]
    assert Vote.objects.count() == loaded["votes"] > 0
    assert Paper.objects.filter(discussed_at__isnull=False).exists()
    assert loaded["common_terms"] and loaded["rare_terms"]


def test_the_loader_gives_a_few_papers_a_thread_of_200_comments(loaded):
    from discussions.models import Comment

    threads = fixtures.thread_papers()
    assert len(threads) == data.THREADS
    assert not set(threads) & set(fixtures.sample_papers())
    for paper in Paper.objects.filter(pk__in=threads):
        assert paper.status == "listed" and paper.comment_count == data.THREAD_COMMENTS
        assert Comment.objects.filter(paper=paper).visible().count() == data.THREAD_COMMENTS
    replies = Comment.objects.filter(parent__isnull=False).select_related("parent")
    assert replies.exists() and all(
        c.parent.parent_id is None and c.parent.paper_id == c.paper_id for c in replies
    )
    assert Comment.objects.filter(mentions__isnull=False).exists()
    terms = {"common": ["a"], "rare": ["b"]}
    specs = fixtures.specs(fixtures.members(2), [1], fixtures.deep_positions(), terms, threads)
    client = Client()
    for spec in specs:
        if spec.endpoint.name.startswith("thread_"):
            method, path, headers = spec.endpoint.requests[0]
            response = client.generic(method, path, headers={**PROXY_HEADERS, **headers})
            assert response.status_code == 200 and b"Is " in response.content


def test_l1_answers_the_same_pages_and_papers_as_the_api(loaded):
    member = fixtures.members(2)[0]
    client = Client()
    api_page = _get(client, "/api/v1/papers/?ordering=queue", member.api)
    l1_page = _get(client, f"/bench/l1/papers/?user={member.id}", {})
    assert [_comparable(p) for p in l1_page["results"]] == [_as_l1(p) for p in api_page["results"]]
    deep = fixtures.deep_positions()[0]
    after = f"{deep[0]},{deep[1]!r},{deep[2]}"
    api_deep = _get(client, f"/api/v1/papers/?ordering=queue&cursor={fixtures._cursor(deep)}", member.api)
    l1_deep = _get(client, f"/bench/l1/papers/?user={member.id}&after={after}", {})
    assert [p["id"] for p in l1_deep["results"]] == [p["id"] for p in api_deep["results"]]
    paper_id = api_page["results"][0]["id"]
    api_paper = _get(client, f"/api/v1/papers/{paper_id}/", member.api)
    l1_paper = _get(client, f"/bench/l1/papers/{paper_id}/?user={member.id}", {})
    assert _comparable(l1_paper) == _as_l1(api_paper)


# Fields the API gained after L1's statement was written (sync, discussions): L1 stays the
# reference for the cost of the core statement, so they are left out of the comparison.
NOT_IN_L1 = {"web_url", "modified_at", "comment_count", "metadata_state"}


def _as_l1(paper: dict) -> dict:
    assert set(paper) >= NOT_IN_L1
    return {key: value for key, value in paper.items() if key not in NOT_IN_L1}


def test_the_l1_vote_moves_the_count_as_the_api_does(loaded):
    member = fixtures.members(1)[0]
    paper = Paper.objects.filter(status="listed").exclude(votes__user_id=member.id).first()
    client = Client()
    path = f"/bench/l1/papers/{paper.pk}/vote/?user={member.id}"
    voted = json.loads(client.put(path, headers=PROXY_HEADERS).content)
    assert voted == {"paper_id": paper.pk, "vote_count": paper.vote_count + 1, "voted": True}
    assert json.loads(client.put(path, headers=PROXY_HEADERS).content)["vote_count"] == paper.vote_count + 1
    assert json.loads(client.delete(path, headers=PROXY_HEADERS).content)["vote_count"] == paper.vote_count
    assert Vote.objects.filter(paper=paper).count() == paper.vote_count


def test_l0_serves_the_captured_bytes(tmp_path, monkeypatch, settings):
    settings.ROOT_URLCONF = "bench.urls"
    l0 = tmp_path / "l0.json"
    l0.write_text(json.dumps({"list_first": {"content_type": "application/json", "body": '{"a": 1}'}}))
    monkeypatch.setenv("BENCH_L0_FILE", str(l0))
    reference._l0_bodies.cache_clear()
    response = Client().get("/bench/l0/list_first/", headers=PROXY_HEADERS)
    assert response.content == b'{"a": 1}' and response["Content-Type"] == "application/json"
    reference._l0_bodies.cache_clear()


def test_the_raw_insert_reference_writes_every_column_ingest_writes():
    """The ingest reference names each column itself: a new column of the paper must be added
    there too, or `make bench` fails at its ingest step (as it once did, after comment_count)."""
    from bench.ingest import raw_insert, synthetic_pages
    from papers.sources import arxiv

    records = arxiv.parse(synthetic_pages(5)[0]).records
    raw_insert(records, batch_size=100)
    assert Paper.objects.filter(arxiv_id__in=[r.arxiv_id for r in records]).count() == len(records)


def test_the_search_latency_bench_times_every_kind_of_query(loaded, capsys):
    from bench import search_latency
    from papers.search import term_stats

    term_stats.refresh()
    queries = search_latency.build_queries(3)
    assert {len(q) for q in queries.values()} == {3}
    assert all(len(q.split()) == 20 for q in queries["20 words"])
    assert search_latency.main(["--queries", "3"]) == 0
    out = capsys.readouterr().out.splitlines()
    rows = [line for line in out if line.startswith(("| 3", "| 20"))]
    assert len(rows) == 3 and all(line.count(" / ") == 4 for line in rows)


def test_the_search_latency_bench_times_the_text_index_beside_the_database_too(
    loaded, capsys, settings, tmp_path
):
    from django.core.management import call_command

    from bench import search_latency
    from papers.search import term_stats, text_index

    settings.SEARCH_INDEX_PATH = tmp_path / "search-index"
    term_stats.refresh()
    call_command("build_search_index", verbosity=0)
    try:
        assert search_latency.main(["--queries", "3", "--text-index", "both", "--read-only"]) == 0
    finally:
        text_index.forget()
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith(("| 3", "| 20"))]
    assert len(rows) == 6 and sum(", text index" in row for row in rows) == 3


def test_the_search_reference_runs_every_statement_of_the_search_and_no_authentication(loaded):
    """bench.run compares the API's search with its own statements run by pgbench: all of
    them (one was once taken for the search and the rest counted as overhead), on counted
    word statistics (the loader counts them, as a site's hourly task does)."""
    import psycopg
    from django.db import connection

    from bench.search import api_search_statements, pgbench

    with connection.cursor() as cursor:
        cursor.execute("SELECT papers FROM papers_searchcorpus")
        assert cursor.fetchone() == (300,)
    member = fixtures.members(1)[0]
    client = Client(headers={**PROXY_HEADERS, **member.api})
    term = loaded["common_terms"][0]
    statements = api_search_statements(client, term)
    assert not any("knox_authtoken" in sql for sql in statements)
    assert any("ts_rank_cd" in sql for sql in statements)  # the BM25 ranking, not only the statistics
    page = _get(client, f"/api/v1/papers/?q={term}", member.api)
    params = connection.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"}) as raw:
        results = {sql: raw.execute(sql).fetchall() for sql in statements}
    ranked_page = next(rows for sql, rows in results.items() if "array_position" in sql)
    page_ids = [p["id"] for p in page["results"]]
    assert page_ids and [row[0] for row in ranked_page][: len(page_ids)] == page_ids
    # pgbench runs them as one script (the ranking's SQL has a comment and spans lines).
    dsn = f"postgresql://{params['user']}@{params['host']}:{params['port']}/{params['dbname']}"
    assert pgbench(dsn, {term: statements}, clients=1, duration=1, warmup=0)["transactions"] > 0
