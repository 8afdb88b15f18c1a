"""Topics that organise themselves: the workers assign papers, organisers confirm or remove
(a removed topic is never assigned again), members follow topics on the page and in the API."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import CommandError, call_command
from django.urls import reverse

from papers.models import Paper, Tag, TopicAssignment, TopicFollow
from papers.services import paper_embed, paper_remove_tags
from papers.tests.factories import PaperFactory, TagFactory
from papers.topics import followed_topic_ids, papers_assign_topics_all, topic_refresh

pytestmark = pytest.mark.django_db
RL = (
    "Reinforcement learning: agents that learn policies from rewards, exploration, planning, "
    "imitation learning and multi-agent reinforcement learning."
)
GRAPHS = (
    "Graph neural networks and learning on graphs: node embeddings, graph convolutions, "
    "knowledge graphs and molecular graphs."
)
# Abstracts written for these tests: one per subject, so each topic has one paper of its own.
PAPERS = {
    "curiosity": (
        "Curiosity-driven exploration with sparse rewards",
        "An agent learns a policy from sparse rewards by adding an intrinsic curiosity bonus to the "
        "environment's reward; on Atari games and a robot navigation task it explores faster than "
        "epsilon-greedy Q-learning.",
    ),
    "molecules": (
        "Message passing on molecular graphs",
        "A graph neural network passes messages between atoms along chemical bonds and pools the node "
        "embeddings to predict molecular properties.",
    ),
    "translation": (
        "Multilingual machine translation with one vocabulary",
        "A single transformer translates between twenty languages with a shared subword vocabulary and "
        "beats bilingual models on low-resource pairs.",
    ),
    "pruning": (
        "Pruning convolutional networks before training",
        "We remove ninety percent of the weights of a convolutional network at initialisation by a "
        "saliency score and train the sparse network to full accuracy.",
    ),
    "restarts": (
        "Warm restarts for stochastic gradient descent",
        "Restarting the learning rate schedule of SGD periodically speeds up convergence of deep "
        "residual networks and flattens the loss landscape.",
    ),
}


def _papers(**extra) -> dict[str, Paper]:
    papers = {
        key: PaperFactory(title=title, abstract=abstract, **extra)
        for key, (title, abstract) in PAPERS.items()
    }
    paper_embed(paper_ids=[p.pk for p in papers.values()])
    return papers


def _topic(name: str, description: str, kind: str = "topic") -> Tag:
    topic = TagFactory(name=name, kind=kind, description=description)
    topic_refresh(tag=topic)
    return topic


def _topics_of(paper: Paper) -> set[str]:
    return set(paper.tags.filter(kind="topic").values_list("name", flat=True))


def _new_paper(key: str) -> Paper:
    """A second paper on the subject of PAPERS[key], embedded (and so assigned) as the workers do."""
    title, abstract = PAPERS[key]
    paper = PaperFactory(title=f"{title}, revisited", abstract=abstract)
    paper_embed(paper_ids=[paper.pk])
    return paper


# --- Assignment ---------------------------------------------------------------------------------


def test_embedding_a_new_paper_assigns_it_to_the_topics_it_is_close_to():
    _papers()
    _topic("Reinforcement learning", RL)
    _topic("Graphs", GRAPHS)
    agent, molecules = _new_paper("curiosity"), _new_paper("molecules")
    assert _topics_of(agent) == {"Reinforcement learning"}
    assert _topics_of(molecules) == {"Graphs"}
    assignment = TopicAssignment.objects.get(paper=agent)
    assert (assignment.state, assignment.topic.name) == ("suggested", "Reinforcement learning")
    assert assignment.score >= 0.2


def test_a_topic_saved_before_any_paper_is_embedded_still_assigns_only_close_papers():
    # No centre yet: the first embedding task makes it from the new papers (no plain cosines).
    _topic("Reinforcement learning", RL)
    papers = _papers()
    assert _topics_of(papers["curiosity"]) == {"Reinforcement learning"}
    assert not TopicAssignment.objects.exclude(paper=papers["curiosity"]).exists()


def test_a_topic_without_a_description_and_categories_assign_nothing():
    _papers()
    _topic("Empty", "")
    _topic("cs.LG", RL, kind="category")
    assert not TopicAssignment.objects.exists()
    assert not Tag.objects.filter(vector__isnull=False).exists()


def test_seed_papers_are_confirmed_members_of_their_topic(client, organiser):
    papers = _papers()
    client.force_login(organiser)
    response = client.post(
        reverse("admin:papers_tag_add"),
        {
            "name": "Graphs",
            "slug": "graphs",
            "kind": "topic",
            "description": GRAPHS,
            "seed_papers": [papers["molecules"].pk],
        },
    )
    assert response.status_code == 302
    topic = Tag.objects.get(slug="graphs")
    assert topic.vector is not None
    assert TopicAssignment.objects.get(paper=papers["molecules"], topic=topic).state == "confirmed"
    assert _topics_of(papers["molecules"]) == {"Graphs"}


def test_an_empty_description_for_a_topic_is_a_form_error(client, organiser):
    client.force_login(organiser)
    data = {"name": "Vague", "slug": "vague", "kind": "topic", "description": "   "}
    response = client.post(reverse("admin:papers_tag_add"), data)
    assert response.status_code == 200
    assert "A topic needs a description" in response.content.decode()
    assert not Tag.objects.filter(slug="vague").exists()
    # A category needs none.
    data = {"name": "cs.LG", "slug": "cs-lg", "kind": "category", "description": ""}
    assert client.post(reverse("admin:papers_tag_add"), data).status_code == 302


# --- Organisers confirm or remove ---------------------------------------------------------------


def _decide(client, action: str, assignments):
    data = {"action": action, ACTION_CHECKBOX_NAME: [a.pk for a in assignments]}
    return client.post(reverse("admin:papers_topicassignment_changelist"), data)


def test_organisers_confirm_a_suggested_topic(client, organiser):
    _papers()
    _topic("Reinforcement learning", RL)
    agent = _new_paper("curiosity")
    client.force_login(organiser)
    assignment = TopicAssignment.objects.get(paper=agent)
    assert _decide(client, "confirm", [assignment]).status_code == 302
    assignment.refresh_from_db()
    assert (assignment.state, assignment.decided_by) == ("confirmed", organiser)
    assert _topics_of(agent) == {"Reinforcement learning"}


def test_a_removed_topic_leaves_the_paper_and_is_never_assigned_again(client, organiser):
    _papers()
    topic = _topic("Reinforcement learning", RL)
    agent = _new_paper("curiosity")
    client.force_login(organiser)
    _decide(client, "remove", TopicAssignment.objects.filter(paper=agent))
    assert _topics_of(agent) == set()
    # Neither embedding the paper again nor the reassigning command puts it back.
    paper_embed(paper_ids=[agent.pk])
    papers_assign_topics_all()
    call_command("assign_topics")
    assert _topics_of(agent) == set()
    assert TopicAssignment.objects.get(paper=agent, topic=topic).state == "removed"


def test_a_topic_taken_off_by_hand_counts_as_removed_and_added_back_as_confirmed(client, organiser):
    _papers()
    topic = _topic("Reinforcement learning", RL)
    agent = _new_paper("curiosity")
    paper_remove_tags(papers=Paper.objects.filter(pk=agent.pk), tags=[topic])
    assert TopicAssignment.objects.get(paper=agent).state == "removed"
    papers_assign_topics_all()
    assert _topics_of(agent) == set()
    agent.tags.add(topic)  # as the paper's change form does
    assert TopicAssignment.objects.get(paper=agent).state == "confirmed"
    agent.tags.remove(topic)
    assert TopicAssignment.objects.get(paper=agent).state == "removed"


def test_the_topic_list_links_to_the_suggestions_to_review(client, organiser):
    _papers()
    _topic("Reinforcement learning", RL)
    _new_paper("curiosity")
    client.force_login(organiser)
    page = client.get(reverse("admin:papers_tag_changelist")).content.decode()
    assert "state__exact=suggested" in page
    review = client.get(reverse("admin:papers_topicassignment_changelist") + "?state__exact=suggested")
    assert "Curiosity-driven exploration with sparse rewards, revisited" in review.content.decode()


def test_saving_a_topic_in_the_admin_has_the_workers_assign_the_papers_already_here(
    client, organiser, django_capture_on_commit_callbacks
):
    # Tasks run in-process in tests (always eager): the queued task goes through every paper.
    papers = _papers()
    client.force_login(organiser)
    data = {"name": "Graphs", "slug": "graphs", "kind": "topic", "description": GRAPHS}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("admin:papers_tag_add"), data).status_code == 302
    assert _topics_of(papers["molecules"]) == {"Graphs"}
    assert not TopicAssignment.objects.exclude(paper=papers["molecules"]).exists()


def test_the_assigning_task_goes_on_in_a_new_task_after_its_steps(monkeypatch):
    from papers import tasks, topics

    papers = _papers()
    _topic("Graphs", GRAPHS)
    monkeypatch.setattr(topics, "ASSIGN_BATCH", 2)
    monkeypatch.setattr(tasks, "ASSIGN_STEPS_PER_TASK", 1)
    TopicAssignment.objects.all().delete()
    Paper.tags.through.objects.all().delete()
    tasks.assign_topics.delay(0)  # eager: each step queues the next, five papers in three tasks
    assert _topics_of(papers["molecules"]) == {"Graphs"}


# --- The command --------------------------------------------------------------------------------


def test_assign_topics_assigns_papers_embedded_before_the_topic_existed(capsys):
    papers = _papers()
    TagFactory(name="Graphs", kind="topic", description=GRAPHS)  # no vector yet (not saved in the admin)
    call_command("assign_topics")
    assert _topics_of(papers["molecules"]) == {"Graphs"}
    assert "1 new assignment(s) over 5 embedded paper(s) and 1 topic(s)." in capsys.readouterr().out


def test_assign_topics_without_any_described_topic_says_what_to_do():
    TagFactory(name="Vague", kind="topic")
    with pytest.raises(CommandError, match="give a topic a description"):
        call_command("assign_topics")


# --- Members follow topics ----------------------------------------------------------------------


def test_a_member_follows_and_unfollows_a_topic_on_its_page_without_javascript(client, member):
    topic = TagFactory(name="Graphs", kind="topic", description=GRAPHS)
    client.force_login(member)
    page = client.get(topic.get_absolute_url()).content.decode()
    assert GRAPHS in page and "Follow “Graphs”" in page
    url = reverse("papers:tag-follow", args=[topic.slug])
    response = client.post(url, {"follow": "1", "next": topic.get_absolute_url()})
    assert (response.status_code, response["Location"]) == (303, topic.get_absolute_url())
    assert followed_topic_ids(member) == {topic.pk}
    assert "Stop following “Graphs”" in client.get(topic.get_absolute_url()).content.decode()
    client.post(url, {"follow": "1"})  # twice is once
    assert TopicFollow.objects.count() == 1
    client.post(url, {"follow": "0"})
    assert followed_topic_ids(member) == set()


def test_following_by_htmx_answers_with_the_button(client, member):
    topic = TagFactory(name="Graphs", kind="topic", description=GRAPHS)
    client.force_login(member)
    response = client.post(
        reverse("papers:tag-follow", args=[topic.slug]), {"follow": "1"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Stop following" in response.content.decode() and "<html" not in response.content.decode()


def test_following_an_unknown_topic_is_a_404(client, member, api):
    client.force_login(member)
    assert client.post(reverse("papers:tag-follow", args=["nothing-here"])).status_code == 404
    assert api(member).put("/api/v1/tags/nothing-here/follow/").status_code == 404


def test_visitors_log_in_before_following(client):
    topic = TagFactory(name="Graphs", kind="topic", description=GRAPHS)
    response = client.post(reverse("papers:tag-follow", args=[topic.slug]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not TopicFollow.objects.exists()


def test_members_follow_topics_through_the_api(api, member):
    topic = TagFactory(name="Graphs", kind="topic", description=GRAPHS)
    client = api(member)
    url = f"/api/v1/tags/{topic.slug}/follow/"
    assert client.get(url).json() == {"following": False}
    assert client.put(url).json() == {"following": True}
    assert client.put(url).json() == {"following": True}
    assert client.get(url).json() == {"following": True}
    assert followed_topic_ids(member) == {topic.pk}
    assert client.delete(url).json() == {"following": False}
    assert client.delete(url).json() == {"following": False}
    assert followed_topic_ids(member) == set()
    assert api().put(url).status_code == 401


def test_the_tags_api_shows_a_topics_description(api):
    PaperFactory(tags=[TagFactory(name="Graphs", kind="topic", description=GRAPHS)])
    (row,) = api().get("/api/v1/tags/").json()["results"]
    assert (row["slug"], row["description"], row["paper_count"]) == ("graphs", GRAPHS, 1)


# --- Pages and feeds ----------------------------------------------------------------------------


def test_a_topics_page_and_feeds_show_only_listed_papers(client, member):
    topic = TagFactory(name="Graphs", kind="topic", description=GRAPHS)
    PaperFactory(title="Listed graph paper", tags=[topic])
    PaperFactory(title="Hidden graph paper", status="hidden", tags=[topic])
    PaperFactory(title="Pending graph paper", status="pending", submitted_by=member, tags=[topic])
    client.force_login(member)
    for url in (
        topic.get_absolute_url(),
        reverse("feeds:tag-rss", args=[topic.slug]),
        reverse("feeds:tag-atom", args=[topic.slug]),
    ):
        body = client.get(url).content.decode()
        assert "Listed graph paper" in body
        assert "Hidden graph paper" not in body and "Pending graph paper" not in body


def test_a_topics_feed_has_its_name_and_description(client):
    topic = TagFactory(name="Graphs", kind="topic", description=GRAPHS)
    PaperFactory(title="Listed graph paper", tags=[topic])
    atom = client.get(reverse("feeds:tag-atom", args=[topic.slug]))
    assert atom["Content-Type"].startswith("application/atom+xml")
    body = atom.content.decode()
    assert ": Graphs</title>" in body
    assert "node embeddings" in body
    assert client.get(reverse("feeds:tag-rss", args=["unknown"])).status_code == 404


def test_a_private_site_keeps_topic_feeds_for_members(client, settings):
    settings.SITE_PUBLIC = False
    topic = TagFactory(name="Graphs", kind="topic", description=GRAPHS)
    assert client.get(reverse("feeds:tag-rss", args=[topic.slug])).status_code == 302


def test_assigned_topics_show_on_cards_as_tags(client):
    _papers()
    _topic("Reinforcement learning", RL)
    agent = _new_paper("curiosity")
    page = client.get(reverse("papers:new")).content.decode()
    assert reverse("papers:tag", args=["reinforcement-learning"]) in page
    assert "Reinforcement learning" in client.get(agent.get_absolute_url()).content.decode()


def test_following_through_the_api_runs_a_fixed_number_of_queries(api, member, django_assert_num_queries):
    topic = TagFactory(name="Graphs", kind="topic", description=GRAPHS)
    client = api(member)
    url = f"/api/v1/tags/{topic.slug}/follow/"
    client.get(url)  # the token's first use writes its last-used time
    # Authentication, the tag, then get_or_create: a look-up, and an insert in a savepoint.
    with django_assert_num_queries(7):
        assert client.put(url).json() == {"following": True}
    with django_assert_num_queries(4):
        assert client.get(url).json() == {"following": True}
