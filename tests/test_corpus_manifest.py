"""The shipped corpus, checked field by field against corpus/manifest.toml."""

from __future__ import annotations


from triage.analysis import analyze_document
from triage.ingest import read_path
from triage.model import Analysis

from .conftest import CORPUS


def _analysis(entry: dict) -> tuple[Analysis, str]:
    doc = read_path(CORPUS / entry["file"])
    assert doc.problems == ()
    (analysis,) = analyze_document(doc)
    return analysis, doc.form


def _ids(manifest_entries):
    return [e["file"] for e in manifest_entries]


def pytest_generate_tests(metafunc):
    if "entry" in metafunc.fixturenames:
        import tomllib

        with open(CORPUS / "manifest.toml", "rb") as handle:
            entries = tomllib.load(handle)["entry"]
        metafunc.parametrize("entry", entries, ids=_ids(entries))


def test_every_corpus_file_has_an_entry(manifest):
    shipped = sorted(p.name for p in CORPUS.glob("*.txt"))
    assert shipped == sorted(e["file"] for e in manifest)


def test_envelope(entry):
    a, form = _analysis(entry)
    m = a.message
    assert form == entry["form"]
    assert (m.subject.raw if m.subject else "") == entry["subject"]
    if "subject_title" in entry:
        assert m.subject.title == entry["subject_title"]
    for key in ("version", "index", "total"):
        if key in entry:
            assert getattr(m.subject, key) == entry[key]
    assert str(m.author) == entry["author"]
    assert m.author.obfuscated == entry.get("author_obfuscated", False)
    assert (m.date or "") == entry["date"]
    assert m.message_id == entry.get("message_id")
    assert [str(p) for p in m.to] == entry.get("to", [])
    assert [str(p) for p in m.cc] == entry.get("cc", [])
    assert m.upstream == entry.get("upstream")


def test_quoting_levels(entry):
    a, _ = _analysis(entry)
    by_level = {}
    for part in a.message.parts:
        if part.kind == "prose":
            by_level.setdefault(part.level, set()).add(part.author)
    assert {lvl: authors for lvl, authors in by_level.items()} == {
        lvl: {name} for lvl, name in enumerate(entry["levels"])
    }
    assert any(p.kind == "llm-explanation" for p in a.message.parts) == entry.get("has_llm_explanation", False)


def test_trailers(entry):
    a, _ = _analysis(entry)
    got = [[t.key, str(t.person) if t.person else t.value] for t in a.message.trailers]
    assert got == entry["trailers"]


def test_commits(entry):
    a, _ = _analysis(entry)
    got = [
        {k: v for k, v in (("sha", c.sha), ("role", c.role), ("subject", c.subject),
                           ("level", c.level), ("author", c.author)) if v not in (None, 0)}
        for c in a.message.commits
    ]
    want = [dict(c) for c in entry["commits"]]
    # author is checked only where the manifest records it
    for g, w in zip(got, want):
        if "author" not in w:
            g.pop("author", None)
    assert got == want


def test_prose_symbols(entry):
    a, _ = _analysis(entry)
    found = {p.name: p.kind for p in a.message.prose_symbols}
    for name, kind in entry["prose_symbols"]:
        assert found.get(name) == kind, name


def test_snippets(entry):
    a, _ = _analysis(entry)
    got = {s.name: list(s.items) for s in a.message.snippets}
    for snippet in entry.get("snippets", []):
        assert snippet["items"] in [items for name, items in
                                    ((s.name, list(s.items)) for s in a.message.snippets) if name == snippet["name"]], got


def test_diffs_and_symbols(entry):
    a, _ = _analysis(entry)
    m = a.message
    want_diffs = entry.get("diff", [])
    assert len(m.diffs) == len(want_diffs)
    for d_index, (diff, want) in enumerate(zip(m.diffs, want_diffs)):
        assert diff.level == want["level"]
        assert diff.reconstructed == want["reconstructed"]
        if "author" in want:
            assert diff.author == want["author"]
        assert [f.path for f in diff.files] == [f["path"] for f in want["file"]]
        for file, want_file in zip(diff.files, want["file"]):
            assert f"{file.old_blob}..{file.new_blob}" == want_file["blobs"]
            assert (file.added, file.removed) == (want_file["added"], want_file["removed"])
            assert len(file.hunks) == len(want_file["hunks"])
            for h_index, (hunk, want_hunk) in enumerate(zip(file.hunks, want_file["hunks"])):
                assert f"-{hunk.old_start},{hunk.old_len} +{hunk.new_start},{hunk.new_len}" == want_hunk["header"]
                assert hunk.counts_check
                assert hunk.section_hint == want_hunk["hint"]
                # content, not indentation: web copies turn tabs into one space
                assert [line.text.strip() for line in hunk.lines if line.kind == "+"] == want_hunk["lines"]
                changes = [c for c in a.symbols if c.diff_index == d_index and c.hunk_index == h_index
                           and c.file == file.path]
                assert [(c.symbol, c.kind, list(c.how)) for c in changes] == [
                    (want_hunk["symbol"], want_hunk["kind"], want_hunk["how"])]
                if "hint_agrees" in want_hunk:
                    assert changes[0].hint_agrees is want_hunk["hint_agrees"]
                comments = [[c.author, c.level, c.text] for c in hunk.comments]
                for author, level, start in want_hunk.get("comments", []):
                    assert any(c[0] == author and c[1] == level and c[2].startswith(start) for c in comments), comments
