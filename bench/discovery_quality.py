"""Offline quality of related papers and "for you", on arXiv papers labelled by category.

DATA is arXiv metadata in the snapshot's layout (CSV, or JSON lines): `id`, `title`,
`abstract`, `categories` (space-separated, the first is the primary category, the label).
The papers are shuffled with SEED and cut in two: constants are tuned on the dev part and
the figures reported on the test part; each part is its own "site" (neighbours and
candidates come from the same part only).

(a) Related papers: for every paper, the 10 nearest other papers; precision@10 is the
share of them with the same primary category (and, second column, sharing any category).
Ours is the cosine of the wordllama embeddings the site stores (papers.search.embeddings);
baselines are random, most-voted (the synthetic group's popular papers, the same for every
paper) and TF-IDF cosine (scikit-learn) over the same titles and abstracts.

(b) For you: a synthetic group whose members each prefer one to three categories. A
member's votes fall in their categories with probability TOPIC_FOLLOW, otherwise anywhere;
within either, papers are drawn by a per-paper appeal (lognormal), so some papers are
popular with everyone and "most-voted" is a real baseline. Each member also dismisses a
few popular papers outside their categories. Leave-one-out: each vote of each member with
two or more votes is held out in turn; the group's trending score is log2(1 + votes) with
that vote removed; every paper the member has not kept a vote on or dismissed is ranked;
hit@10 and MRR of the held-out paper are reported. Ours is papers.discovery.scoring
(profile_vector + for_you_scores); the trending share and the dismissal weight are chosen
by MRR on dev. Baselines: random, most-voted (trending only), TF-IDF profile (mean TF-IDF
row of the voted papers, cosine), and the TF-IDF profile mixed with trending like ours.

    python -m bench.discovery_quality --data /work/shared/data/arxiv-0704/arxiv_metadata_0704.csv
"""

import argparse
import csv
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from papers.discovery import scoring
from papers.search.embeddings import embed, paper_text

TOP = 10
TOPIC_FOLLOW = 0.8  # share of a member's votes inside their preferred categories
MIN_CATEGORY_PAPERS = 5  # a member only prefers categories with enough papers to vote on
TRENDING_SHARES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
DISMISSED_WEIGHTS = (0.0, -0.5, -1.0, -2.0)


@dataclass(frozen=True)
class Paper:
    key: str
    text: str
    categories: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.categories[0]


@dataclass(frozen=True)
class Member:
    votes: tuple[int, ...]  # paper indices within the part
    dismissed: tuple[int, ...]


@dataclass(frozen=True)
class Part:
    """One half of the data with everything the methods need."""

    name: str
    papers: list[Paper]
    embeddings: np.ndarray  # unit rows
    tfidf: np.ndarray  # unit rows (dense: a part holds at most a few thousand papers)
    members: list[Member]

    @property
    def labels(self) -> list[str]:
        return [p.label for p in self.papers]


# ---- data ----


def read_papers(path: Path) -> list[Paper]:
    rows = _json_lines(path) if path.suffix in {".json", ".jsonl"} else _csv_rows(path)
    papers = []
    for row in rows:
        categories = row.get("categories") or ""
        categories = tuple(categories.split() if isinstance(categories, str) else categories)
        abstract = " ".join((row.get("abstract") or "").split())
        if categories and abstract:
            title = " ".join((row.get("title") or "").split())
            papers.append(Paper(str(row.get("id", len(papers))), paper_text(title, abstract), categories))
    return papers


def _json_lines(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _csv_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def split(papers: list[Paper], seed: int, dev_share: float) -> tuple[list[Paper], list[Paper]]:
    order = np.random.default_rng(seed).permutation(len(papers))
    cut = round(len(papers) * dev_share)
    return [papers[i] for i in order[:cut]], [papers[i] for i in order[cut:]]


def tfidf_rows(texts: list[str]) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer

    matrix = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit_transform(texts)
    return matrix.toarray().astype(np.float32)  # rows are already l2-normalised


def synthetic_members(labels: list[str], count: int, rng: np.random.Generator) -> list[Member]:
    appeal = rng.lognormal(0.0, 1.0, len(labels))
    by_category: dict[str, list[int]] = {}
    for index, label in enumerate(labels):
        by_category.setdefault(label, []).append(index)
    usable = [c for c, indices in by_category.items() if len(indices) >= MIN_CATEGORY_PAPERS]
    if not usable:
        raise SystemExit(f"no category has {MIN_CATEGORY_PAPERS} papers: the data set is too small")
    sizes = np.array([len(by_category[c]) for c in usable], dtype=float)
    members = []
    for _ in range(count):
        how_many = min(int(rng.integers(1, 4)), len(usable))
        liked = rng.choice(len(usable), size=how_many, replace=False, p=sizes / sizes.sum())
        inside = np.array(sorted(i for c in liked for i in by_category[usable[c]]))
        outside = np.setdiff1d(np.arange(len(labels)), inside)
        votes = _draw_votes(inside, int(rng.integers(4, 16)), appeal, rng)
        dismissed = _draw(np.setdiff1d(outside, votes), 2, appeal, rng)
        members.append(Member(tuple(votes), tuple(dismissed)))
    return members


def _draw_votes(inside: np.ndarray, count: int, appeal: np.ndarray, rng: np.random.Generator) -> list[int]:
    everyone = np.arange(len(appeal))
    votes: list[int] = []
    for _ in range(count):
        pool = np.setdiff1d(inside if rng.random() < TOPIC_FOLLOW else everyone, votes)
        votes += _draw(pool, 1, appeal, rng)
    return votes


def _draw(pool: np.ndarray, count: int, appeal: np.ndarray, rng: np.random.Generator) -> list[int]:
    count = min(count, len(pool))
    if count == 0:
        return []
    weights = appeal[pool] / appeal[pool].sum()
    return [int(i) for i in rng.choice(pool, size=count, replace=False, p=weights)]


def vote_counts(members: list[Member], size: int) -> np.ndarray:
    counts = np.zeros(size)
    for member in members:
        counts[list(member.votes)] += 1
    return counts


def build_part(name: str, papers: list[Paper], members: int, rng: np.random.Generator) -> Part:
    texts = [p.text for p in papers]
    labels = [p.label for p in papers]
    return Part(name, papers, embed(texts), tfidf_rows(texts), synthetic_members(labels, members, rng))


# ---- (a) related papers ----


def top_neighbours(similarity: np.ndarray) -> np.ndarray:
    """The TOP most similar other rows of each row (the row itself excluded)."""
    similarity = similarity.astype(np.float64, copy=True)
    np.fill_diagonal(similarity, -np.inf)
    top = np.argpartition(-similarity, TOP, axis=1)[:, :TOP]
    order = np.take_along_axis(-similarity, top, axis=1).argsort(axis=1, kind="stable")
    return np.take_along_axis(top, order, axis=1)


def precision_at_top(neighbours: np.ndarray, papers: list[Paper]) -> tuple[float, float]:
    """Mean share of neighbours with the same primary category, and sharing any category."""
    same, shared = [], []
    for index, row in enumerate(neighbours):
        mine = set(papers[index].categories)
        same.append(np.mean([papers[j].label == papers[index].label for j in row]))
        shared.append(np.mean([bool(mine & set(papers[j].categories)) for j in row]))
    return float(np.mean(same)), float(np.mean(shared))


def related_methods(part: Part, rng: np.random.Generator) -> dict[str, np.ndarray]:
    size = len(part.papers)
    popularity = vote_counts(part.members, size) + rng.random(size) * 1e-3  # random tie-break
    return {
        "random": top_neighbours(rng.random((size, size))),
        "most-voted": top_neighbours(np.tile(popularity, (size, 1))),
        "TF-IDF cosine": top_neighbours(part.tfidf @ part.tfidf.T),
        "ours: wordllama cosine": top_neighbours(part.embeddings @ part.embeddings.T),
    }


# ---- (b) for you ----

# A method sees the member's kept votes, their dismissals and the group's trending scores,
# and scores every paper of the part.
Scorer = Callable[[list[int], list[int], np.ndarray], np.ndarray]


def held_out_rank(scores: np.ndarray, held_out: int, excluded: list[int]) -> float:
    """1-based rank of the held-out paper; ties count as half above it (expected rank)."""
    candidates = np.delete(scores, excluded + [held_out])
    target = scores[held_out]
    return 1.0 + np.sum(candidates > target) + np.sum(candidates == target) / 2.0


def leave_one_out(part: Part, scorer: Scorer) -> tuple[float, float, int]:
    """hit@TOP, MRR and the number of held-out votes."""
    counts = vote_counts(part.members, len(part.papers))
    hits, reciprocal = [], []
    for member in part.members:
        if len(member.votes) < 2:
            continue
        for held_out in member.votes:
            kept = [v for v in member.votes if v != held_out]
            others = counts.copy()
            others[held_out] -= 1
            scores = scorer(kept, list(member.dismissed), np.log2(1.0 + others))
            rank = held_out_rank(scores, held_out, kept + list(member.dismissed))
            hits.append(rank <= TOP)
            reciprocal.append(1.0 / rank)
    return float(np.mean(hits)), float(np.mean(reciprocal)), len(hits)


def ours(part: Part, trending_share: float, dismissed_weight: float) -> Scorer:
    def score(kept: list[int], dismissed: list[int], trending: np.ndarray) -> np.ndarray:
        signals = kept + dismissed
        weights = np.array([scoring.VOTE_WEIGHT] * len(kept) + [dismissed_weight] * len(dismissed))
        profile = scoring.profile_vector(part.embeddings[signals], weights)
        return scoring.for_you_scores(profile, part.embeddings, trending, trending_share=trending_share)

    return score


def tfidf_profile(part: Part, trending_share: float) -> Scorer:
    def score(kept: list[int], dismissed: list[int], trending: np.ndarray) -> np.ndarray:
        profile = part.tfidf[kept].mean(axis=0)
        if trending_share == 0:
            return part.tfidf @ profile
        unit = profile / (np.linalg.norm(profile) or 1.0)
        return scoring.for_you_scores(unit, part.tfidf, trending, trending_share=trending_share)

    return score


def random_scores(rng: np.random.Generator) -> Scorer:
    return lambda kept, dismissed, trending: rng.random(len(trending))


def most_voted(part: Part) -> Scorer:
    return lambda kept, dismissed, trending: scoring.for_you_scores(None, part.embeddings, trending)


def tune(dev: Part) -> tuple[tuple[float, float], list[tuple[float, float, float, float]]]:
    """The (trending share, dismissal weight) with the best dev MRR, and every tried row."""
    tried = []
    for share in TRENDING_SHARES:
        for weight in DISMISSED_WEIGHTS:
            hit, mrr, _ = leave_one_out(dev, ours(dev, share, weight))
            tried.append((share, weight, hit, mrr))
    best = max(tried, key=lambda row: row[3])
    return (best[0], best[1]), tried


def for_you_methods(part: Part, share: float, weight: float, rng: np.random.Generator) -> dict[str, Scorer]:
    return {
        "random": random_scores(rng),
        "most-voted (trending only)": most_voted(part),
        "TF-IDF profile": tfidf_profile(part, 0.0),
        f"TF-IDF profile + trending {share:g}": tfidf_profile(part, share),
        "ours without trending": ours(part, 0.0, weight),
        f"ours (trending {share:g}, dismissed {weight:g})": ours(part, share, weight),
    }


# ---- report ----


def describe(part: Part) -> str:
    votes = sum(len(m.votes) for m in part.members)
    categories = len(set(part.labels))
    return (
        f"{part.name}: {len(part.papers)} papers, {categories} primary categories, "
        f"{len(part.members)} members, {votes} votes"
    )


def print_related(parts: list[Part], seed: int) -> None:
    print(f"\n(a) Related papers: precision@{TOP} (same primary category / any shared category)\n")
    print("| method | " + " | ".join(f"{p.name} primary | {p.name} any" for p in parts) + " |")
    print("|---|" + "---:|---:|" * len(parts))
    results = {p.name: related_methods(p, np.random.default_rng(seed)) for p in parts}
    for method in results[parts[0].name]:
        cells = []
        for part in parts:
            cells += [f"{x:.3f}" for x in precision_at_top(results[part.name][method], part.papers)]
        print(f"| {method} | " + " | ".join(cells) + " |")


def print_for_you(dev: Part, test: Part, seed: int) -> None:
    (share, weight), tried = tune(dev)
    print(f"\n(b) For you, tuning on {dev.name} (MRR picks the row):\n")
    print("| trending share | dismissed weight | hit@10 | MRR |\n|---:|---:|---:|---:|")
    for row in tried:
        print(f"| {row[0]:g} | {row[1]:g} | {row[2]:.3f} | {row[3]:.3f} |")
    print(f"\nChosen: trending share {share:g}, dismissed weight {weight:g}.")
    for part in (dev, test):
        print(f"\n(b) For you on {part.name}: leave-one-out over the members' votes\n")
        print(f"| method | hit@{TOP} | MRR | held-out votes |\n|---|---:|---:|---:|")
        for name, scorer in for_you_methods(part, share, weight, np.random.default_rng(seed)).items():
            hit, mrr, count = leave_one_out(part, scorer)
            print(f"| {name} | {hit:.3f} | {mrr:.3f} | {count} |")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="arXiv metadata, CSV or JSON lines")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--members", type=int, default=100, help="synthetic members per part")
    parser.add_argument("--dev-share", type=float, default=0.5, help="share of the papers in the dev part")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N papers (0: all)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if not args.data.is_file():
        sys.exit(f"--data {args.data}: no such file")
    if not 0.0 < args.dev_share < 1.0 or args.members < 1:
        sys.exit("--dev-share must be within (0, 1) and --members at least 1")
    papers = read_papers(args.data)
    papers = papers[: args.limit] if args.limit else papers
    if len(papers) < 2 * (TOP + 1):
        needed = 2 * (TOP + 1)
        sys.exit(f"{args.data}: {len(papers)} papers with an abstract and categories, {needed} needed")
    rng = np.random.default_rng(args.seed)
    dev_papers, test_papers = split(papers, args.seed, args.dev_share)
    dev = build_part("dev", dev_papers, args.members, rng)
    test = build_part("test", test_papers, args.members, rng)
    print(f"{args.data.name}, seed {args.seed}\n{describe(dev)}\n{describe(test)}")
    print_related([dev, test], args.seed)
    print_for_you(dev, test, args.seed)


if __name__ == "__main__":
    main()
