"""The discovery benchmark's plumbing, on a small labelled set the test writes (no timings)."""

import csv

import numpy as np
import pytest

# scikit-learn comes with the benchmark's packages (make install-bench; CI installs them).
pytest.importorskip("sklearn", reason="bench packages: make install-bench")
from bench import discovery_quality as dq

TOPICS = {
    "astro-ph": "Spectra of distant galaxies and quasars observed with a space telescope, case {n}.",
    "math.CO": "Counting lattice paths and permutations with a bijective proof, case {n}.",
    "cs.LG": "Training deep neural networks with stochastic gradient descent on images, case {n}.",
}


def write_papers(path, per_topic: int = 20) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "title", "abstract", "categories"])
        writer.writeheader()
        for category, text in TOPICS.items():
            for n in range(per_topic):
                writer.writerow(
                    {
                        "id": f"{category}-{n}",
                        "title": f"Study {n}",
                        "abstract": text.format(n=n),
                        "categories": f"{category} physics.data-an",
                    }
                )
        writer.writerow({"id": "no-abstract", "title": "Skipped", "abstract": "", "categories": "cs.LG"})


def test_it_reads_the_primary_category_and_skips_rows_without_an_abstract(tmp_path) -> None:
    write_papers(tmp_path / "papers.csv", per_topic=2)
    papers = dq.read_papers(tmp_path / "papers.csv")
    assert len(papers) == 6 and papers[0].label == "astro-ph"
    assert papers[0].text.startswith("Study 0. Spectra")


def test_precision_counts_neighbours_of_the_same_primary_category() -> None:
    papers = [dq.Paper(str(i), "", cats) for i, cats in enumerate([("a",), ("a", "b"), ("b",), ("b", "a")])]
    neighbours = np.array([[1, 2], [0, 3], [3, 1], [2, 0]])
    same, shared = dq.precision_at_top(neighbours, papers)
    assert same == pytest.approx((1 / 2 + 1 / 2 + 1 / 2 + 1 / 2) / 4)
    assert shared == pytest.approx((1 / 2 + 1 + 1 + 1) / 4)


def test_the_neighbours_exclude_the_paper_itself_and_come_best_first() -> None:
    similarity = np.arange(144, dtype=float).reshape(12, 12)
    neighbours = dq.top_neighbours(similarity)
    assert list(neighbours[11]) == list(range(10, 0, -1))
    assert all(i not in row for i, row in enumerate(neighbours))


def test_a_tied_held_out_paper_gets_its_expected_rank() -> None:
    scores = np.array([0.5, 0.5, 0.5, 0.9, 0.1])
    # Paper 3 is kept (excluded); papers 1 and 2 tie with the held-out paper 0.
    assert dq.held_out_rank(scores, held_out=0, excluded=[3]) == 2.0


def test_synthetic_members_mostly_vote_inside_a_few_categories() -> None:
    labels = [c for c in "abcdef" for _ in range(20)]
    members = dq.synthetic_members(labels, 40, np.random.default_rng(1))
    shares = []
    for member in members:
        voted = [labels[i] for i in member.votes]
        top_three = sum(sorted((voted.count(c) for c in set(voted)), reverse=True)[:3])
        shares.append(top_three / len(voted))
        assert not set(member.votes) & set(member.dismissed)
    assert np.mean(shares) > 0.85


def test_it_prints_both_tables_with_every_method(tmp_path, capsys) -> None:
    write_papers(tmp_path / "papers.csv")
    dq.main(["--data", str(tmp_path / "papers.csv"), "--members", "5", "--seed", "3"])
    out = capsys.readouterr().out
    assert "dev: 30 papers" in out and "test: 30 papers" in out
    for row in (
        "| ours: wordllama cosine |",
        "| TF-IDF cosine |",
        "| most-voted (trending only) |",
        "Chosen:",
    ):
        assert row in out
    # Three clearly separated topics: the embedding neighbours are far better than chance.
    ours_row = next(line for line in out.splitlines() if line.startswith("| ours: wordllama"))
    assert float(ours_row.split("|")[4]) > 0.6


def test_it_exits_with_a_message_on_a_missing_file(tmp_path) -> None:
    with pytest.raises(SystemExit, match="no such file"):
        dq.main(["--data", str(tmp_path / "missing.csv")])
