"""The `triage` command: parse options, call the library, render. No logic.

Exit codes (also in README.md):
  0  everything was analysed
  2  usage error (unknown option, missing argument)
  3  an input could not be read, or is not a mail, thread or diff
  4  an input had a damaged part (truncated/garbled/binary diff); the rest was analysed
  5  the --source file could not be read
  7  the output file could not be written (or exists without --force)
 70  internal error (a bug: please report it with the input)
"""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from typing import Optional

import typer

from triage import __version__
from triage.analysis import analyze as analyze_inputs
from triage.errors import TriageError
from triage.outfile import write_atomic
from triage.report import jsonout
from triage.report.render import render
from triage.report.textview import input_view

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Evidence for io-wq patch review and stable backport decisions.")


class Format(str, Enum):
    text = "text"
    json = "json"


def _emit(text: str, output: Optional[str], force: bool) -> None:
    if output:
        write_atomic(output, text, force)
    else:
        sys.stdout.write(text)


@app.command()
def analyze(
    inputs: list[str] = typer.Argument(..., help="Mail, mbox thread, format-patch, git show output, diff or web-archive text."),
    source: Optional[str] = typer.Option(None, "--source", help="Pre-image of the C file the patch changes: exact symbol mapping."),
    fmt: Format = typer.Option(Format.text, "--format", help="text (terminal account) or json (schema: `triage schema`)."),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="Write to this file (atomically) instead of stdout."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --output file."),
) -> None:
    """What each patch is and what it touches: subject, author, trailers, commits
    named, stable tags, and every hunk mapped to the C symbol it changes.

    Example: triage analyze corpus/*.txt
    """
    results = analyze_inputs(inputs, source)
    if fmt is Format.json:
        text = jsonout.dumps(results)
    else:
        text = render("analyze.txt.j2", inputs=[input_view(r) for r in results])
    _emit(text, output, force)
    for result in results:
        if result.error:
            typer.echo(f"triage: {result.source}: {result.error}", err=True)
        for problem in result.problems:
            typer.echo(f"triage: {result.source}: {problem}", err=True)
    code = max((r.exit_code for r in results), default=0)
    if code:
        raise typer.Exit(code)


@app.command()
def schema() -> None:
    """Print the JSON Schema of `triage analyze --format json` output.

    Example: triage schema > analysis.schema.json
    """
    sys.stdout.write(json.dumps(jsonout.json_schema(), indent=2) + "\n")


@app.command()
def version() -> None:
    """Print the version. Example: triage version"""
    typer.echo(__version__)


def main() -> None:
    """Entry point: the one place errors become a line on stderr and an exit
    code. typer itself reports usage errors (exit 2) and exits via SystemExit."""
    try:
        app()
    except TriageError as exc:
        typer.echo(f"triage: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("triage: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug: one line, not a traceback
        if os.environ.get("TRIAGE_DEBUG"):
            raise
        typer.echo(f"triage: internal error: {type(exc).__name__}: {exc} (set TRIAGE_DEBUG=1 for a traceback)",
                   err=True)
        sys.exit(70)


if __name__ == "__main__":
    main()
