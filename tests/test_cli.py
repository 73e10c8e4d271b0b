"""The `triage` command as a user runs it: golden outputs for the shipped
corpus, the JSON schema, and every kind of bad input.

Regenerate the golden files after an intended change with:
    TRIAGE_REGEN=1 python -m pytest tests/test_cli.py
"""

from __future__ import annotations

import json
import os

import jsonschema
import pytest

from triage.report import jsonout

from .conftest import CORPUS, ROOT, fixture_path
from .goldens import check_golden

SEEDS = sorted(str(p.relative_to(ROOT)) for p in CORPUS.glob("*.txt"))


from .cli_run import run, run_process  # noqa: F401 - run is imported from here by other test modules


def golden(name: str, actual: str) -> None:
    check_golden(name, actual, __file__)


def test_analyze_corpus_text_golden():
    result = run("analyze", *SEEDS)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    golden("analyze-corpus.txt", result.stdout)


def test_analyze_corpus_json_golden_and_schema():
    result = run("analyze", "--format", "json", *SEEDS)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    jsonschema.validate(data, jsonout.json_schema())
    assert (data["schema"], data["version"]) == ("iowq-triage.analysis", 3)
    golden("analyze-corpus.json", result.stdout)


def test_schema_command_prints_the_schema():
    result = run("schema")
    assert result.returncode == 0
    assert json.loads(result.stdout) == json.loads(json.dumps(jsonout.json_schema()))


def test_inputs_analysed_in_parallel_come_out_in_order():
    serial = run("analyze", "--jobs", "1", "--format", "json", *SEEDS)
    parallel = run("analyze", "--jobs", "2", "--format", "json", *SEEDS)
    assert parallel.returncode == serial.returncode == 0
    assert parallel.stdout == serial.stdout
    assert [i["source"] for i in json.loads(parallel.stdout)["inputs"]] == SEEDS
    assert run("analyze", "--jobs", "-1", *SEEDS).returncode == 2


def test_output_is_reproducible_and_the_real_entry_point_agrees():
    # a real process (the installed entry point's path) against the in-process
    # runner every other test uses: same bytes, and again the same
    in_process = run("analyze", *SEEDS)
    process = run_process("analyze", *SEEDS)
    assert (process.returncode, process.stdout, process.stderr) == (in_process.returncode, in_process.stdout,
                                                                    in_process.stderr)
    assert run("analyze", *SEEDS).stdout == in_process.stdout


@pytest.mark.parametrize("name, code, message", [
    ("not-a-mail.txt", 3, "not a mail, mbox, git commit or diff"),
    ("truncated-hunk.diff", 4, "hunk 1 (@@ -10,6 +10,8 @@) is truncated or garbled"),
    ("binary.diff", 4, "binary diff of tools/blob.bin"),
])
def test_bad_input_is_one_line_and_an_exit_code(name, code, message):
    path = str(fixture_path(name))
    result = run("analyze", path)
    assert result.returncode == code
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"triage: {path}: ") and message in lines[0]
    assert "Traceback" not in result.stderr


def test_missing_empty_and_directory_inputs(tmp_path):
    empty = tmp_path / "empty.mbox"
    empty.write_bytes(b"")
    for path, problem in ((tmp_path / "missing.mbox", "no such file"), (empty, "empty file"),
                          (tmp_path, "is a directory")):
        result = run("analyze", str(path))
        assert result.returncode == 3
        assert result.stderr.strip() == f"triage: {path}: {problem}" or problem in result.stderr
        assert "Traceback" not in result.stderr


def test_batch_goes_on_after_a_bad_input(tmp_path):
    result = run("analyze", str(tmp_path / "missing.mbox"), SEEDS[0])
    assert result.returncode == 3
    assert "9d83e1f05c98" in result.stdout  # the good input was still analysed
    assert result.stderr.count("\n") == 1


def test_hostile_mail_does_not_crash(tmp_path):
    hostile = tmp_path / "hostile.eml"
    hostile.write_bytes(
        b"From: =?x-bad?q?=FF?= <\"\\\x01>\nSubject: =?utf-8?b?!!!?= [PATCH v999999999999 1/0]\n"
        b"Date: not a date\nMessage-ID: <<<>>>\nContent-Type: multipart/mixed; boundary=\"\"\n"
        b"Content-Transfer-Encoding: base64\n\n@@ -1,99999999999 +1 @@\n+<script>alert(1)</script>\n"
    )
    result = run_process("analyze", "--format", "json", str(hostile))  # the real entry point's error mapping
    assert result.returncode in (0, 3, 4)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


def test_output_file_is_written_atomically_and_not_overwritten(tmp_path):
    out = tmp_path / "report.json"
    assert run("analyze", "--format", "json", "-o", str(out), SEEDS[1]).returncode == 0
    first = out.read_text()
    assert json.loads(first)["inputs"][0]["source"] == SEEDS[1]
    again = run("analyze", "--format", "json", "-o", str(out), SEEDS[2])
    assert again.returncode == 7 and "exists; use --force" in again.stderr
    assert out.read_text() == first
    assert run("analyze", "--format", "json", "-o", str(out), "--force", SEEDS[2]).returncode == 0
    assert json.loads(out.read_text())["inputs"][0]["source"] == SEEDS[2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # no temp files left


def test_source_option_maps_on_the_pre_image():
    result = run("analyze", "--source", str(fixture_path("iowq-shaped.c")), str(fixture_path("plain.diff")))
    # plain.diff is not against iowq-shaped.c: the tool says so and maps from the hunks
    assert result.returncode == 0
    assert "not used for io_uring/io-wq.c" in result.stdout


def test_missing_source_file_is_exit_5(tmp_path):
    result = run("analyze", "--source", str(tmp_path / "io-wq.c"), SEEDS[0])
    assert result.returncode == 5
    assert result.stderr.strip() == f"triage: {tmp_path / 'io-wq.c'}: no such file"


def test_usage_error_is_exit_2():
    result = run("analyze", "--format", "yaml", SEEDS[0])
    assert result.returncode == 2


def test_every_command_is_in_the_readme_with_help():
    from triage.cli import app

    readme = (ROOT / "README.md").read_text()
    import typer.main

    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        assert f"`triage {name}" in readme, f"command {name} missing from README"
        assert command.help and "Example:" in command.help, f"command {name} has no help example"


def test_simulate_text_golden():
    result = run("simulate", "exit-linked-chain", "--before", "do_kill_granularity=per_call")
    assert result.returncode == 0, result.stderr
    golden("simulate-exit-linked-chain.txt", result.stdout)


def test_simulate_json_has_metrics_timeline_and_findings():
    result = run("simulate", "worker-flags", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    rows = {m["name"]: (m["before"], m["after"], m["better"], m["change"]) for m in data["metrics"]}
    assert rows["racy_flag_pairs"] == (3, 0, "lower", "better")  # numbers as numbers, with the direction
    assert data["outcome"] == "the patch improves this scenario"
    assert data["timeline"]["before"] and data["variants"][0]["findings"]


def test_scenarios_and_knobs_list():
    scenarios = run("scenarios", "--format", "json")
    names = {s["name"] for s in json.loads(scenarios.stdout)}
    assert names == {"worker-churn", "last-worker-keepalive", "exit-linked-chain", "worker-flags"}
    knobs = json.loads(run("knobs", "--format", "json").stdout)
    assert {k["name"] for k in knobs} >= {"create_cb_tries_free_worker", "exit_on_idle", "do_kill_granularity",
                                          "worker_flags_atomic"}
    assert all(k["commit"] for k in knobs)


@pytest.mark.parametrize("args, message", [
    (["simulate", "no-such"], "no such scenario"),
    (["simulate", "worker-flags", "--after", "bogus=on"], "unknown knob 'bogus'"),
    (["simulate", "worker-flags", "--after", "do_kill_granularity=sometimes"], "takes per_call, per_fetch, per_item"),
])
def test_simulate_bad_arguments_exit_8(args, message):
    result = run(*args)
    assert result.returncode == 8
    assert message in result.stderr and "Traceback" not in result.stderr


def test_layout_command_golden():
    result = run("layout", str(fixture_path("io-worker-v1.c").relative_to(ROOT)), "io_worker")
    assert result.returncode == 0, result.stderr
    golden("layout-io-worker-v1.txt", result.stdout)


def test_layout_bad_profile_and_struct():
    path = str(fixture_path("io-worker-v1.c"))
    result = run("layout", path, "io_worker", "--config", "arm64")
    assert result.returncode == 8 and "no such profile" in result.stderr
    result = run("layout", path, "nope")
    assert result.returncode == 5 and "no definition of struct nope" in result.stderr


def test_probe_command():
    result = run("probe", str(fixture_path("iowq-forms/v6_9.c")))
    assert result.returncode == 0, result.stderr
    assert "do_kill_granularity                  per_call" in result.stdout
    assert "82: bool do_kill = test_bit(IO_WQ_BIT_EXIT, &wq->state);" in result.stdout
    data = json.loads(run("probe", "--format", "json", str(fixture_path("iowq-forms/current.c"))).stdout)
    assert {d["knob"]: d["value"] for d in data}["worker_flags_atomic"] == "on"
    markdown = run("probe", str(ROOT / "README.md"))  # its probe table names every knob: no evidence
    assert (markdown.returncode, markdown.stdout) == (5, "")
    assert markdown.stderr.endswith("README.md: not C source: no function definition in it\n")
    assert markdown.stderr.count("\n") == 1


def test_version_flag():
    from triage import __version__

    result = run_process("--version")
    assert (result.returncode, result.stdout) == (0, __version__ + "\n")


def test_branches_without_a_tree_is_a_usage_error(tmp_path):
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path), "TRIAGE_REPO": ""}
    result = run("analyze", "--no-behaviour", "--branches", "linux-6.6.y", SEEDS[0], env_extra=env)
    assert result.returncode == 2 and "--branches needs a kernel tree" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_output_files_get_the_users_umask(tmp_path, umask, mode):
    from triage.outfile import write_atomic, write_files

    old = os.umask(umask)
    try:
        write_atomic(tmp_path / "one.txt", "x")
        write_files(tmp_path / "site", {"index.html": "<p>"})
    finally:
        os.umask(old)
    assert (tmp_path / "one.txt").stat().st_mode & 0o777 == mode
    assert (tmp_path / "site" / "index.html").stat().st_mode & 0o777 == mode


@pytest.mark.parametrize("args, problem", [
    (("--schedules", "5", "--exhaustive"), "give one of them"),
    (("--schedules", "0"), "1 or more"),
    (("--horizon", "-1"), "greater than 0"),
    (("--pct",), "PCT schedules need --schedules N"),
])
def test_contradictory_or_negative_simulate_options_are_usage_errors(args, problem):
    result = run("simulate", "exit-linked-chain", *args)
    assert result.returncode == 2 and problem in " ".join(result.stderr.split()) and result.stdout == ""


def test_branches_are_ordered_by_version_and_an_unknown_one_lists_the_known(tmp_path):
    import subprocess as sp

    from triage.errors import GitError
    from triage.tree.repo import KernelRepo
    from triage.tree.stable import branch_names

    tree = tmp_path / "tree"
    sp.run(["git", "init", "-q", "-b", "master", str(tree)], check=True)
    sp.run(["git", "-C", str(tree), "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-q",
            "--allow-empty", "-m", "x"], check=True)
    for b in ("linux-6.6.y", "linux-6.10.y", "linux-5.15.y", "linux-6.11.y"):
        sp.run(["git", "-C", str(tree), "branch", b], check=True)
    with KernelRepo(str(tree)) as repo:
        mainline, names = branch_names(repo, None)
        assert names == ["linux-5.15.y", "linux-6.6.y", "linux-6.10.y", "linux-6.11.y", "master"]
        assert branch_names(repo, ["master", "linux-6.10.y", "linux-6.6.y"])[1] == ["linux-6.6.y", "linux-6.10.y",
                                                                                    "master"]
        with pytest.raises(GitError) as exc:
            branch_names(repo, ["linux-6.12"])
        assert exc.value.problem.endswith("its branches: linux-5.15.y, linux-6.6.y, linux-6.10.y, linux-6.11.y, "
                                          "master")
