"""The simulator's own command: what the environment file names but is not there is said in
one line, not a traceback."""

from __future__ import annotations

import pytest

from opscheck.simulator.__main__ import main
from tests.helpers import ROOT


@pytest.mark.parametrize("fork_server", [False, True])
def test_a_missing_migrations_folder_is_named(tmp_path, capsys, fork_server):
    environments = tmp_path / "environments"
    environments.mkdir()
    text = (ROOT / "environments/simulated.toml").read_text(encoding="utf-8")
    assert '"../fixtures/prisma/migrations"' in text
    target = environments / "simulated.toml"
    target.write_text(text.replace("../fixtures/prisma/migrations", "../nowhere"))
    argv = ["--target", str(target), "--catalog", str(ROOT / "fixtures/faults")]
    assert main([*argv, *(["--fork-server"] if fork_server else [])]) == 2
    said = capsys.readouterr().err
    assert f"{target}: [postgres] migrations: no folder {tmp_path / 'nowhere'}" in said
    assert "Traceback" not in said
