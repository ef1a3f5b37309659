"""This project's own fixtures and hooks for its checks, beside what opscheck provides.

The runbook's fixtures (the runbook, the target, its thresholds, and one per evidence
source) come from the opscheck plugin (`opscheck.fixtures`); `pytest --fixtures checks`
lists them. What a team adds of its own goes here.
"""
