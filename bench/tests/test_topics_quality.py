"""The topic benchmark's scoring and its refusals, on numbers the test writes (no timings)."""

import json

import numpy as np
import pytest

from bench import topics_quality


def test_it_scores_micro_precision_recall_and_f1_over_pairs() -> None:
    scores = np.array([[0.9, 0.1], [0.4, 0.8], [0.3, 0.2]])
    gold = np.array([[True, False], [False, True], [False, True]])
    # At 0.35: predicted (0,0), (1,0), (1,1); right (0,0), (1,1); three true pairs.
    assert topics_quality.prf(scores, gold, 0.35) == pytest.approx((2 / 3, 2 / 3, 2 / 3))
    assert topics_quality.prf(scores, gold, 0.95) == (0.0, 0.0, 0.0)


def test_it_tunes_the_threshold_with_the_best_f1() -> None:
    scores = np.array([[0.9, 0.1], [0.4, 0.8], [0.3, 0.2]])
    gold = np.array([[True, False], [False, True], [False, False]])
    assert topics_quality.best_threshold(scores, gold) == pytest.approx(0.8)


def test_it_refuses_a_missing_or_short_file(tmp_path, capsys) -> None:
    assert topics_quality.main(["--data", str(tmp_path / "none.jsonl")]) == 2
    short = tmp_path / "short.jsonl"
    row = {"paper_id": "x", "title": "A title", "source": ["One sentence."], "target": []}
    short.write_text(json.dumps(row) + "\n", encoding="utf-8")
    assert topics_quality.main(["--data", str(short)]) == 2
    assert "labels cover 200" in capsys.readouterr().err
