"""How well the workers assign papers to the group's topics, on a labelled set of real abstracts.

The labelled set: the first 200 papers of SciTLDR dev (ICLR/OpenReview abstracts, Apache-2.0;
read from --data, never copied here), each labelled by hand, from its title, with the topics
of TOPICS it belongs to (none, one or two; LABELS below holds only paper ids and topic keys).
About half of the papers belong to no topic, as most new papers of a reading group would.

Protocol: the threshold is tuned on the first 100 papers ("tune": the one maximising
micro-F1 over every (paper, topic) pair) and reported on the last 100 ("check"), so the
reported figure is not the one the threshold was fitted to. Methods, each with its own
tuned threshold:

- wordllama: cosine of the paper's embedding (papers.search.embeddings, as the workers store
  it) to the topic's description, both seen from the collection's centre (the mean vector of
  the 200 papers), through papers.topic_match as the workers run it; and the plain cosine;
- wordllama + seeds: the same with two seed papers per topic (the first two tune papers
  labelled with it), as an organiser would pick; the seeds are left out of the scores;
- BM25 (bm25s library baseline): the description as the query over title + abstract, each
  score divided by the topic's best score over the papers, so one threshold fits every topic.

    python -m bench.topics_quality --data /work/shared/data/scitldr/dev.jsonl

Prints precision, recall and F1 on both halves, the chosen thresholds and the time per paper.
"""

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Topic descriptions as an organiser would write them in the admin: a sentence or two.
TOPICS = {
    "rl": "Reinforcement learning: agents that learn policies from rewards, exploration, "
    "planning, imitation learning and multi-agent reinforcement learning.",
    "gen": "Generative models: GANs, variational autoencoders, normalizing flows and "
    "autoregressive models that generate images, molecules or other data.",
    "adv": "Adversarial robustness: adversarial examples and attacks, adversarial training "
    "and certified defences of neural networks.",
    "graph": "Graph neural networks and learning on graphs: node embeddings, graph "
    "convolutions, knowledge graphs and molecular graphs.",
    "nlp": "Natural language processing: language models, machine translation, dialogue, "
    "text classification and word embeddings.",
    "compress": "Model compression and efficient inference: pruning, quantization, sparse "
    "networks, low-rank factorisation and knowledge distillation.",
    "optim": "Optimization and training dynamics of deep networks: SGD and adaptive "
    "optimizers, learning rates, convergence, loss landscapes and generalization theory.",
    "meta": "Meta-learning and few-shot learning: learning to learn new tasks from a handful of examples.",
}

# Hand labels of SciTLDR dev papers 0-199 by paper id (unlisted ones belong to no topic).
LABELS = {
    "rJlnfaNYvB": "compress", "BJfIVjAcKm": "adv", "BJlEEaEFDS": "adv", "SyOK1Sg0W": "compress",
    "SkeXehR9t7": "graph", "r1gV3nVKPS": "graph", "S1ltj47xdE": "nlp", "Skgb5h4KPH": "optim",
    "rJeeKTNKDB": "graph gen", "SJxnVL8YOV": "gen", "ByGOuo0cYm": "meta", "H1gQY64FwB": "graph",
    "r1eWW2RqFX": "gen", "r1GAsjC5Fm": "rl", "H1eVlgHKPr": "rl", "HylzTiC5Km": "gen",
    "B1l6qiR5F7": "nlp", "HkwBEMWCZ": "optim", "Hye9lnCct7": "rl", "Bygi-YNNC4": "meta",
    "rylTa8uvQ4": "nlp", "BJlQEILY_N": "gen", "BJgedkStDS": "adv compress", "SygcSlHFvS": "graph",
    "rkePU0VYDr": "adv", "H1gEP6NFwr": "optim", "SkJd_y-Cb": "nlp", "HJenmmF8Ir": "graph",
    "SJeNA6EtDB": "compress", "r1ldYi9rOV": "meta", "rygfnn4twS": "compress", "H1xtU6VtwH": "nlp",
    "Hk3ddfWRW": "rl", "S1xD6xHKDr": "nlp", "BJxh2j0qYm": "compress", "BJgPCveAW": "compress",
    "BygWBRNtvH": "adv", "r1lUE04YPB": "nlp", "HyeuP2EtDB": "rl", "SkPoRg10b": "optim",
    "rJl2E3AcF7": "compress", "r1xOmNmxuN": "graph", "BJeRykBKDH": "graph", "rkepX8LFuE": "nlp",
    "rkxi9J3VKS": "optim", "H1e_cC4twS": "nlp", "H1xLsjAqtX": "nlp", "BJxRrlBFwB": "nlp",
    "rkgU1gHtvr": "rl", "BJlhYknNFS": "gen", "S1gKkpNKwH": "rl", "HJgcw0Etwr": "optim",
    "HJxEhREKDH": "optim", "HkxHv4rn24": "optim", "r1MSBjA9Ym": "optim", "HkeryxBtPB": "adv",
    "S1EfylZ0Z": "gen", "BylA_C4tPr": "graph", "B1eYGkBKDB": "compress nlp", "BJgklhAcK7": "meta",
    "HkxaFoC9KQ": "rl", "rygypo0qtm": "gen", "BklVA2NYvH": "adv", "SJeLO34KwS": "graph",
    "Hke0K1HKwr": "nlp", "rkgpy3C5tX": "meta", "SkgpBJrtvS": "compress", "HklfNQFL8H": "meta",
    "SkeK5B9LyQ": "nlp", "BkeWw6VFwr": "adv", "rJl_NhR9K7": "gen", "Sklw_kHtPH": "optim",
    "rkYgAJWCZ": "meta nlp", "S1jBcueAb": "nlp", "BygY4grYDr": "gen", "HJxB3AEFDS": "nlp",
    "ryxDUs05KQ": "gen", "rJl3YC4YPH": "gen", "rkeJRhNYDH": "nlp", "HyeJf1HKvS": "graph",
    "BJx1SsAcYQ": "compress", "ryx35Ehi84": "nlp", "BJe4V1HFPr": "gen", "BJerUCEtPB": "adv",
    "r1ez_K1wPH": "rl", "S1Q79heRW": "nlp", "SkT5Yg-RZ": "rl", "BJxWx0NYPr": "graph",
    "B1grSREtDH": "rl", "S1eK3i09YQ": "optim", "rJed6j0cKX": "gen", "S1xim8UFuV": "gen",
    "HJlWXhC5Km": "rl", "BJe4oxHYPB": "compress", "HyxLRTVKPH": "optim", "SJeoE0VKDS": "rl",
    "S1lFD4HnnE": "adv", "rJld3hEYvS": "rl", "r1xywsC9tQ": "nlp", "r1lfpfZAb": "nlp",
    "HJePy3RcF7": "optim", "SJG6G2RqtX": "rl", "H1BO9M-0Z": "meta nlp", "S1e_xM7_iQ": "compress",
    "rJTutzbA-": "optim", "SyekweSFPr": "meta adv", "HJgCcCNtwH": "compress", "SyAbZb-0Z": "meta",
    "SkMPNoCcKQ": "gen", "HyxOIoRqFQ": "gen", "By3v9k-RZ": "nlp", "ryxWIgBFPS": "meta",
    "Hk6WhagRW": "rl", "SyVuRiC5K7": "meta", "BylRVjC9K7": "adv", "H1eD7REtPr": "rl",
    "HkgNdt26Z": "nlp", "S1ef6JBtPr": "rl", "ryeYpJSKwr": "meta", "BkggGREKvS": "rl",
    "rkgx8x1js7": "nlp", "H1gza2NtwH": "optim", "H1ersoRqtm": "nlp", "BJgb3k3qpE": "optim",
    "SktLlGbRZ": "gen", "r1edp2VYwH": "nlp", "Bkeqb1BFvB": "graph", "BJx040EFvH": "adv",
    "rylBK34FDS": "compress", "HJlU-AVtvS": "optim",
}  # fmt: skip
LABELLED = 200
TUNE = 100
SEEDS_PER_TOPIC = 2


@dataclass(frozen=True)
class Paper:
    key: str
    text: str
    topics: frozenset[str]


def read_papers(path: Path) -> list[Paper]:
    from papers.search.embeddings import paper_text

    papers = []
    with path.open() as lines:
        for number, line in enumerate(lines):
            if number >= LABELLED:
                break
            row = json.loads(line)
            topics = frozenset(LABELS.get(row["paper_id"], "").split())
            papers.append(Paper(row["paper_id"], paper_text(row["title"], " ".join(row["source"])), topics))
    return papers


def truth(papers: list[Paper], keys: list[str]) -> np.ndarray:
    return np.array([[key in p.topics for key in keys] for p in papers], dtype=bool)


def prf(scores: np.ndarray, gold: np.ndarray, threshold: float) -> tuple[float, float, float]:
    """Micro precision, recall and F1 over every (paper, topic) pair."""
    predicted = scores >= threshold
    hits = int((predicted & gold).sum())
    precision = hits / predicted.sum() if predicted.sum() else 0.0
    recall = hits / gold.sum() if gold.sum() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def best_threshold(scores: np.ndarray, gold: np.ndarray) -> float:
    """The threshold with the best F1 on these scores (candidates: every score seen)."""
    candidates = np.unique(np.round(scores, 3))
    return float(max(candidates, key=lambda t: (prf(scores, gold, t)[2], -t)))


def wordllama_scores(
    papers: list[Paper], keys: list[str], seeds: dict[str, list[int]], *, centred: bool = True
) -> np.ndarray:
    from papers.search.embeddings import embed
    from papers.topic_match import collection_centre, similarities, topic_vector

    vectors = embed([p.text for p in papers])
    centre = collection_centre(vectors) if centred else np.zeros_like(vectors[0])
    descriptions = embed([TOPICS[key] for key in keys])
    topics = np.stack(
        [topic_vector(descriptions[i], centre, vectors[seeds.get(key, [])]) for i, key in enumerate(keys)]
    )
    return similarities(vectors, topics, np.tile(centre, (len(keys), 1)))


def bm25_scores(papers: list[Paper], keys: list[str]) -> np.ndarray:
    """bm25s scores of each paper for each description, divided by the topic's best."""
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize([p.text for p in papers], stopwords="en", show_progress=False))
    columns = []
    for key in keys:
        tokens = bm25s.tokenize([TOPICS[key]], stopwords="en", show_progress=False)
        documents, scores = retriever.retrieve(tokens, k=len(papers), show_progress=False)
        column = np.zeros(len(papers), dtype=np.float32)
        column[documents[0]] = scores[0]
        columns.append(column / column.max() if column.max() > 0 else column)
    return np.stack(columns, axis=1)


def pick_seeds(papers: list[Paper], keys: list[str]) -> dict[str, list[int]]:
    tune = papers[:TUNE]
    return {key: [i for i, p in enumerate(tune) if key in p.topics][:SEEDS_PER_TOPIC] for key in keys}


def report(name: str, scores: np.ndarray, gold: np.ndarray, keep: np.ndarray, seconds: float) -> None:
    tune, check = keep.copy(), keep.copy()
    tune[TUNE:], check[:TUNE] = False, False
    threshold = best_threshold(scores[tune], gold[tune])
    p1, r1, f1 = prf(scores[tune], gold[tune], threshold)
    p2, r2, f2 = prf(scores[check], gold[check], threshold)
    per_paper = 1000 * seconds / len(scores)
    print(
        f"| {name} | {threshold:.3f} | {p1:.2f} / {r1:.2f} / {f1:.2f} "
        f"| {p2:.2f} / {r2:.2f} / {f2:.2f} | {per_paper:.2f} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="SciTLDR dev.jsonl")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"No such file: {args.data}", file=sys.stderr)
        return 2
    papers = read_papers(args.data)
    if len(papers) < LABELLED:
        print(f"{args.data} has {len(papers)} papers; labels cover {LABELLED}.", file=sys.stderr)
        return 2
    keys = list(TOPICS)
    gold = truth(papers, keys)
    everyone = np.ones(len(papers), dtype=bool)
    seeds = pick_seeds(papers, keys)
    not_seeds = everyone.copy()
    not_seeds[[i for rows in seeds.values() for i in rows]] = False
    print(f"{len(papers)} papers, {len(keys)} topics, {int(gold.sum())} (paper, topic) labels;")
    print(f"{int((~gold.any(axis=1)).sum())} papers in no topic.", end=" ")
    print(f"Tune: papers 0-{TUNE - 1}; check: {TUNE}-{LABELLED - 1}.\n")
    print("| method | threshold (tuned) | tune P / R / F1 | check P / R / F1 | ms per paper |")
    print("|---|---|---|---|---|")
    for name, compute, keep in (
        ("wordllama, plain cosine", lambda: wordllama_scores(papers, keys, {}, centred=False), everyone),
        ("wordllama, description (as deployed)", lambda: wordllama_scores(papers, keys, {}), everyone),
        ("wordllama, description + 2 seeds", lambda: wordllama_scores(papers, keys, seeds), not_seeds),
        ("BM25 (bm25s), description", lambda: bm25_scores(papers, keys), everyone),
    ):
        start = time.perf_counter()
        scores = compute()
        report(name, scores, gold, keep, time.perf_counter() - start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
