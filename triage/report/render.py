"""The Jinja2 environment, built per call (no module-global state)."""

from __future__ import annotations

from pathlib import Path

import jinja2


def templates_dir() -> Path:
    """Installed: the triage.templates package; in a checkout: templates/."""
    try:
        import triage.templates as installed  # type: ignore[import-not-found]

        return Path(installed.__path__[0])
    except ImportError:
        return Path(__file__).resolve().parents[2] / "templates"


def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)
