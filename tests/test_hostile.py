"""Hostile input (tests/hostile.py: 115 generated cases) through everything a
user can ask of it, in process: analyze (text and JSON), report html
(written to a folder) and the reply mail. Each must end in a result or a
TriageError (a one-line error and a documented exit code), never another
exception; every page must be inert HTML; every file must land inside the
output folder. Wall time and peak memory of each input in its own process
are measured by tests/bench/bench_hostile.py (no timed assertions here)."""

from __future__ import annotations

import email
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from triage.analysis import analyze
from triage.errors import TriageError
from triage.model import Person
from triage.outfile import write_files
from triage.report import jsonout
from triage.report.build import build_report
from triage.report.render import render
from triage.report.reply import HARD_LIMIT, reply_text
from triage.report.site import render_site
from triage.report.textview import input_view

from .hostile import cases, write_cases

NAMES = [name for name, _ in cases()]
_ACTIVE_TAGS = {"script", "iframe", "object", "embed", "img", "form", "input", "button", "link", "meta", "base",
                "frame", "frameset", "applet", "audio", "video", "source", "math", "template", "portal"}


class _Inert(HTMLParser):
    """Collects anything that could run or fetch: active tags (beyond the
    page's own CSP meta), event-handler attributes, script URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.active: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = {k for k, _ in attrs}
        if tag in _ACTIVE_TAGS and not (tag == "meta" and names <= {"charset", "http-equiv", "content", "name"}):
            self.active.append(f"<{tag}>")
        for key, value in attrs:
            if key.startswith("on"):
                self.active.append(f"<{tag} {key}=>")
            if key in ("href", "src", "action", "formaction", "xlink:href", "style") and value and (
                    "javascript:" in value.lower() or "url(" in value.lower() or value.startswith("data:text")):
                self.active.append(f"<{tag} {key}={value[:30]}>")


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hostile-in")
    write_cases(out)
    return out


@pytest.mark.parametrize("name", NAMES)
def test_hostile_input_is_a_result_or_one_clear_error(name, folder, tmp_path):
    results = analyze([str(folder / f"{name}.eml")])
    (result,) = results
    if result.error:
        assert result.exit_code in (3, 4, 5, 6) and "\n" not in result.error
    for problem in result.problems:
        assert "\n" not in problem and len(problem) < 2000, problem[:200]
    json.loads(jsonout.dumps(results))
    render("analyze.txt.j2", inputs=[input_view(r) for r in results])

    report = build_report(results)
    site = render_site(report)
    out = tmp_path / "site"
    write_files(str(out), site)
    written = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert written and all(p.resolve().parent == out.resolve() for p in written), written
    for page, html in site.items():
        parser = _Inert()
        parser.feed(html)
        assert not parser.active, (page, parser.active[:5])

    for patch in report.patches:
        try:
            mail = reply_text(patch, Person("Rev", "rev@example.org"), "t")
        except TriageError as exc:  # a header no mail may carry: refused with a reason
            assert exc.exit_code == 3
            continue
        assert max(len(line) for line in mail.splitlines()) <= HARD_LIMIT
        assert email.message_from_string(mail)["Subject"] is not None
