"""The names and files the tool makes and reads, as macOS and Windows see them: no path a
Windows checkout cannot hold, no two paths one case-insensitive disk takes for one, the
same slug for a name in NFC and NFD, files Notepad saves (CRLF, a BOM, UTF-16), and a
project in a folder with spaces and accents. (The machine is Linux: the rules are tested.)"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from conftest import REPO, read_tree, write_list

from generator import cli
from generator.build import build_to_disk
from generator.content import render_file, slug_for_path
from generator.model import SLUG_MAX, Paper
from generator.site import build_site

THEMES = REPO / "themes"
# What Windows refuses in a file or folder name, as its documentation lists it: the device
# names (in any case, before any extension), the characters below, a trailing dot or space.
DEVICES = {"con", "prn", "aux", "nul", *(f"{port}{n}" for port in ("com", "lpt")
                                         for n in range(10))}
FORBIDDEN = set('<>:"\\|?*')


def windows_refuses(segment: str) -> bool:
    return (segment.split(".", 1)[0].rstrip(" ").lower() in DEVICES
            or any(c in FORBIDDEN or ord(c) < 32 for c in segment)
            or segment.endswith((".", " ")) or len(segment.encode("utf-8")) > 255)


def portable(paths: list[str]) -> None:
    """Every path holds only segments Windows takes, and no two differ only in case."""
    refused = [p for p in paths if any(windows_refuses(s) for s in p.split("/"))]
    assert not refused
    folded: dict[str, str] = {}
    for path in paths:
        assert folded.setdefault(path.casefold(), path) == path, (path, folded[path.casefold()])


def paper(title: str, **front: object) -> str:
    return render_file({"title": title, "date": "2024-01-02", **front})


ACL = "Proceedings of the 62nd Annual Meeting of the Association for Computational Linguistics"
LONG_VENUES = (f"{ACL} (Volume 1: Long Papers)", f"{ACL} (Volume 2: Short Papers)")


def test_no_site_path_is_refused_by_windows_or_taken_twice_by_a_case_insensitive_disk(
        tmp_path: Path) -> None:
    """Tags, authors and venues that are device names ('aux', 'NUL', an author 'Con'), spelt
    in two cases ('RAG', 'rag'), with and without accents, or long: each has a page of its
    own, at a path every system can hold."""
    config = write_list(tmp_path, {
        "a": paper("A", tags=["aux", "RAG", "Com1", "lpt9.txt"], authors=["Con", "José García"],
                   venue="PRN"),
        "b": paper("B", tags=["NUL", "rag", "C#"], authors=["Jose Garcia", "JOSÉ GARCÍA"],
                   venue=LONG_VENUES[0]),
        "c": paper("C", tags=["c-sharp", "Résumé"], venue=LONG_VENUES[1]),
    }, f"title: T\nthemes_dir: {THEMES.as_posix()}\n")
    build_to_disk(config)
    files = list(read_tree(tmp_path / "site"))
    portable(files)
    for kind, name in (("tags", "aux-tag"), ("tags", "nul-tag"), ("tags", "com1-tag"),
                       ("authors", "con-author"), ("venues", "prn-venue")):
        assert f"{kind}/{name}/index.html" in files
    assert len([f for f in files if f.startswith("tags/rag")]) == 3  # one tag: RAG, rag
    # "José García" and "JOSÉ GARCÍA" are one author, "Jose Garcia" another: two pages
    assert len([f for f in files if f.startswith("authors/jose-garcia")]) == 2 * 2


def test_a_long_term_has_a_slug_of_its_own_whatever_the_other_terms_are() -> None:
    """Two venues that share their first 60 characters: each keeps its page whether the
    other is in the list or not (a numbered '-2' moved when a venue sorting first came)."""
    def slug(*venues: str) -> dict[str, str]:
        papers = [Paper(slug=f"p{i}", title=f"P{i}", venue=v) for i, v in enumerate(venues)]
        return {t.name: t.slug for t in build_site(papers)[0].index("venues").terms}

    both = slug(*LONG_VENUES)
    assert len(set(both.values())) == 2
    assert all(len(s) <= SLUG_MAX and s.startswith("proceedings-of-the-62nd-annual")
               for s in both.values())
    assert slug(LONG_VENUES[1]) == {LONG_VENUES[1]: both[LONG_VENUES[1]]}
    assert slug(LONG_VENUES[0]) == {LONG_VENUES[0]: both[LONG_VENUES[0]]}
    # a name up to 60 characters keeps the slug it had
    assert slug("Transactions of the Association for Computational") == {
        "Transactions of the Association for Computational":
            "transactions-of-the-association-for-computational"}


@pytest.mark.parametrize("name", ["Schrödinger", "Antonín Dvořák", "한국어 처리", "Ёлка"])
def test_a_name_in_nfd_has_the_slug_it_has_in_nfc(tmp_path: Path, name: str) -> None:
    """macOS gives file names in NFD, and text copied there may be: a content file, a tag
    or an author read in NFD is the page it is in NFC (a Korean or Cyrillic tag's hash
    slug was taken from the bytes as written)."""
    nfc, nfd = unicodedata.normalize("NFC", name), unicodedata.normalize("NFD", name)
    assert nfc != nfd
    assert slug_for_path(Path(f"{nfd}.md")) == slug_for_path(Path(f"{nfc}.md"))

    def slugs(spelling: str) -> tuple[str, str]:
        site, _ = build_site([Paper(slug="p", title="P", tags=(spelling,),
                                    authors=(spelling,))])
        return site.index("tags").terms[0].slug, site.index("authors").terms[0].slug

    assert slugs(nfd) == slugs(nfc)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project in a folder whose name has a space and accents, as the working
    folder."""
    root = tmp_path / "my reading list, été"
    (root / "content" / "papers").mkdir(parents=True)
    (root / "config.yaml").write_text(f"title: T\nthemes_dir: {THEMES.as_posix()}\n",
                                      encoding="utf-8")
    monkeypatch.chdir(root)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    return root


def test_new_and_import_never_name_a_file_windows_refuses(project: Path, capsys) -> None:
    """A paper titled "Con" or "AUX" gets a file (and a page) every system can hold, and is
    found by its title; an existing con.md keeps its slug (its page's address), and check
    says why it cannot be checked out on Windows."""
    assert cli.main(["new", "Con"]) == 0
    assert capsys.readouterr().out.strip() == "content/papers/con-paper.md"
    listing = project / "refs.bib"
    listing.write_text("@article{a, title={AUX}, year={2024}}\n"
                       "@article{b, title={Com1}, year={2024}}\n", encoding="utf-8")
    assert cli.main(["import", str(listing)]) == 0
    names = sorted(p.name for p in (project / "content" / "papers").iterdir())
    assert names == ["aux-paper.md", "com1-paper.md", "con-paper.md"]
    assert cli.main(["tag", "Con", "aux", "--add", "x"]) == 0
    out = capsys.readouterr().out
    assert "updated content/papers/con-paper.md" in out
    assert "updated content/papers/aux-paper.md" in out
    # an existing file keeps its name and its page; check warns
    (project / "content" / "papers" / "nul.md").write_text(paper("Nul"), encoding="utf-8")
    assert cli.main(["check"]) == 0
    assert ("content/papers/nul.md: warning: 'nul' is a device name on Windows, where this "
            "file and its page's folder cannot be made; rename it to nul-paper.md (its page "
            "moves)") in capsys.readouterr().err
    (project / "content" / "papers" / "PRN.md").write_text(paper("Prn"), encoding="utf-8")
    (project / "content" / "papers" / "lpt1.old.md").write_text(paper("Lpt"), encoding="utf-8")
    assert cli.main(["check"]) == 0
    err = capsys.readouterr().err
    assert "content/papers/PRN.md: warning: 'PRN' is a device name on Windows" in err
    assert ("content/papers/lpt1.old.md: warning: file name is not a slug; the page will be "
            "'lpt1-old' (rename the file to lpt1-old.md)") in err
    (project / "content" / "papers" / "PRN.md").unlink()
    (project / "content" / "papers" / "lpt1.old.md").unlink()
    assert cli.main(["build"]) == 0
    assert (project / "site" / "papers" / "nul" / "index.html").is_file()
    portable([p for p in read_tree(project / "site") if not p.startswith("papers/nul/")])


def test_a_project_folder_with_spaces_and_accents_given_as_a_relative_config(
        project: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.chdir(project.parent)
    folder = project.name
    assert cli.main(["--config", folder, "new", "Relative"]) == 0
    assert cli.main(["--config", f"{folder}/config.yaml", "build"]) == 0
    assert cli.main(["--config", folder, "check"]) == 0
    assert (project / "site" / "papers" / "relative" / "index.html").is_file()
    assert not (project.parent / "site").exists()
    assert not (project.parent / "content").exists()


UTF16_TEXT = "---\r\ntitle: Saved as Unicode\r\ntags: [x]\r\n---\r\n\r\nNotes.\r\n"


@pytest.mark.parametrize(("data", "expected"), [
    ((UTF16_TEXT.encode("utf-16")),  # Notepad's "Unicode": a BOM, little-endian
     ":1: error: UTF-16 text (Notepad's 'Unicode'); save it as UTF-8"),
    (b"\xfe\xff" + UTF16_TEXT.encode("utf-16-be"),
     ":1: error: UTF-16 text (Notepad's 'Unicode'); save it as UTF-8"),
    (UTF16_TEXT.encode("utf-16-le"),  # no BOM, every character ASCII: decodes as UTF-8
     ":1: error: a NUL byte: UTF-16 text or not text at all; save it as UTF-8"),
])
def test_a_content_file_saved_as_utf16_is_named_as_such(project: Path, capsys, data: bytes,
                                                        expected: str) -> None:
    """(Without a BOM it was 'missing front matter', on a file that starts with '---'.)"""
    file = project / "content" / "papers" / "unicode.md"
    file.write_bytes(data)
    for argv in (["check"], ["build"], ["tag", "unicode", "--add", "y"]):
        assert cli.main(argv) == 1
        err = capsys.readouterr().err
        assert f"content/papers/unicode.md{expected}\n" in err, argv
        assert "Traceback" not in err
    assert file.read_bytes() == data
    (project / "refs.bib").write_text("@article{a, title={Saved as Unicode}}\n",
                                      encoding="utf-8")
    assert cli.main(["import", "refs.bib", "--dry-run"]) == 0
    warned = expected.replace(": error:", ": warning:")  # (the import goes on without it)
    assert f"content/papers/unicode.md{warned}; left as it is" in capsys.readouterr().err


def test_config_saved_by_notepad(project: Path, capsys) -> None:
    """config.yaml with a BOM and CRLF reads as it would without; in UTF-16 it is an
    error on its line 1 (it was 'not UTF-8 text (invalid start byte)')."""
    config = project / "config.yaml"
    text = f"title: Café list\r\nthemes_dir: {THEMES.as_posix()}\r\n"
    config.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert cli.main(["new", "One"]) == 0
    assert cli.main(["build"]) == 0
    assert "<title>Café list</title>" in (project / "site" / "index.html").read_text("utf-8")
    config.write_bytes(text.encode("utf-16"))
    assert cli.main(["check"]) == 1
    assert "config.yaml:1: error: UTF-16 text (Notepad's 'Unicode'); save it as UTF-8" in \
        capsys.readouterr().err


def test_a_link_that_git_checked_out_as_a_file_is_named_as_such(project: Path, capsys) -> None:
    """Git on Windows (core.symlinks false) writes a symbolic link as a file holding its
    target: said so, not only 'missing front matter'."""
    (project / "content" / "papers" / "linked.md").write_bytes(b"../../drafts/linked.md")
    (project / "content" / "papers" / "notes.md").write_bytes(b"see other.md")
    assert cli.main(["check"]) == 1
    err = capsys.readouterr().err
    assert ("content/papers/linked.md:1: error: missing front matter: all the file holds is "
            "'../../drafts/linked.md': a symbolic link that git checked out as a file (as on "
            "Windows, without core.symlinks); copy the file it names here instead") in err
    assert ("content/papers/notes.md:1: error: missing front matter: the file must start "
            "with a '---' line") in err


def test_no_verb_follows_a_link_out_of_the_project(tmp_path: Path, monkeypatch, capsys) -> None:
    """With ``content_dir: .`` the papers folder's parent's parent is outside the project:
    a link from the papers to a file there was refused by the build but followed by
    `import`, `new` and the edits, which wrote into it."""
    outside = tmp_path / "other" / "x.md"
    outside.parent.mkdir()
    text = paper("Secret Outside")
    outside.write_text(text, encoding="utf-8")
    project = tmp_path / "list"
    (project / "papers").mkdir(parents=True)
    (project / "papers" / "x.md").symlink_to("../../other/x.md")
    (project / "config.yaml").write_text(f"title: T\ncontent_dir: .\n"
                                         f"themes_dir: {THEMES.as_posix()}\n", encoding="utf-8")
    monkeypatch.chdir(project)
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli.main(["tag", "x", "--add", "leaked"]) == 2
    assert cli.main(["status", "papers/x.md", "read"]) == 2
    assert "papers/x.md: error: not a paper's file" in capsys.readouterr().err
    (project / "refs.bib").write_text("@article{a, title={Secret Outside}, year={2024}}\n",
                                      encoding="utf-8")
    assert cli.main(["import", "refs.bib"]) == 0
    assert "papers/x.md: warning: a link to" in capsys.readouterr().err
    assert outside.read_text(encoding="utf-8") == text
    assert (project / "papers" / "secret-outside.md").is_file()  # (its own file)
    assert cli.main(["check"]) == 1


def test_a_listing_named_in_nfd_is_one_source(project: Path, capsys) -> None:
    """A listing imported from a Mac (or a checkout of a repo made on one: NFD names), then
    from Linux (NFC), is one source of the paper, not two."""
    text = "@article{a, title={Zürich Transformers}, year={2024}}\n"
    for form in ("NFD", "NFC"):
        name = unicodedata.normalize(form, "Zürich.bib")
        (project / name).write_text(text, encoding="utf-8")
        assert cli.main(["import", name]) == 0
        (project / name).unlink()
    written = (project / "content" / "papers" / "zurich-transformers.md").read_text("utf-8")
    assert written.count("file: Zürich.bib") == 1
    assert "1 unchanged" in capsys.readouterr().out
