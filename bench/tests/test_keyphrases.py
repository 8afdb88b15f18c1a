"""The keyphrase benchmark's scoring, on a data set the test writes (no timings)."""

import pytest

# nltk comes with the benchmark's packages (make install-bench; CI installs them).
pytest.importorskip("nltk", reason="bench packages: make install-bench")
from bench import keyphrases


def test_it_matches_keyphrases_after_porter_stemming_and_pads_short_lists() -> None:
    gold = ["Neural Networks", "graph partitioning", "coarsening"]
    # "neural network" and "graph partition" match after stemming; 2 of 5 in the top 5.
    predicted = ["neural network", "graph partition", "deep", "neural networks"]
    assert keyphrases.f1_at(predicted, gold, 5) == pytest.approx(2 * 0.4 * (2 / 3) / (0.4 + 2 / 3))
    assert keyphrases.f1_at([], gold, 5) == 0.0


def test_it_splits_by_id_and_prints_a_table(tmp_path, capsys) -> None:
    (tmp_path / "docsutf8").mkdir()
    (tmp_path / "keys").mkdir()
    for n in range(6):
        text = f"Graph partitioning with multilevel coarsening, case {n}. Coarsening shrinks graphs."
        (tmp_path / "docsutf8" / f"d{n}.txt").write_text(text, encoding="utf-8")
        (tmp_path / "keys" / f"d{n}.key").write_text("graph partitioning\ncoarsening\n", encoding="utf-8")
    tune, test = keyphrases.load(tmp_path, "tune"), keyphrases.load(tmp_path, "test")
    assert len(tune) + len(test) == 6 and not {d.doc_id for d in tune} & {d.doc_id for d in test}
    keyphrases.main(["--data", str(tmp_path), "--split", "all"])
    out = capsys.readouterr().out
    assert "6 documents" in out and "| yake-rust |" in out and "| extractor |" in out
