"""A database URL's password, refused by the server, reaches no output of a whole run: the
terminal, the reports, the saved evidence, the JUnit file."""

from __future__ import annotations

import os

from tests.helpers import ROOT, run_checks, unused_port

PASSWORD = "Never-Print-This-9f3k"


def live_environment(tmp_path):
    """The simulated names as a live environment: AWS at a closed port, [postgres] from a
    variable."""
    text = (ROOT / "environments/simulated.toml").read_text(encoding="utf-8")
    text = text.split("# Its presence makes this target simulated.")[0]
    text = text.replace('name = "simulated"', 'name = "live"')
    text = text.replace(
        '[aws]\nregion = "us-east-2"',
        f'[aws]\nregion = "us-east-2"\nendpoint_url = "http://127.0.0.1:{unused_port()}"',
    )
    text = text.replace('dsn_env = "DATABASE_URL"', 'dsn_env = "OPSCHECK_E2E_DSN"')
    text = text.replace("../fixtures/prisma/migrations", str(ROOT / "fixtures/prisma/migrations"))
    path = tmp_path / "live.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_refused_password_is_inconclusive_and_never_written(tmp_path, postgres_url):
    dsn = postgres_url.replace("postgres@", f"monitor_e2e:{PASSWORD}@")
    env = dict(os.environ, OPSCHECK_E2E_DSN=dsn, AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x")
    evidence, junit = tmp_path / "evidence.json", tmp_path / "junit.xml"
    result = run_checks(
        tmp_path,
        f"--env={live_environment(tmp_path)}",
        f"--save-evidence={evidence}",
        f"--junitxml={junit}",
        "checks/test_database_sessions.py",
        "checks/test_migrations.py",
        env=env,
    )
    assert result.returncode == 1, result.output
    assert result.named("inconclusive") >= {"test_no_lock_waits", "test_no_failed_migration"}
    assert "password authentication failed" in result.checks["test_no_lock_waits"].message
    written = [result.output, evidence.read_text(), junit.read_text()]
    written += [
        p.read_text(errors="replace") for p in (tmp_path / "reports").rglob("*") if p.is_file()
    ]
    assert not [text for text in written if PASSWORD in text]
