"""Benchmark the keyword extractor on a keyphrase data set: F1@5 and F1@10 against gold keyphrases.

    python -m bench.keyphrases --data /path/to/SemEval2017 [--split test|tune|all]

The data set is a folder in the layout of LIAAD/KeywordExtractor-Datasets: `docsutf8/<id>.txt`
(the text) and `keys/<id>.key` (one gold keyphrase a line). Documents are split in two halves by
a hash of their id (CRC-32, even: `tune`, odd: `test`), so the split is the same on every
machine; tune on one half, report on the other.

Protocol: a keyphrase is lower-cased, cut into words (runs of letters and digits), and each word
Porter-stemmed (nltk's PorterStemmer); a prediction matches a gold keyphrase when the stemmed
word sequences are equal. Predictions are deduplicated after stemming, in their order. For k in
(5, 10): precision = matches in the first k / k (a list shorter than k is not rewarded),
recall = matches in the first k / gold keyphrases; F1 per document, mean over documents x100.

Systems, all on the same documents in one run:
- `yake-rust`: the library's own top 10 (YAKE!, 1-3 words, its default de-duplication).
- `extractor`: papers.summaries.keywords.keywords(), as the site runs it, asked for 10.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from nltk.stem.porter import PorterStemmer
from yake_rust import Yake

from papers.summaries.keywords import keywords

K_VALUES = (5, 10)
PROGRESS_EVERY = 100
_WORD = re.compile(r"[^\W_]+")
_stemmer = PorterStemmer()


@dataclass
class Document:
    doc_id: str
    text: str
    gold: list[str]


@dataclass
class Scores:
    f1: dict[int, list[float]] = field(default_factory=lambda: {k: [] for k in K_VALUES})
    seconds: float = 0.0

    def mean(self, k: int) -> float:
        values = self.f1[k]
        return 100 * sum(values) / len(values) if values else 0.0


def split_of(doc_id: str) -> str:
    return "tune" if zlib.crc32(doc_id.encode()) % 2 == 0 else "test"


def load(path: Path, split: str) -> list[Document]:
    docs = []
    for text_file in sorted((path / "docsutf8").glob("*.txt")):
        doc_id = text_file.stem
        key_file = path / "keys" / f"{doc_id}.key"
        if not key_file.exists() or (split != "all" and split_of(doc_id) != split):
            continue
        gold = [line.strip() for line in key_file.read_text(encoding="utf-8").splitlines() if line.strip()]
        docs.append(Document(doc_id, text_file.read_text(encoding="utf-8"), gold))
    return docs


def stem(phrase: str) -> str:
    return " ".join(_stemmer.stem(w) for w in _WORD.findall(phrase.lower()))


def f1_at(predicted: list[str], gold: list[str], k: int) -> float:
    gold_stems = {s for s in map(stem, gold) if s}
    top = list(dict.fromkeys(s for s in map(stem, predicted) if s))[:k]
    matches = sum(1 for s in top if s in gold_stems)
    if not matches:
        return 0.0
    precision, recall = matches / k, matches / len(gold_stems)
    return 2 * precision * recall / (precision + recall)


def yake_rust_raw() -> Callable[[str], list[str]]:
    extractor = Yake(language="en", ngrams=3)
    return lambda text: [phrase for phrase, _ in extractor.get_n_best(text, n=max(K_VALUES))]


def extractor(text: str) -> list[str]:
    return keywords("", text, limit=max(K_VALUES))


def run(docs: list[Document], systems: dict[str, Callable[[str], list[str]]]) -> dict[str, Scores]:
    results = {name: Scores() for name in systems}
    for done, doc in enumerate(docs, 1):
        for name, system in systems.items():
            start = time.perf_counter()
            predicted = system(doc.text)
            results[name].seconds += time.perf_counter() - start
            for k in K_VALUES:
                results[name].f1[k].append(f1_at(predicted, doc.gold, k))
        if done % PROGRESS_EVERY == 0 or done == len(docs):
            print(f"  {done}/{len(docs)} documents", file=sys.stderr, flush=True)
    return results


def table(results: dict[str, Scores], docs: int) -> Iterator[str]:
    yield "| system | F1@5 | F1@10 | ms/doc |"
    yield "|---|---:|---:|---:|"
    for name, scores in results.items():
        ms = 1000 * scores.seconds / max(docs, 1)
        yield f"| {name} | {scores.mean(5):.1f} | {scores.mean(10):.1f} | {ms:.2f} |"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with docsutf8/ and keys/")
    parser.add_argument("--split", choices=["tune", "test", "all"], default="test")
    args = parser.parse_args(argv)
    docs = load(args.data, args.split)
    if not docs:
        parser.error(f"no documents with keys in {args.data} (split {args.split})")
    gold = sum(len(d.gold) for d in docs) / len(docs)
    print(f"{args.data.name}, split {args.split}: {len(docs)} documents, {gold:.1f} gold keyphrases each")
    results = run(docs, {"yake-rust": yake_rust_raw(), "extractor": extractor})
    print("\n".join(table(results, len(docs))))


if __name__ == "__main__":
    main()
