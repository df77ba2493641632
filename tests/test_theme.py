"""Themes and configuration as a user customises them: config.yaml values odd and typical,
a second theme, overrides, and mistakes in them, each a ``path:line: error:`` message from
``build`` and ``check`` (never a traceback) that leaves the built site as it was."""

from __future__ import annotations

import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import REPO, read_tree

from generator import cli


class Classes(HTMLParser):
    """Every class name of a page's elements, and its text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.classes: set[str] = set()
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.classes.update((dict(attrs).get("class") or "").split())

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def project(root: Path, config: str = "title: Mine\n") -> Path:
    """A small project with its own themes/ folder (none yet) -> its config.yaml."""
    papers = root / "content" / "papers"
    papers.mkdir(parents=True)
    for slug, title in (("alpha", "Alpha paper"), ("beta", "Beta paper")):
        (papers / f"{slug}.md").write_text(
            f"---\ntitle: {title}\nauthors: [Ada Lovelace, José García]\ndate: 2024-01-02\n"
            f"tags: [llm]\n---\nNotes on {slug}.\n", encoding="utf-8")
    (root / "config.yaml").write_text(config, encoding="utf-8")
    return root / "config.yaml"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """``readinglist ARGS`` -> (exit code, what it printed on stderr)."""
    code = cli.main(list(args))
    return code, capsys.readouterr().err


@pytest.fixture(autouse=True)
def _no_published_address(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # (paths in messages are shown from here)
    monkeypatch.delenv("READINGLIST_BASE_URL", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


# --- config.yaml ------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "problem"), [
    ("https://me.github.io/papers/?utm=x", "must not have a query or a fragment (? or #), "
                                           "got 'https://me.github.io/papers/?utm=x'"),
    ("https://me.github.io/papers#top", "must not have a query or a fragment (? or #), "
                                        "got 'https://me.github.io/papers#top'"),
    ('"https://me.github.io/my papers/"', "must be an address such as "
                                          "https://user.github.io/repo/, got "
                                          "'https://me.github.io/my papers/'"),
    ("https://", "must be an address such as https://user.github.io/repo/, got 'https://'"),
    ("me.github.io", "must start with http:// or https://, got 'me.github.io'"),
])
def test_a_base_url_that_cannot_start_every_link_is_an_error(tmp_path, capsys, value, problem):
    """Every feed and sitemap link is base_url + a page path: with a query or fragment in
    it each one was broken (``…/papers/?utm=x/papers/alpha/``), and without a host there is
    no address at all. The site built before is kept."""
    config = project(tmp_path, "title: Mine\n")
    assert run(capsys, "build", "--config", str(config))[0] == 0
    before = read_tree(tmp_path / "site")
    config.write_text(f"title: Mine\nbase_url: {value}\n", encoding="utf-8")
    code, err = run(capsys, "build", "--config", str(config))
    assert code == 1
    assert f"config.yaml:2: error: 'base_url' {problem}\n" in err
    assert "Traceback" not in err
    assert read_tree(tmp_path / "site") == before


def test_a_base_url_with_a_path_and_no_trailing_slash_works(tmp_path, capsys):
    config = project(tmp_path, "title: Mine\nbase_url: https://me.github.io/papers\n")
    assert run(capsys, "build", "--config", str(config))[0] == 0
    sitemap = (tmp_path / "site" / "sitemap.xml").read_text()
    assert "<loc>https://me.github.io/papers/papers/alpha/</loc>" in sitemap


def test_the_published_address_from_the_environment_is_checked_the_same(tmp_path, capsys,
                                                                       monkeypatch):
    config = project(tmp_path)
    monkeypatch.setenv("READINGLIST_BASE_URL", "https://me.github.io/papers/#x")
    code, err = run(capsys, "build", "--config", str(config))
    assert code == 1
    assert "READINGLIST_BASE_URL: error: must not have a query or a fragment" in err


@pytest.mark.parametrize("value", ['""', '"   "'])
def test_an_empty_title_is_an_error(tmp_path, capsys, value):
    """Every page's <title> ends with the site title and the header links it: empty, the
    home page had an empty <title> and an empty link."""
    config = project(tmp_path, f"description: x\ntitle: {value}\n")
    code, err = run(capsys, "build", "--config", str(config))
    assert code == 1
    assert "config.yaml:2: error: 'title' must not be empty" in err
    assert not (tmp_path / "site").exists()


def test_a_missing_theme_names_the_line_of_config_yaml(tmp_path, capsys):
    config = project(tmp_path, "title: Mine\n\ntheme: fancy\n")
    code, err = run(capsys, "build", "--config", str(config))
    assert code == 1
    assert "config.yaml:3: error: theme 'fancy' not found: neither themes/fancy/templates/ " \
           "nor a bundled theme of that name exists (available: default)" in err
    code, err = run(capsys, "check", "--config", str(config))
    assert code == 1 and "config.yaml:3: error: theme 'fancy' not found" in err
    config.write_text('title: Mine\ntheme: ""\n', encoding="utf-8")
    code, err = run(capsys, "build", "--config", str(config))
    assert code == 1 and "config.yaml:2: error: 'theme' must name a theme" in err


def test_theme_overrides_naming_a_file_is_an_error(tmp_path, capsys):
    config = project(tmp_path, "title: Mine\ntheme_overrides: config.yaml\n")
    code, err = run(capsys, "build", "--config", str(config))
    assert code == 1
    assert "config.yaml:2: error: 'theme_overrides' must be a folder (of templates/ and " \
           "static/), not the file config.yaml" in err


def test_theme_overrides_naming_no_folder_is_a_warning(tmp_path, capsys):
    """A folder named and not there is most likely a typo, whose overrides silently did
    nothing; the default ``overrides`` missing is just a project without overrides."""
    config = project(tmp_path, "title: Mine\ntheme_overrides: my-overides\n")
    code, err = run(capsys, "build", "--config", str(config))
    assert code == 0
    assert "config.yaml:2: warning: 'theme_overrides' names my-overides/, which is not " \
           "there: nothing overrides the theme" in err
    code, err = run(capsys, "check", "--config", str(config))
    assert code == 0 and "config.yaml:2: warning: 'theme_overrides'" in err
    config.write_text("title: Mine\ntheme_overrides: overrides\n", encoding="utf-8")
    code, err = run(capsys, "build", "--config", str(config))
    assert code == 0 and err == ""


# --- a second theme ---------------------------------------------------------------------

def test_a_second_theme_is_selected_and_check_finds_a_page_template_it_lacks(tmp_path,
                                                                           capsys):
    """A theme of the user's own (a copy of the default one, renamed) has no bundled theme
    beneath it: one lacking a page's template failed the build while ``check`` passed."""
    config = project(tmp_path, "title: Mine\ntheme: mine\n")
    mine = tmp_path / "themes" / "mine"
    shutil.copytree(REPO / "themes" / "default", mine)
    base = mine / "templates" / "base.html"
    base.write_text(base.read_text().replace('class="site-title"', 'class="site-title mine"'))
    assert run(capsys, "check", "--config", str(config))[0] == 0
    assert run(capsys, "build", "--config", str(config))[0] == 0
    page = Classes((tmp_path / "site" / "papers" / "alpha" / "index.html").read_text())
    assert "mine" in page.classes

    (mine / "templates" / "stats.html").unlink()
    (mine / "templates" / "terms.html").rename(mine / "templates" / "tags.html")
    code, err = run(capsys, "check", "--config", str(config))
    assert code == 1
    assert err.splitlines() == [
        "themes/mine/templates: error: the theme has no authors.html or terms.html, which a "
        "build needs",
        "themes/mine/templates: error: the theme has no stats.html, which a build needs",
        "themes/mine/templates: error: the theme has no venues.html or terms.html, which a "
        "build needs",
        "themes/mine/templates: error: the theme has no years.html or terms.html, which a "
        "build needs",
    ]
    assert run(capsys, "build", "--config", str(config))[0] == 1


# --- mistakes in the user's templates ---------------------------------------------------

def overridden(tmp_path: Path, templates: dict[str, str]) -> Path:
    config = project(tmp_path)
    for name, text in templates.items():
        file = tmp_path / "overrides" / "templates" / name
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
    return config


def test_check_finds_an_include_of_a_template_that_is_not_there(tmp_path, capsys):
    """The build failed on it, ``check`` (which compiles every template) passed."""
    config = overridden(tmp_path, {
        "paper.html": '{% extends "!theme/paper.html" %}\n{% block content %}{{ super() }}\n'
                      '{% include "partials/reading-group.html" %}\n'
                      '{% include "partials/maybe.html" ignore missing %}\n'
                      '{% include ["partials/nope.html", "partials/note.html"] %}\n'
                      '{% endblock %}\n',
        "partials/note.html": '<p class="note">Read on Fridays</p>\n',
        "partials/paper_card.html": '{% extends "!theme/partials/paper_cards.html" %}\n',
    })
    code, err = run(capsys, "check", "--config", str(config))
    assert code == 1
    assert err.splitlines() == [
        "overrides/templates/paper.html:3: error: no such template: "
        "partials/reading-group.html",
        "overrides/templates/partials/paper_card.html:1: error: no such template: "
        "!theme/partials/paper_cards.html",
    ]
    code, err = run(capsys, "build", "--config", str(config))
    assert code == 1 and "no such template" in err


@pytest.mark.parametrize(("text", "verb", "line"), [
    ('{% extends "paper.html" %}\n{% block content %}Mine{% endblock %}\n', "extends", 1),
    ('{% extends "!theme/paper.html" %}\n{% block content %}\n{% include "paper.html" %}\n'
     '{% endblock %}\n', "includes", 3),
])
def test_an_override_that_reaches_itself_says_how_to_reach_the_theme(tmp_path, capsys, text,
                                                                     verb, line):
    """``{% extends "paper.html" %}`` in overrides/templates/paper.html is the override
    itself, not the theme's page: the build said only "RecursionError: maximum recursion
    depth exceeded", and ``check`` passed."""
    config = overridden(tmp_path, {"paper.html": text})
    code, err = run(capsys, "check", "--config", str(config))
    assert code == 1
    assert err.splitlines() == [
        f"overrides/templates/paper.html:{line}: error: {verb} itself, without end; to reach "
        f"the theme's paper.html, write \"!theme/paper.html\""]
    code, err = run(capsys, "build", "--config", str(config))
    assert code == 1
    assert f"overrides/templates/paper.html:{line}: error: template error in paper.html " \
           f"while rendering papers/" in err
    assert "templates extend or include each other without end" in err
    assert "Traceback" not in err and "RecursionError" not in err


def test_templates_that_include_each_other_are_a_clear_build_error(tmp_path, capsys):
    config = overridden(tmp_path, {
        "paper.html": '{% extends "!theme/paper.html" %}\n'
                      '{% block content %}{% include "partials/a.html" %}{% endblock %}\n',
        "partials/a.html": '{% include "partials/b.html" %}\n',
        "partials/b.html": '\n{% include "partials/a.html" %}\n',
    })
    code, err = run(capsys, "build", "--config", str(config))
    assert code == 1
    assert "overrides/templates/partials/a.html:1: error: template error in paper.html" in err
    assert "templates extend or include each other without end" in err
    assert "Traceback" not in err


def marked(html: str) -> list[str]:
    """The texts of a page's elements of class ``mine`` (the highlighted authors)."""
    class Mine(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.depth, self.found = 0, []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if "mine" in (dict(attrs).get("class") or "").split():
                self.depth = 1
                self.found.append("")
            elif self.depth:
                self.depth += 1

        def handle_endtag(self, tag: str) -> None:
            self.depth = max(self.depth - 1, 0)

        def handle_data(self, data: str) -> None:
            if self.depth:
                self.found[-1] += data

    parser = Mine()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize("spelling", ["José García", "jose  GARCIA", "Jose\u0301 Garci\u0301a"])
def test_highlight_authors_matches_a_name_with_or_without_its_accents(tmp_path, capsys,
                                                                      spelling):
    """A listing drops accents a name has (or the user's config does): ``Jose Garcia``
    marked nothing on a list that spells the name José García."""
    config = project(tmp_path, f"title: Mine\nhighlight_authors: [{spelling}]\n")
    papers = tmp_path / "content" / "papers"
    (papers / "gamma.md").write_text("---\ntitle: Gamma\nauthors: [Jose Garcia, Kenji ガ]\n"
                                     "---\n", encoding="utf-8")
    assert run(capsys, "build", "--config", str(config))[0] == 0
    site = tmp_path / "site"
    assert marked((site / "papers" / "alpha" / "index.html").read_text()) == ["José García"]
    assert marked((site / "papers" / "gamma" / "index.html").read_text()) == ["Jose Garcia"]
    assert marked((site / "index.html").read_text()) == ["José García", "José García",
                                                         "Jose Garcia"]
    assert sorted(marked((site / "authors" / "index.html").read_text())) == [
        "Jose Garcia", "José García"]
    home = (site / "index.html").read_text()
    assert """data-rl-mine='["Jose Garcia", "Jos\\u00e9 Garc\\u00eda"]'""" in home


def test_a_mark_that_is_part_of_a_letter_of_another_script_still_counts(tmp_path, capsys):
    config = project(tmp_path, "title: Mine\nhighlight_authors: [Kenji カ]\n")
    (tmp_path / "content" / "papers" / "gamma.md").write_text(
        "---\ntitle: Gamma\nauthors: [Kenji ガ]\n---\n", encoding="utf-8")
    assert run(capsys, "build", "--config", str(config))[0] == 0
    assert marked((tmp_path / "site" / "papers" / "gamma" / "index.html").read_text()) == []


def test_check_warns_of_an_override_template_that_nothing_uses(tmp_path, capsys):
    """A mistyped name replaces nothing: the change showed nowhere, without a word. A new
    template that an override includes, and a page template the theme may choose
    (``tags.html`` before ``terms.html``), are used."""
    config = overridden(tmp_path, {
        "papers.html": '{% extends "!theme/paper.html" %}\n',
        "partials/paper_cards.html": "<li>{{ paper.title_html }}</li>\n",
        "partials/reading-group.html": '<p class="group">Fridays</p>\n',
        "index.html": '{% extends "!theme/index.html" %}\n{% block content %}'
                      '{% include "partials/reading-group.html" %}{{ super() }}{% endblock %}\n',
        "tags.html": '{% extends "!theme/terms.html" %}\n',
    })
    code, err = run(capsys, "check", "--config", str(config))
    assert code == 0
    assert err.splitlines() == [
        "overrides/templates/papers.html: warning: replaces no template of the theme, and "
        "no page or template uses papers.html",
        "overrides/templates/partials/paper_cards.html: warning: replaces no template of the "
        "theme, and no page or template uses partials/paper_cards.html",
    ]
    assert run(capsys, "build", "--config", str(config))[0] == 0
    home = Classes((tmp_path / "site" / "index.html").read_text())
    assert "group" in home.classes and "card" in home.classes


def test_a_template_or_css_file_beside_templates_and_static_is_a_warning(tmp_path, capsys):
    """``overrides/paper.html`` (not ``overrides/templates/paper.html``) was ignored."""
    config = project(tmp_path)
    overrides = tmp_path / "overrides"
    overrides.mkdir()
    (overrides / "paper.html").write_text('{% extends "!theme/paper.html" %}\n')
    (overrides / "css").mkdir()
    (overrides / "css" / "extra.css").write_text("body { color: teal; }\n")
    (overrides / "README.md").write_text("How to override (written by init)\n")
    (overrides / ".DS_Store").write_bytes(b"\0")
    expected = [
        "overrides/css: warning: overrides nothing: only what is in overrides/templates/ and "
        "overrides/static/ does; move it to overrides/static/css",
        "overrides/paper.html: warning: overrides nothing: only what is in "
        "overrides/templates/ and overrides/static/ does; move it to "
        "overrides/templates/paper.html",
    ]
    code, err = run(capsys, "check", "--config", str(config))
    assert code == 0 and err.splitlines() == expected
    code, err = run(capsys, "build", "--config", str(config))
    assert code == 0 and err.splitlines() == expected


# --- static overrides -------------------------------------------------------------------

def test_static_overrides_add_and_replace_and_a_name_differing_in_case_is_named(tmp_path,
                                                                               capsys):
    """``Style.css`` beside the theme's ``style.css``: the build failed naming only the
    theme's output path, not the user's file."""
    config = project(tmp_path)
    static = tmp_path / "overrides" / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "style.css").write_text("body { color: teal; }\n")
    (static / "css" / "extra.css").write_text("p { margin: 0; }\n")
    (static / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>\n")
    assert run(capsys, "build", "--config", str(config))[0] == 0
    site = tmp_path / "site" / "static"
    assert (site / "css" / "style.css").read_text() == "body { color: teal; }\n"
    assert (site / "css" / "extra.css").read_text() == "p { margin: 0; }\n"
    assert (site / "favicon.svg").read_text().startswith("<svg xmlns='")
    assert (site / "css" / "search.css").is_file()  # (the theme's, not overridden)
    before = read_tree(tmp_path / "site")

    (static / "css" / "style.css").rename(static / "css" / "Style.css")
    code, err = run(capsys, "build", "--config", str(config))
    assert (code, err.splitlines()[0]) == (1, (
        "overrides/static/css/Style.css: error: differs only in case from the theme's "
        "static/css/style.css, which it would replace on some disks and not on others; name "
        "it style.css to replace it, or give it another name"))
    assert read_tree(tmp_path / "site") == before
    assert run(capsys, "check", "--config", str(config))[0] == 1


@pytest.mark.parametrize(("line", "problem"), [
    ("title: Ünïcode 論文 ✓", None),
    ("title: " + "Long " * 400, None),
    ("title: [a, b]", "'title' must be a string, got [a, b]"),
    ("title: 2024", "'title' must be a string, got 2024"),
    ("description: ''", None),
    ("author: {name: Ada}", "'author' must be a string, got {name: Ada}"),
    ("base_url: https://me.github.io/papers", None),
    ("base_url: https://papers.example.org", None),
    ("language: ''", None),
    ("language: [en]", "'language' must be a string, got [en]"),
    ("page_size: 0", None),
    ("page_size: 1", None),
    ("page_size: 99999999999999999999", None),
    ("page_size: -1", "'page_size' must be 0 (no pages) or more"),
    ("page_size: '10'", "'page_size' must be a whole number, got '10'"),
    ("page_size: true", "'page_size' must be a whole number, got true"),
    ("feed_size: 0", "'feed_size' must be at least 1"),
    ("allow_raw_html: 'yes'", "'allow_raw_html' must be true or false, got 'yes'"),
    ("default_status: Read", "'default_status' must be one of unread, reading, read, got "
                             "'Read'"),
    ("highlight_authors: Ada Lovelace", "'highlight_authors' must be a list, got 'Ada "
                                        "Lovelace' (one name: [Ada Lovelace])"),
    ("highlight_authors: ['']", "'highlight_authors' must be a list of names, got ['']"),
    ("highlight_authors:", None),
    ("theme_overrides:", None),
    ("output_dir: ''", "'output_dir' holds the project"),
    ("theme_overrides: .", "'output_dir' is inside theme_overrides"),  # (at their line)
    ("themes_dir: ''", "'output_dir' is inside themes_dir"),
])
def test_each_setting_typical_and_odd_builds_or_names_its_line(tmp_path, capsys, line,
                                                               problem):
    config = project(tmp_path, f"# my list\n{line}\n")
    code, err = run(capsys, "build", "--config", str(config))
    assert "Traceback" not in err
    if problem is None:
        assert (code, err) == (0, "")
        assert (tmp_path / "site" / "papers" / "alpha" / "index.html").is_file()
    else:
        assert code == 1
        assert err.startswith(f"config.yaml:2: error: {problem}"), err
        assert not (tmp_path / "site").exists()


# --- safety -----------------------------------------------------------------------------

def test_markup_in_the_title_description_author_and_names_is_text_everywhere(tmp_path,
                                                                             capsys):
    """The site's own words are data like the papers': escaped in every page, attribute,
    the JSON in <html data-rl-mine>, the feeds and papers.json."""
    import json
    import xml.etree.ElementTree as ET

    title = "</script><blink>Bold</blink> & \"quoted\" 'list'"
    name = "O'Brien </script><evil>x</evil>"
    config = project(tmp_path, "\n".join([
        f"title: {json.dumps(title)}", f"description: {json.dumps('<marquee>my</marquee> notes')}",
        f"author: {json.dumps('<xmp>Ada</xmp>')}", f"highlight_authors: [{json.dumps(name)}]",
        "base_url: https://me.github.io/papers/", ""]))
    (tmp_path / "content" / "papers" / "gamma.md").write_text(
        f"---\ntitle: Gamma\nauthors: [{json.dumps(name)}]\ntags: [llm]\n---\n",
        encoding="utf-8")
    assert run(capsys, "build", "--config", str(config))[0] == 0
    site = tmp_path / "site"

    class Elements(HTMLParser):
        def __init__(self, html: str):
            super().__init__(convert_charrefs=True)
            self.tags: list[str] = []
            self.attrs: dict[str, str] = {}
            self.title = ""
            self.feed(html)

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.tags.append(tag)
            if tag == "html":
                self.attrs = {k: v or "" for k, v in attrs}

        def handle_data(self, data: str) -> None:
            if self.tags and self.tags[-1] == "title" and not self.title:
                self.title = data

    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        parsed = Elements(page.read_text("utf-8"))
        assert not {"blink", "marquee", "xmp", "evil"} & set(parsed.tags), page
        assert parsed.title.endswith(title), page
        assert json.loads(parsed.attrs["data-rl-mine"]) == [name], page
    atom = "{http://www.w3.org/2005/Atom}"
    for feed in (site / "feed.xml", site / "tags" / "llm" / "feed.xml"):
        root = ET.fromstring(feed.read_bytes())
        assert root.findtext(atom + "title", "").startswith(title)
    assert ET.fromstring((site / "feed.xml").read_bytes()).findtext(
        atom + "subtitle") == "<marquee>my</marquee> notes"
    assert json.loads((site / "papers.json").read_text())["title"] == title


def test_a_theme_folder_without_templates_is_a_warning(tmp_path, capsys):
    """``themes/default/static/css/extra.css`` (the theme's name, no templates/) was
    ignored without a word: the bundled theme was used."""
    config = project(tmp_path)
    (tmp_path / "themes" / "default" / "static" / "css").mkdir(parents=True)
    (tmp_path / "themes" / "default" / "static" / "css" / "extra.css").write_text("p {}\n")
    expected = ("themes/default: warning: ignored: a theme folder needs templates/ (the "
                "theme 'default' that ships with readinglist is used); to add or replace a "
                "few files, put them in overrides/templates/ or static/")
    code, err = run(capsys, "build", "--config", str(config))
    assert (code, err.splitlines()) == (0, [expected])
    code, err = run(capsys, "check", "--config", str(config))
    assert (code, err.splitlines()) == (0, [expected])
    assert (tmp_path / "site" / "static" / "css" / "style.css").is_file()


def test_a_byte_order_mark_in_a_template_is_not_put_in_the_page(tmp_path, capsys):
    """Notepad saves UTF-8 with a byte order mark: it was copied into every page, before
    <!DOCTYPE html> (an override of a page) or amid its text (a partial)."""
    bom = "\ufeff"
    config = overridden(tmp_path, {
        "paper.html": bom + '{% extends "!theme/paper.html" %}\n{% block content %}'
                            '{% include "partials/group.html" %}{{ super() }}{% endblock %}\n',
        "partials/group.html": bom + '<p class="group">Fridays</p>\n',
    })
    assert run(capsys, "build", "--config", str(config))[0] == 0
    page = (tmp_path / "site" / "papers" / "alpha" / "index.html").read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert bom not in page and '<p class="group">Fridays</p>' in page


def test_a_key_without_its_colon_is_named_on_its_own_line(tmp_path, capsys):
    """PyYAML gives up on the line after ``page_size 5``: the message named that line."""
    config = project(tmp_path, "title: Mine\npage_size 5\nfeed_size: 3\n")
    code, err = run(capsys, "build", "--config", str(config))
    assert (code, err.splitlines()) == (1, [
        "config.yaml:2: error: invalid YAML: a key without ':' after it (could not find "
        "expected ':' on line 3)"])


def test_a_theme_of_its_own_cannot_extend_another_through_its_prefix(tmp_path, capsys):
    """In themes/mine, ``!theme/base.html`` is mine's own base.html: no bundled theme is
    beneath a theme of another name. Each file's mistakes are named once."""
    config = project(tmp_path, "title: Mine\ntheme: mine\n")
    mine = tmp_path / "themes" / "mine"
    shutil.copytree(REPO / "themes" / "default", mine)
    (mine / "templates" / "base.html").write_text('{% extends "!theme/base.html" %}\n')
    (mine / "templates" / "partials" / "filters.html").unlink()
    def line(name: str) -> int:  # where the theme includes the filters
        text = (mine / "templates" / name).read_text().splitlines()
        return next(n for n, t in enumerate(text, 1) if '"partials/filters.html"' in t)

    code, err = run(capsys, "check", "--config", str(config))
    assert code == 1
    assert err.splitlines() == [
        "themes/mine/templates/base.html:1: error: extends itself, without end; \"!theme/\" "
        "names the theme's own files, this one among them",
        f"themes/mine/templates/index.html:{line('index.html')}: error: no such template: "
        f"partials/filters.html",
        f"themes/mine/templates/term.html:{line('term.html')}: error: no such template: "
        f"partials/filters.html",
    ]
