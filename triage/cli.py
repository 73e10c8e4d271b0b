"""The `triage` command: parse options, call the library, render. No logic.

Exit codes (also in README.md):
  0  everything was analysed
  2  usage error (unknown option, missing argument)
  3  an input could not be read, or is not a mail, thread or diff
  4  an input had a damaged part (truncated/garbled/binary diff); the rest was analysed
  5  the --source file could not be read
  6  the kernel tree (--repo) cannot answer: not a git repository, unknown
     branch, bad revision, shallow clone lacking the history needed
  7  the output file could not be written (or exists without --force)
  8  unknown scenario or knob, or a knob value it does not take
 70  internal error (a bug: please report it with the input)
"""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from typing import Optional

import typer

from triage import __version__, progress
from triage.analysis import analyze as analyze_inputs
from triage.errors import GitError, InputError, TriageError
from triage.outfile import write_atomic
from triage.report import jsonout
from triage.report.render import render
from triage.report.textview import input_view

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Evidence for io-wq patch review and stable backport decisions.")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _options(version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                          help="Print the version and exit.")) -> None:
    """Evidence for io-wq patch review and stable backport decisions."""


class Format(str, Enum):
    text = "text"
    json = "json"


def _jobs(given: int) -> int:
    if given < 0:
        raise typer.BadParameter("takes 0 (one per core) or a number of processes", param_hint="--jobs")
    return given or os.cpu_count() or 1


def _cache(no_cache: bool) -> None:
    if no_cache:
        from triage.sim import cache

        cache.configure(False)


def _emit(text: str, output: Optional[str], force: bool) -> None:
    if output:
        write_atomic(output, text, force)
    else:
        sys.stdout.write(text)


INBOX_HELP = ("A public-inbox archive (git/N.git epochs, or one epoch; else `git config triage.inbox`): inputs "
              "may be message-ids, each read as its whole thread.")


@app.command()
def analyze(
    inputs: list[str] = typer.Argument(..., help="Mail, mbox thread, format-patch, git show output, diff or web-archive text."),
    source: Optional[str] = typer.Option(None, "--source", help="Pre-image of the C file the patch changes: exact symbol mapping."),
    fmt: Format = typer.Option(Format.text, "--format", help="text (terminal account) or json (schema: `triage schema`)."),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="Write to this file (atomically) instead of stdout."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --output file."),
    profiles: Optional[str] = typer.Option(None, "--profiles", help="TOML file adding or overriding layout config profiles."),
    behaviour: bool = typer.Option(True, "--behaviour/--no-behaviour",
                                   help="Probe the io-wq knobs the patch changes and simulate the delta."),
    repo: Optional[str] = typer.Option(None, "--repo", help="Kernel git tree (else $TRIAGE_REPO or `git config "
                                       "triage.repo`): stable-branch matrix; inputs may be commits or A..B ranges."),
    branches: Optional[str] = typer.Option(None, "--branches", help="Comma-separated branches (else `git config "
                                           "triage.branches`, else every linux-X.Y.y plus master/main)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Run every simulation again instead of reading "
                                  "results kept on disk (see README: cache)."),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Inputs analysed at once, each in a process of its own "
                             "(0: one per core). Output order is the inputs' order whatever the number."),
    inbox: Optional[str] = typer.Option(None, "--inbox", help=INBOX_HELP),
) -> None:
    """What each patch is and what it touches: subject, author, trailers, commits
    named, stable tags, and every hunk mapped to the C symbol it changes. With a
    kernel tree: per stable branch, is the bug there, is the fix there, does it
    apply, what must come first, and the verdict.

    Example: triage analyze corpus/*.txt

    Example: triage analyze --repo ~/linux --branches linux-6.6.y,linux-6.12.y v6.15-rc1..v6.15

    Example: triage analyze --inbox ~/lore/io-uring '<20230901134916.2415386-1-ming.lei@redhat.com>'
    """
    _cache(no_cache)
    results = analyze_inputs(inputs, source, profiles, behaviour, *_tree_args(repo, branches), jobs=_jobs(jobs),
                             inbox_path=_inbox_path(inbox))
    _stop_if_nothing_read(results)
    if fmt is Format.json:
        text = jsonout.dumps(results)
    else:
        text = render("analyze.txt.j2", inputs=[input_view(r) for r in results])
    _emit(text, output, force)
    _exit_for(results)


class ReportFormat(str, Enum):
    html = "html"
    reply = "reply"
    mbox = "mbox"
    json = "json"
    text = "text"


@app.command()
def report(
    inputs: list[str] = typer.Argument(..., help="As for analyze: mail, mbox thread, format-patch, git show output, "
                                       "diff, web-archive text; with --repo also commits and A..B ranges."),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="html: the directory for index.html and the "
                                         "pages (created if missing); other formats: a file (else stdout)."),
    fmt: ReportFormat = typer.Option(ReportFormat.html, "--format", help="html (pages + index), reply (a mail per "
                                     "patch, an mbox when several), mbox (the latest version of each patch for "
                                     "`git am`, trailers from replies folded in), json (schema: `triage schema "
                                     "report`), text."),
    version: Optional[int] = typer.Option(None, "--version", min=1, help="--format mbox: write vN of each patch "
                                          "instead of the latest."),
    allow_incomplete: bool = typer.Option(False, "--allow-incomplete", help="--format reply: write a reply even "
                                          "without From:, To: or In-Reply-To: (else it is refused, exit 7)."),
    force: bool = typer.Option(False, "--force", help="Overwrite existing output files."),
    source: Optional[str] = typer.Option(None, "--source", help="Pre-image of the C file the patch changes."),
    profiles: Optional[str] = typer.Option(None, "--profiles", help="TOML file adding or overriding layout profiles."),
    behaviour: bool = typer.Option(True, "--behaviour/--no-behaviour",
                                   help="Probe the knobs the patch changes and simulate the delta."),
    repo: Optional[str] = typer.Option(None, "--repo", help="Kernel git tree (else $TRIAGE_REPO or `git config "
                                       "triage.repo`): the stable-branch matrix."),
    branches: Optional[str] = typer.Option(None, "--branches", help="Comma-separated branches to check."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Run every simulation again instead of reading "
                                  "results kept on disk (see README: cache)."),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Inputs analysed at once, each in a process of its own "
                             "(0: one per core). Output order is the inputs' order whatever the number."),
    inbox: Optional[str] = typer.Option(None, "--inbox", help=INBOX_HELP),
) -> None:
    """A report per patch for the stable decision: the verdict and its
    reasons, metadata and trailers, the symbol table beside each hunk with the
    thread's review comments under it, the behaviour before/after (knobs,
    metrics, a timeline), the stable-branch matrix, the stable-rules checklist,
    risk factors, and what the analysis could not see.

    Example: triage report corpus/*.txt -o report/

    Example: triage report --format reply patch.mbox > reply.eml
    """
    from triage.report.build import build_report

    if fmt is ReportFormat.html and not output:
        raise typer.BadParameter("--format html writes a directory: give -o DIR", param_hint="-o")
    _cache(no_cache)
    results = analyze_inputs(inputs, source, profiles, behaviour, *_tree_args(repo, branches), jobs=_jobs(jobs),
                             inbox_path=_inbox_path(inbox))
    _stop_if_nothing_read(results)
    _write_report(build_report(results), results, fmt, output, force, version, allow_incomplete)


def _write_report(built, results, fmt: "ReportFormat", output: Optional[str], force: bool,
                  version: Optional[int], allow_incomplete: bool = False) -> None:
    from triage.report.textview import report_view

    if fmt is ReportFormat.html:
        from triage.outfile import write_files
        from triage.report.site import render_site

        write_files(output, render_site(built), force)
        sys.stdout.write(render("report.txt.j2", view=report_view(built)))
        typer.echo(f"triage: wrote {len(built.patches)} page(s) and the index: {os.path.join(output, 'index.html')}",
                   err=True)
    elif fmt is ReportFormat.reply:
        from triage.outfile import OutputError
        from triage.report.reply import mbox, reply_missing, reply_text, reply_warnings

        sender = _git_identity()
        replies, refused = [], 0
        for p in built.patches:
            missing = reply_missing(p, sender)
            if missing and not allow_incomplete:
                typer.echo(f"triage: {p.input}: reply not written: {'; '.join(missing)}; --allow-incomplete "
                           "writes it anyway", err=True)
                refused = max(refused, OutputError.exit_code)
                continue
            try:
                replies.append(reply_text(p, sender, built.tool))
            except InputError as exc:  # a header no mail can carry: this reply only
                typer.echo(f"triage: {exc}", err=True)
                refused = max(refused, exc.exit_code)
                continue
            for warning in reply_warnings(p, sender):
                typer.echo(f"triage: {p.input}: reply: {warning}", err=True)
        if replies:
            _emit(replies[0] if len(replies) == 1 else mbox(replies), output, force)
        if refused:
            _exit_for(results, at_least=refused)
    elif fmt is ReportFormat.mbox:
        from triage.report.amview import am_mbox

        am = am_mbox(built, version)
        for line in am.skipped:
            typer.echo(f"triage: mbox: left out {line}", err=True)
        for line in am.notes:
            typer.echo(f"triage: mbox: {line}", err=True)
        if not am.written:
            raise InputError("mbox", "no patch to write for git am" + (f" (no v{version} in the input)"
                                                                       if version else ""))
        _emit(am.text, output, force)
        typer.echo(f"triage: mbox: {len(am.written)} patch(es) for git am --patch-format=mboxrd", err=True)
    elif fmt is ReportFormat.json:
        _emit(jsonout.report_dumps(built), output, force)
    else:
        _emit(render("report.txt.j2", view=report_view(built)), output, force)
    _exit_for(results)


def _git_identity():
    """The reply's From: git config user.name and user.email, as git
    send-email would use them."""
    from triage.model import Person
    from triage.tree.repo import user_config

    name, email = user_config("user.name") or "", user_config("user.email")
    return Person(name, email) if email else None


def _stop_if_nothing_read(results) -> None:
    """No input could be read: report why and write nothing (an empty
    report would look like a clean one)."""
    if results and all(r.error for r in results):
        _exit_for(results)


def _exit_for(results, at_least: int = 0) -> None:
    """One line per failed input or damaged part, and the highest exit code."""
    for result in results:
        if result.error:
            typer.echo(f"triage: {result.source}: {result.error}", err=True)
        for problem in result.problems:
            typer.echo(f"triage: {result.source}: {problem}", err=True)
    code = max([r.exit_code for r in results] + [at_least])
    if code:
        raise typer.Exit(code)


@app.command()
def scenarios(fmt: Format = typer.Option(Format.text, "--format", help="text or json")) -> None:
    """List the simulator's scenarios with the C symbols they exercise and the
    knobs whose change they show.

    Example: triage scenarios
    """
    from triage.report.simview import scenarios_view

    view = scenarios_view()
    sys.stdout.write(json.dumps(view, indent=2) + "\n" if fmt is Format.json
                     else render("scenarios.txt.j2", scenarios=view))


@app.command()
def knobs(fmt: Format = typer.Option(Format.text, "--format", help="text or json")) -> None:
    """List the io-wq behaviour knobs with their defaults (current upstream)
    and the commits that changed them.

    Example: triage knobs
    """
    from triage.report.simview import knobs_view

    view = knobs_view()
    sys.stdout.write(json.dumps(view, indent=2) + "\n" if fmt is Format.json else render("knobs.txt.j2", knobs=view))


@app.command()
def simulate(
    scenario: str = typer.Argument(..., help="Scenario name (see `triage scenarios`)."),
    before: str = typer.Option("", "--before", help="Knob changes for the 'before' run: k=v,k=v."),
    after: str = typer.Option("", "--after", help="Knob changes for the 'after' run: k=v,k=v."),
    seed: int = typer.Option(0, "--seed", help="Seed of the schedule (same seed, same trace)."),
    schedules: Optional[int] = typer.Option(None, "--schedules", help="Also run N random schedules."),
    pct: bool = typer.Option(False, "--pct", help="With --schedules: PCT priority schedules instead of random."),
    exhaustive: Optional[bool] = typer.Option(None, "--exhaustive/--no-exhaustive",
                                              help="Explore every interleaving (default for small scenarios)."),
    horizon: Optional[float] = typer.Option(None, "--horizon", help="Virtual seconds to simulate."),
    fmt: Format = typer.Option(Format.text, "--format", help="text or json"),
    no_cache: bool = typer.Option(False, "--no-cache", help="Run every simulation again instead of reading "
                                  "results kept on disk (see README: cache)."),
    source: Optional[str] = typer.Option(None, "--source", help="Code mode: run the scenario's workload on this "
                                         "io-wq.c's own C (an unknown name lists the code-mode workloads)."),
    show_coverage: bool = typer.Option(False, "--coverage", help="Code mode: per function, the lines run and "
                                       "those never reached."),
    preemptions: Optional[int] = typer.Option(None, "--preemptions", help="Code mode with --exhaustive: every "
                                              "interleaving with at most K preemptions per instant (default 1)."),
) -> None:
    """Run a scenario before and after a change of knobs and print the
    metrics side by side, with findings (races, invariant violations) and
    their schedules. With --source, the scenario runs io-wq's own C from
    that file instead of the model.

    Example: triage simulate exit-linked-chain --before do_kill_granularity=per_call

    Example: triage simulate worker-churn --source linux/io_uring/io-wq.c --coverage
    """
    if preemptions is not None and not (source is not None and exhaustive):
        raise typer.BadParameter("bounds the exhaustive exploration of a file's code: give --source FILE "
                                 "--exhaustive", param_hint="--preemptions")
    if preemptions is not None and preemptions < 0:
        raise typer.BadParameter("takes a number of preemptions, 0 or more", param_hint="--preemptions")
    # the same for the model and for a file's code
    if schedules is not None and schedules < 1:
        raise typer.BadParameter("takes a number of schedules, 1 or more", param_hint="--schedules")
    if schedules and exhaustive:
        raise typer.BadParameter("--schedules N runs N schedules, --exhaustive every one: give one of them",
                                 param_hint="--schedules/--exhaustive")
    if pct and not schedules:
        raise typer.BadParameter("PCT schedules need --schedules N", param_hint="--pct")
    if horizon is not None and not horizon > 0:
        raise typer.BadParameter("takes virtual seconds greater than 0", param_hint="--horizon")
    if source is not None:
        _simulate_code(scenario, source, seed, before or after, horizon, show_coverage, fmt, schedules, pct,
                       exhaustive=bool(exhaustive), preemptions=1 if preemptions is None else preemptions)
        return
    if show_coverage:
        raise typer.BadParameter("coverage is of a file's code: give --source FILE", param_hint="--coverage")
    from triage.errors import ScenarioError
    from triage.report.simview import comparison_view
    from triage.sim.knobs import parse_assignments
    from triage.sim.simulate import simulate as run_simulation

    try:
        changes = {"before": parse_assignments(before), "after": parse_assignments(after)}
    except (KeyError, ValueError) as exc:
        raise ScenarioError("--before/--after", str(exc.args[0])) from None  # str(KeyError) adds quotes
    _cache(no_cache)
    comparison = run_simulation(scenario, changes["before"], changes["after"], seed=seed, schedules=schedules,
                                exhaustive=exhaustive, pct=pct, horizon=horizon)
    if fmt is Format.json:
        sys.stdout.write(json.dumps(jsonout.to_data(comparison_view(comparison) | {
            "timeline": {"before": [jsonout.to_data(x) for x in comparison.before.result.timeline],
                         "after": [jsonout.to_data(x) for x in comparison.after.result.timeline]},
            "events": {"before": comparison.before.result.events, "after": comparison.after.result.events},
        }), indent=2) + "\n")
    else:
        sys.stdout.write(render("simulate.txt.j2", c=comparison_view(comparison)))


@app.command()
def probe(file: str = typer.Argument(..., help="An io-wq C source file (any version)."),
          fmt: Format = typer.Option(Format.text, "--format", help="text or json")) -> None:
    """Print every simulator knob's value as read from a C file, with the
    lines that decided it (unknown when the code it needs is absent).

    Example: triage probe linux/io_uring/io-wq.c
    """
    from triage.analysis import read_source
    from triage.behaviour.probes import probe_all, source_view

    name, text = read_source(file)
    results = probe_all(source_view(name, text))
    if fmt is Format.json:
        sys.stdout.write(json.dumps([jsonout.to_data(r) for r in results.values()], indent=2) + "\n")
        return
    out = [f"=== {name}"]
    for r in results.values():
        value = r.value if r.value is not None else "unknown"
        out.append(f"{r.knob:<36} {value:<10} {r.reason}" + (f" [{r.function}]" if r.function else ""))
        out += [f"{'':<38}{line}" for line in r.lines]
    sys.stdout.write("\n".join(out) + "\n")


@app.command()
def layout(
    file: str = typer.Argument(..., help="C source (or any text) that defines the struct."),
    struct: str = typer.Argument(..., help="Struct name: io_worker, 'struct io_worker' or 'union x'."),
    config: Optional[list[str]] = typer.Option(None, "--config", help="Profile(s); default: all (x86_64, x86_64-lockdep)."),
    profiles: Optional[str] = typer.Option(None, "--profiles", help="TOML file adding or overriding profiles."),
) -> None:
    """Print a struct's layout the way pahole does (offsets, sizes, holes,
    cache lines, padding), per kernel config profile.

    Example: triage layout io_uring/io-wq.c io_worker --config x86_64-lockdep
    """
    from triage.analysis import read_source
    from triage.diff import layout as struct_layout, pahole
    from triage.diff.profiles import load_profiles
    from triage.errors import ScenarioError

    name, text = read_source(file)
    table = load_profiles(profiles)
    chosen = config or list(table)
    for profile in chosen:
        if profile not in table:
            raise ScenarioError(f"--config {profile}", "no such profile; known: " + ", ".join(table))
    label = struct if " " in struct.strip() else f"struct {struct.strip()}"
    for profile in chosen:
        lay = struct_layout.layout(text, label, table[profile], profile)
        sys.stdout.write(f"/* {name}: {label}, profile {profile} */\n" + pahole.pahole(lay) + "\n")


@app.command()
def scan(
    rev_range: str = typer.Argument(..., metavar="RANGE", help="Commits to look at, e.g. v6.14..v6.15."),
    repo: Optional[str] = typer.Option(None, "--repo", help="Kernel git tree (else $TRIAGE_REPO or `git config "
                                       "triage.repo`)."),
    branches: Optional[str] = typer.Option(None, "--branches", help="Comma-separated stable branches (default: "
                                           "`git config triage.branches`, else every linux-X.Y.y)."),
    fmt: Format = typer.Option(Format.text, "--format", help="text (a line per commit) or json."),
) -> None:
    """The io-wq commits of RANGE that look like untagged stable candidates: a
    Fixes target in a stable branch, no Cc: stable, not yet in that branch.
    One line each, with the evidence per branch.

    Example: triage scan --repo ~/linux v6.14..v6.15
    """
    from triage.tree.repo import KernelRepo
    from triage.tree.scan import scan as scan_range
    from triage.tree.stable import branch_names

    path = _repo_path(repo)
    if path is None:
        raise GitError("--repo", "no kernel tree given: use --repo PATH, set TRIAGE_REPO or `git config triage.repo`")
    with KernelRepo(path) as tree:
        mainline, names = branch_names(tree, _branch_list(branches))
        found = scan_range(tree, rev_range, mainline, names)
    if fmt is Format.json:
        sys.stdout.write(json.dumps([jsonout.to_data(c) for c in found.candidates], indent=2) + "\n")
        return
    if not found.candidates:
        typer.echo(f"no candidates in {rev_range} ({found.checked} io-wq commit{'s' * (found.checked != 1)} "
                   "checked)")
    for c in found.candidates:
        typer.echo(f"{c.sha[:12]} {c.subject}")
        for line in c.branches:
            typer.echo(f"    {line}; no Cc: stable")


def _inbox_path(given: Optional[str]) -> Optional[str]:
    """--inbox, else `git config triage.inbox`."""
    return _configured(given, None, "triage.inbox")


# A thread touching io-wq: a subject that names it (folded subjects
# included), or a diff of its files. "io_wq" in quoted context lines of
# every io_uring patch is not enough: on 2023 that matched 166 threads.
IOWQ_MATCH = r"(?m)^Subject:[^\n]*(?:\n[ \t][^\n]*)*?(?:io-wq|io_wq|iowq)|^diff --git a/\S*io-wq\.[ch] "


@app.command()
def inbox(
    output: str = typer.Option(..., "-o", "--output", help="The directory for index.html and the pages."),
    inbox_path: Optional[str] = typer.Option(None, "--inbox", help="A public-inbox archive (git/N.git epochs, or "
                                             "one epoch); else `git config triage.inbox`."),
    since: Optional[str] = typer.Option(None, "--since", help="First day (YYYY-MM-DD, UTC) of the window."),
    until: Optional[str] = typer.Option(None, "--until", help="Day after the window (YYYY-MM-DD, UTC)."),
    match: str = typer.Option(IOWQ_MATCH, "--match", help="A regular expression (multi-line) a message of the "
                              "thread must contain, headers, text or diff. Default: io-wq or io_wq in the subject, "
                              "or a diff of io-wq.c/io-wq.h."),
    fmt: ReportFormat = typer.Option(ReportFormat.html, "--format", help="As for report."),
    force: bool = typer.Option(False, "--force", help="Overwrite existing output files."),
    behaviour: bool = typer.Option(True, "--behaviour/--no-behaviour",
                                   help="Probe the knobs each patch changes and simulate the delta."),
    repo: Optional[str] = typer.Option(None, "--repo", help="Kernel git tree: the stable-branch matrix."),
    branches: Optional[str] = typer.Option(None, "--branches", help="Comma-separated branches to check."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Run every simulation (and index the archive) again."),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Threads analysed at once (0: one per core)."),
) -> None:
    """Every thread of a public-inbox archive touching io-wq in a window of
    time, as one report: versions linked across threads, trailers and review
    state from the replies, a page per patch and an index. The archive is
    only read.

    Example: triage inbox --inbox ~/lore/io-uring --since 2023-01-01 --until 2024-01-01 -o report/
    """
    import re as regex

    from triage.report.build import build_report
    from triage.tree.inbox import open_archive, parse_day

    _cache(no_cache)
    path = _inbox_path(inbox_path)
    if path is None:
        raise InputError("--inbox", "no archive given: use --inbox PATH or `git config triage.inbox`")
    try:
        pattern = regex.compile(match.encode())
    except regex.error as exc:
        raise InputError("--match", f"not a regular expression: {exc}") from None
    start = parse_day(since, "--since") if since else None
    end = parse_day(until, "--until") if until else None
    archive = open_archive(path)
    with progress.task(f"reading the message-id index of {path}"):
        window = archive.window(start, end)
    with progress.task(f"searching {len(window)} message(s) for {match}"):
        found = archive.matching(window, pattern)
    roots = list(dict.fromkeys(archive.root_of(e.message_id) for e in found))
    what = "name io-wq in the subject or change io-wq.c/io-wq.h" if match == IOWQ_MATCH else f"match {match!r}"
    typer.echo(f"triage: inbox: {len(window)} message(s) in the window, {len(found)} {what}, {len(roots)} thread(s)",
               err=True)
    if not roots:
        raise InputError(path, f"no thread in the window matches {match!r}")
    results = analyze_inputs([f"<{r}>" for r in roots], None, None, behaviour, *_tree_args(repo, branches),
                             jobs=_jobs(jobs), inbox_path=path)
    _stop_if_nothing_read(results)
    _write_report(build_report(results), results, fmt, output, force, None)


def _simulate_code(scenario: str, source: str, seed: int, knobs: str, horizon: Optional[float],
                   show_coverage: bool, fmt: "Format", schedules: Optional[int] = None, pct: bool = False,
                   exhaustive: bool = False, preemptions: int = 1) -> None:
    from triage.analysis import read_source
    from triage.errors import ScenarioError
    from triage.report.simview import code_run_view
    from triage.sim import codemode

    if knobs:
        raise typer.BadParameter("knobs are the model's; in code mode the file's C is the behaviour",
                                 param_hint="--before/--after")
    if scenario not in codemode.CODE_SCENARIOS:
        raise ScenarioError(scenario, "no such scenario in code mode (it runs: "
                            + ", ".join(codemode.CODE_SCENARIOS) + ")")
    name, text = read_source(source)
    program = codemode.load_program(text, os.path.basename(name))
    workload = codemode.WORKLOADS[scenario]
    if exhaustive:
        run, found = codemode.explore_exhaustive(program, workload, horizon=horizon, preemptions=preemptions)
        mode = codemode.exhaustive_mode(found)
    elif schedules:
        run, count = codemode.explore_workload(program, workload, schedules, seed=seed, pct=pct, horizon=horizon)
        mode = f"{count} {'PCT' if pct else 'random'} schedules from seed {seed}"
    else:
        run = codemode.run_workload(program, workload, seed=seed, horizon=horizon)
        mode = f"seed {seed}"
    cov = codemode.coverage(program, run) if show_coverage else None
    view = code_run_view(scenario, name, mode, run, cov)
    if fmt is Format.json:
        sys.stdout.write(json.dumps(view, indent=2) + "\n")
    else:
        sys.stdout.write(render("simulate-code.txt.j2", c=view))


def _configured(given: Optional[str], env: Optional[str], key: str) -> Optional[str]:
    """The option, else the environment variable, else `git config KEY`
    (the user's config), ~ expanded."""
    if given:
        return given
    if env and os.environ.get(env):
        return os.environ[env]
    from triage.tree.repo import user_config

    configured = user_config(key)
    return os.path.expanduser(configured) if configured else None


def _repo_path(given: Optional[str]) -> Optional[str]:
    """--repo, else $TRIAGE_REPO, else `git config triage.repo`."""
    return _configured(given, "TRIAGE_REPO", "triage.repo")


def _tree_args(repo: Optional[str], branches: Optional[str]) -> tuple[Optional[str], Optional[list[str]]]:
    """--repo (or its defaults) and --branches; branches without a tree
    would be silently ignored, so they are a usage error."""
    path = _repo_path(repo)
    if branches and path is None:
        raise typer.BadParameter("--branches needs a kernel tree: give --repo (or $TRIAGE_REPO, "
                                 "git config triage.repo)", param_hint="--branches")
    return path, _branch_list(branches)


def _branch_list(given: Optional[str]) -> Optional[list[str]]:
    return [b.strip() for b in given.split(",") if b.strip()] if given else None


class SchemaKind(str, Enum):
    analysis = "analysis"
    report = "report"


@app.command()
def schema(kind: SchemaKind = typer.Argument(SchemaKind.analysis, help="analysis (`analyze --format json`) or "
                                             "report (`report --format json`).")) -> None:
    """Print the JSON Schema of `triage analyze --format json` or of
    `triage report --format json` output.

    Example: triage schema > analysis.schema.json

    Example: triage schema report > report.schema.json
    """
    sys.stdout.write(json.dumps(jsonout.json_schema(kind.value), indent=2) + "\n")


@app.command()
def version() -> None:
    """Print the version. Example: triage version"""
    typer.echo(__version__)


def failure(exc: BaseException) -> tuple[int, str]:
    """The exit code and the one stderr line for an exception that escaped a
    command (main() and the in-process test runner share it)."""
    if isinstance(exc, TriageError):
        return exc.exit_code, f"triage: {exc}"
    if isinstance(exc, KeyboardInterrupt):
        return 130, "triage: interrupted"
    return 70, f"triage: internal error: {type(exc).__name__}: {exc} (set TRIAGE_DEBUG=1 for a traceback)"


def main() -> None:
    """Entry point: the one place errors become a line on stderr and an exit
    code. typer itself reports usage errors (exit 2) and exits via SystemExit."""
    from triage import progress

    try:
        with progress.shown():  # on stderr, only when it is a terminal
            app()
    except (Exception, KeyboardInterrupt) as exc:  # a bug: one line, not a traceback
        if os.environ.get("TRIAGE_DEBUG") and not isinstance(exc, (TriageError, KeyboardInterrupt)):
            raise
        code, line = failure(exc)
        typer.echo(line, err=True)
        sys.exit(code)


if __name__ == "__main__":
    main()
