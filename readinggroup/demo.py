"""Synthetic demo content: members, papers, votes and sessions.

Every text here is generated from word lists written for this project. The
generator is seeded, and rows are created only when missing, so running it
twice changes nothing. Demo papers carry DOIs under 10.5555, the prefix set
aside for examples, so they can never collide with a real paper.
"""

import itertools
import random
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from meetings.models import RSVP, AgendaItem, Meeting
from members.models import Invitation, User
from papers.models import Author, Paper, PaperAuthor, Source, Tag, tag_slug
from papers.services import paper_summarise, paper_vote_set
from papers.summaries.extractive import ExtractiveBackend

SEED = 2026
DEMO_DOI_PREFIX = "10.5555/readinggroup-demo."

MEMBER_NAMES = [
    ("amara", "Amara Okafor"),
    ("bruno", "Bruno Lindqvist"),
    ("chen", "Chen Wei"),
    ("dalia", "Dalia Haddad"),
    ("emil", "Emil Novak"),
    ("farah", "Farah Siddiqui"),
    ("gustavo", "Gustavo Reyes"),
    ("hana", "Hana Kobayashi"),
    ("ines", "Inês Carvalho"),
    ("jonas", "Jonas Berg"),
    ("kemi", "Kemi Adeyemi"),
    ("lucia", "Lucía Fernández"),
]
FIRST_NAMES = [
    "Aditi",
    "Bao",
    "Camille",
    "Darius",
    "Elif",
    "Femi",
    "Greta",
    "Hiro",
    "Ilya",
    "Jana",
    "Kofi",
    "Lena",
    "Mateo",
    "Nadia",
    "Omar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Viktor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
]
LAST_NAMES = [
    "Abbasi",
    "Brandt",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fujita",
    "Gallo",
    "Horvath",
    "Iyer",
    "Jansen",
    "Kowalski",
    "Laurent",
    "Moreau",
    "Nakamura",
    "Olsen",
    "Petrov",
    "Quispe",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Ueda",
    "Varga",
    "Wagner",
    "Xu",
    "Yilmaz",
    "Zhou",
]
TOPICS = [
    "Transformers",
    "Reinforcement learning",
    "Diffusion models",
    "Graph neural networks",
    "Optimisation",
    "Interpretability",
    "Efficient inference",
    "Computer vision",
    "Speech",
    "Robotics",
    "Federated learning",
    "Causality",
    "Evaluation",
    "Alignment",
    "Retrieval",
]
CATEGORIES = ["cs.LG", "cs.CL", "cs.CV", "stat.ML", "cs.AI", "cs.RO"]
ADJECTIVES = [
    "Sparse",
    "Adaptive",
    "Robust",
    "Scalable",
    "Calibrated",
    "Contrastive",
    "Hierarchical",
    "Low-Rank",
    "Self-Supervised",
    "Memory-Efficient",
    "Causal",
    "Multilingual",
    "Streaming",
]
METHODS = [
    "Attention",
    "Mixture-of-Experts",
    "Policy Optimisation",
    "Score Matching",
    "Message Passing",
    "Distillation",
    "Quantisation",
    "Retrieval Augmentation",
    "Curriculum Learning",
    "Preference Optimisation",
    "State-Space Models",
    "Token Merging",
    "Weight Averaging",
]
TASKS = [
    "Long-Context Reasoning",
    "Protein Design",
    "Code Generation",
    "Tabular Prediction",
    "Video Understanding",
    "Robot Manipulation",
    "Speech Recognition",
    "Machine Translation",
    "Molecule Generation",
    "Time-Series Forecasting",
    "Image Segmentation",
    "Question Answering",
]
NAME_PARTS = ["Fla", "Mor", "Quill", "Ves", "Tor", "Lum", "Ark", "Zen", "Pix", "Nov", "Cor", "Syl"]
NAME_ENDS = ["net", "ix", "ora", "ium", "er", "ens", "ast", "ova"]


# Real endpoints, created disabled: the demo never fetches until an organiser
# enables a source in the admin.
DEMO_SOURCES = [
    (
        "arXiv cs.LG (API)",
        "arxiv",
        "https://export.arxiv.org/api/query?search_query=cat:cs.LG&sortBy=submittedDate&sortOrder=descending",
    ),
    ("arXiv cs.LG (RSS)", "arxiv-rss", "https://rss.arxiv.org/rss/cs.LG"),
    ("Hugging Face daily papers", "hf-daily", "https://huggingface.co/api/daily_papers"),
]


@dataclass
class DemoReport:
    members: int = 0
    papers: int = 0
    votes: int = 0
    meetings: int = 0

    def __str__(self) -> str:
        return (
            f"created {self.members} members, {self.papers} papers, "
            f"{self.votes} votes, {self.meetings} meetings"
        )


def _title(rng: random.Random) -> tuple[str, str, str]:
    adjective, method, task = rng.choice(ADJECTIVES), rng.choice(METHODS), rng.choice(TASKS)
    shape = rng.randrange(3)
    if shape == 0:
        return f"{adjective} {method} for {task}", method, task
    if shape == 1:
        name = rng.choice(NAME_PARTS) + rng.choice(NAME_ENDS)
        return f"{name}: {adjective} {method} Meets {task}", method, task
    return f"On the Limits of {method} in {task}", method, task


def _abstract(rng: random.Random, method: str, task: str) -> str:
    gain = rng.randint(3, 40)
    benchmarks = rng.randint(2, 9)
    contribution = (
        f"We introduce a {rng.choice(ADJECTIVES).lower()} variant of {method.lower()} that "
        f"reuses intermediate computation across steps and needs no extra supervision."
    )
    sentences = [
        f"{task} has become a standard test for modern learning systems.",
        f"Existing approaches based on {method.lower()} scale poorly with input length "
        f"and are sensitive to hyperparameters.",
        contribution,
        f"The method is simple to implement and adds less than {rng.randint(2, 9)} percent to training cost.",
        f"Across {benchmarks} benchmarks it improves accuracy by {gain} percent on average "
        f"while using {rng.randint(2, 8)} times less memory.",
        "We release code and trained models to support further research.",
    ]
    return " ".join(sentences)


def _ensure_members(report: DemoReport) -> list[User]:
    members = []
    for username, full_name in MEMBER_NAMES:
        first, last = full_name.split(" ", 1)
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@example.org"},
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            report.members += 1
        members.append(user)
    return members


def _ensure_invitations(members: list[User]) -> None:
    # One open invitation (not mailed) so the invitation pages have something to show.
    if not Invitation.objects.filter(email__iexact="newcomer@example.org").exists():
        Invitation.objects.create(email="newcomer@example.org", invited_by=members[0], sent_at=timezone.now())


def _ensure_sources() -> None:
    for name, kind, url in DEMO_SOURCES:
        Source.objects.get_or_create(name=name, defaults={"kind": kind, "url": url, "enabled": False})


def _ensure_tags() -> tuple[list[Tag], list[Tag]]:
    topics = [_tag(name, Tag.Kind.TOPIC) for name in TOPICS]
    categories = [_tag(name, Tag.Kind.CATEGORY) for name in CATEGORIES]
    return topics, categories


def _tag(name: str, kind: str) -> Tag:
    tag, _ = Tag.objects.get_or_create(slug=tag_slug(name), defaults={"name": name, "kind": kind})
    return tag


def _ensure_paper(rng, index: int, now, topics, categories, report: DemoReport) -> Paper:
    doi = f"{DEMO_DOI_PREFIX}{index:04d}"
    # Draw every random number first so the sequence is the same on every run.
    title, method, task = _title(rng)
    abstract = _abstract(rng, method, task)
    authors = rng.sample(
        [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES], rng.randint(3, 5)
    )
    chosen_topics = rng.sample(topics, rng.randint(1, 3))
    chosen_categories = rng.sample(categories, rng.randint(1, 2))
    added = now - timedelta(days=rng.uniform(0, 60))
    existing = Paper.objects.filter(doi=doi).first()
    if existing:
        return existing
    paper = Paper.objects.create(
        doi=doi,
        title=title,
        abstract=abstract,
        categories=[t.name for t in chosen_categories],
        published_at=added,
        created_at=added,
        status=Paper.Status.LISTED,
        external_votes=rng.randint(0, 60),
    )
    for position, name in enumerate(authors):
        author, _ = Author.objects.get_or_create(name=name)
        PaperAuthor.objects.create(paper=paper, author=author, position=position)
    paper.tags.add(*chosen_topics, *chosen_categories)
    # The offline summariser writes the TL;DR and keywords, as for fetched papers.
    paper_summarise(paper_id=paper.pk, backend=ExtractiveBackend())
    report.papers += 1
    return paper


def _ensure_votes(rng, members, papers, new_paper_ids: set[int], report: DemoReport) -> None:
    # A few papers draw most votes, as in any group (a Zipf-like spread).
    weights = [1 / (rank + 1) for rank in range(len(papers))]
    for member in members:
        picks = {p.pk for p in rng.choices(papers, weights=weights, k=rng.randint(5, 25))}
        for paper_id in sorted(picks & new_paper_ids):
            paper_vote_set(user=member, paper_id=paper_id, voted=True)
            report.votes += 1


def _ensure_meetings(rng, members, papers, now, report: DemoReport) -> None:
    start = (now - timedelta(days=28)).replace(hour=17, minute=0, second=0, microsecond=0)
    queue = itertools.cycle(papers)  # small demo sets reuse papers across meetings
    for week in range(6):
        starts_at = start + timedelta(days=7 * week)
        title = f"Reading group #{week + 1}"
        if Meeting.objects.filter(title=title).exists():
            continue
        _create_meeting(rng, members, queue, title, starts_at, starts_at < now)
        report.meetings += 1


def _create_meeting(rng, members, queue, title: str, starts_at, is_past: bool) -> None:
    meeting = Meeting.objects.create(
        title=title,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1, minutes=30),
        location="Seminar room 2 and online",
        status=Meeting.Status.DONE if is_past else Meeting.Status.PLANNED,
        notes="Bring one question about each paper.\n\n* Slides are optional\n* Keep to 20 minutes",
    )
    presenters = rng.sample(members, 2)
    for order, presenter in enumerate(presenters):
        paper = next(queue)
        AgendaItem.objects.create(meeting=meeting, paper=paper, presenter=presenter, order=order)
        if is_past:
            Paper.objects.filter(pk=paper.pk).update(discussed_at=meeting.ends_at)
    for member in rng.sample(members, 7):
        answer = rng.choice([RSVP.Answer.YES, RSVP.Answer.YES, RSVP.Answer.MAYBE, RSVP.Answer.NO])
        RSVP.objects.create(meeting=meeting, user=member, answer=answer)


@transaction.atomic
def seed_demo(*, paper_count: int = 200) -> DemoReport:
    if paper_count < 2:
        raise ValueError("The demo needs at least 2 papers (each session has two).")
    rng = random.Random(SEED)
    report = DemoReport()
    now = timezone.now()
    members = _ensure_members(report)
    _ensure_invitations(members)
    _ensure_sources()
    topics, categories = _ensure_tags()
    before = set(Paper.objects.filter(doi__startswith=DEMO_DOI_PREFIX).values_list("pk", flat=True))
    papers = [_ensure_paper(rng, i, now, topics, categories, report) for i in range(paper_count)]
    new_ids = {p.pk for p in papers} - before
    _ensure_votes(rng, members, papers, new_ids, report)
    by_votes = sorted(papers, key=lambda p: p.pk)
    _ensure_meetings(rng, members, by_votes, now, report)
    return report
