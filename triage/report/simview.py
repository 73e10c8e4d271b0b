"""View models for `triage scenarios`, `triage knobs` and `triage simulate`."""

from __future__ import annotations

from triage.report import words
from triage.sim.engine import Finding
from triage.sim.knobs import KNOBS, as_word
from triage.sim.scenarios import REGISTRY
from triage.sim.simulate import Comparison


def scenarios_view() -> list[dict]:
    return [{"name": s.name, "description": s.description, "symbols": ", ".join(s.symbols),
             "knobs": ", ".join(s.knobs_shown), "base": _base_name(s.base)} for s in REGISTRY.values()]


def knobs_view() -> list[dict]:
    return [{"name": k.name, "default": as_word(k.default), "choices": " | ".join(as_word(v) for v in k.values),
             "commit": k.commit, "landed": k.landed, "meaning": k.meaning} for k in KNOBS]


def comparison_view(c: Comparison) -> dict:
    rows = [{"name": d.metric, "before": d.before, "after": d.after, "better": d.better.value,
             "change": words.CHANGE_WORD[d.change], "help": d.help} for d in c.deltas]
    return {
        "name": c.scenario.name,
        "description": c.scenario.description,
        "mode": c.mode,
        "knobs": [{"name": k, "before": as_word(b), "after": as_word(a)} for k, (b, a) in c.changed_knobs.items()],
        "metrics": rows,
        "metrics_from": c.before.metrics_from,
        "outcome": words.OUTCOME_WORD[c.outcome],
        "variants": [_variant(v) for v in (c.before, c.after)],
    }


def _variant(v) -> dict:
    stats = None
    if v.exploration is not None:
        x = v.exploration
        stats = (f"{x.mode}: {x.schedules} schedules, {x.states} states"
                 + (f", {x.pruned} pruned by state hashing" if x.pruned else "")
                 + (" (truncated)" if x.truncated else ""))
    return {"label": v.label, "steps": v.result.steps, "stats": stats,
            "findings": [_finding(f) for f in v.findings]}


def _finding(f: Finding) -> dict:
    lines = [f"{f.kind}: {f.message}" if f.kind != "data-race" else f"data-race on {f.sites[0].var}"]
    for site in f.sites:
        lines.append(f"  {site}")
    schedule = " ".join(f.schedule) if f.schedule else "(no choice needed)"
    lines.append(f"  at t={f.time:.6f}s; schedule ({len(f.schedule)} choices): {schedule}")
    return {"lines": lines}


def _base_name(knobs) -> str:
    from triage.sim import knobs as k

    for name in ("KERNEL_6_9", "KERNEL_6_16", "KERNEL_6_18_21"):
        if getattr(k, name) == knobs:
            return name.replace("KERNEL_", "").replace("_", ".")
    return "custom"


def _code_finding(f) -> dict:
    """A code-mode finding with what shows it: the schedule and the C
    lines the tasks ran last."""
    return {"kind": f.kind, "message": f.message, "time_s": round(f.time, 6), "schedule": list(f.schedule),
            "trail": list(f.trail)}


def code_run_view(scenario: str, source: str, mode: str, run, coverage=None) -> dict:
    """`triage simulate SCENARIO --source FILE`: what the file's own C did."""
    view = {"scenario": scenario, "source": source, "mode": mode, "steps": run.steps,
            "metrics": [{"name": k, "value": v} for k, v in run.metrics.items()],
            "findings": [_code_finding(f) for f in run.findings], "notes": list(run.notes),
            "unchecked": list(run.unchecked)}
    if coverage is not None:
        view["coverage"] = [{"function": name, "ran": len(ran), "lines": len(ran) + len(missed),
                             "missed": missed} for name, ran, missed in coverage]
    return view
