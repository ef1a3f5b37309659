"""The record's incident.md: the runbook's incident log, the timeline, and what comes next.

The runbook's "Create incident log" lists the time of detection, the time of resolution, the
actions taken and the people involved; its post-mortem wants a timeline of events. Each run
of the incident is one row of that timeline, with the evidence file `--evidence` replays.
"""

from __future__ import annotations

from opscheck.incident import messages
from opscheck.incident.record import Record
from opscheck.runbook import Runbook


def render(record: Record, runbook: Runbook) -> str:
    """The whole incident as Markdown, from its record."""
    first = record.entries[0] if record.entries else None
    title = first.failing[0].section if first and first.failing else "incident"
    state = f"resolved {record.resolved_at:%Y-%m-%d %H:%M} UTC" if record.resolved_at else "open"
    actions = [f"  - {e.at:%H:%M} UTC: {a}" for e in record.entries for a in e.actions]
    lines = [
        f"# Incident {record.name}: {title} on {record.target} ({state})",
        "",
        "## Incident log",
        f"- Started: {record.started_at:%Y-%m-%d %H:%M} UTC",
        f"- Time of detection: {f'{first.at:%Y-%m-%d %H:%M} UTC' if first else ''}",
        "- Time of resolution: "
        + (f"{record.resolved_at:%Y-%m-%d %H:%M} UTC" if record.resolved_at else ""),
    ]
    if record.resolved_at:
        lines.append(f"- Duration: {messages.duration(record.started_at, record.resolved_at)}")
    lines += [
        f"- Root cause (as identified by the checks): {record.cause or 'not identified'}",
        "- Actions taken (as the evidence showed them):",
        *(actions or ["  - none seen in the evidence"]),
        "- People involved: ",
        "",
        "## Timeline",
        "| time (UTC) | run | status | failing checks | evidence |",
        "| --- | --- | --- | --- | --- |",
    ]
    for entry in record.entries:
        failing = "<br>".join(
            f"{f.severity} `{f.check}` ({f.section}{f'; {f.cause}' if f.cause else ''})"
            for f in entry.failing
        )
        evidence = f"[{entry.evidence}]({entry.evidence})" if entry.evidence else ""
        row = [f"{entry.at:%Y-%m-%d %H:%M}", entry.phase, entry.status, failing or "none", evidence]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    lines += ["", "Replay any run: `pytest --evidence=reports/incidents/<name>/<evidence file>`."]
    for entry in record.entries:
        for name, text in entry.messages.items():
            lines += ["", f"## {entry.at:%H:%M} UTC: {name}", "```", text, "```"]
    lines += ["", "## Post-incident (from the runbook)"]
    if record.resolved_at:
        lines += messages.post_incident(runbook, record.resolved_at)
    else:
        lines += [f"- [ ] {when}: {', '.join(s)}" for when, s in runbook.post_incident.items()]
    return "\n".join(lines) + "\n"
