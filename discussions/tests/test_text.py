from discussions.text import mentioned_names, quote, render_body


def test_it_renders_markdown_and_drops_script():
    html = render_body("**bold** <script>alert(1)</script> <img src=x onerror=alert(1)>")
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "onerror" not in html and "<img" not in html


def test_it_keeps_math_away_from_markdown():
    html = render_body(r"Loss $a_1 * b_2 = c_3$ and $$\sum_i x_i^2$$")
    assert '<span class="math">a_1 * b_2 = c_3</span>' in html
    assert '<span class="math math-display">\\sum_i x_i^2</span>' in html
    assert "<em>" not in html


def test_it_escapes_html_inside_math():
    html = render_body('$x < y"><script>alert(1)</script>$')
    assert "<script" not in html
    assert '<span class="math">x &lt; y"&gt;&lt;script&gt;' in html


def test_it_leaves_money_alone():
    assert "math" not in render_body("It costs $5 and $10.")


def test_it_refuses_class_names_other_than_math():
    html = render_body('<span class="messages visually-hidden math">x</span>')
    assert 'class="math"' in html and "messages" not in html


def test_it_links_only_the_mentions_it_is_given():
    html = render_body("Ask @alice_b and @nobody", {"alice_b": "/discussions/members/alice_b/"})
    assert '<a href="/discussions/members/alice_b/" rel="noopener noreferrer nofollow">@alice_b</a>' in html
    assert "@nobody" in html


def test_it_finds_mentions_outside_code_math_and_addresses():
    body = "Hi @Alice, see `@property` and $@x$ or mail bob@example.org\n```\n@decorator\n```\n@carol."
    assert mentioned_names(body) == ["alice", "carol"]


def test_it_quotes_a_comment_as_markdown():
    assert quote("line one\nline two", "Alice") == "Alice wrote:\n> line one\n> line two\n\n"
