"""The HTML report as files: name -> text, rendered from a Report. Pure;
writing them is outfile.write_files' job."""

from __future__ import annotations

from markupsafe import Markup

from triage.model import Report
from triage.report.htmlview import csp, index_pages, patch_page
from triage.report.render import environment, templates_dir


def render_site(report: Report) -> dict[str, str]:
    env = environment()
    # Our own stylesheet, not input: marked safe so that it is not escaped,
    # and pinned in the CSP by its hash.
    css = (templates_dir() / "report" / "style.css").read_text(encoding="utf-8")
    common = {"tool": report.tool, "style": Markup(css), "csp": csp(css)}
    index = env.get_template("report/index.html.j2")
    page = env.get_template("report/patch.html.j2")
    files = {name: index.render(view=view, title=f"io-wq patches ({view['sorted_by']})", **common)
             for name, view in index_pages(report).items()}
    for p in report.patches:
        view = patch_page(p)
        files[p.page] = page.render(p=view, title=view["title"], **common)
    return files
