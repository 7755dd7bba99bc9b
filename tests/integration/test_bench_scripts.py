"""The benchmark scripts stay runnable: every one answers ``--help``, and the growth table
(bench/growth.py, issue 16) runs at a tiny scale on SQLite, with the world really copied."""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted(p.name for p in (ROOT / "bench").glob("*.py"))


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_bench_script_answers_help(
    script: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", [script, "--help"])
    monkeypatch.setattr(sys, "path", list(sys.path))  # the scripts put bench/ on the path
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(str(ROOT / "bench" / script), run_name="__main__")
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: {script}")


@pytest.mark.slow
def test_growth_table_runs_at_a_tiny_scale_on_sqlite() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "bench/growth.py", "--scale", "2", "--runs", "2", "--proposals", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "SQLite, ANALYZE committed" in out
    # two copies of the world: twice the 2,000 cases, and copy 0's feeds keep their size
    assert re.search(r"\| cases in the database \| 4,000 \|", out)
    for measure in ("representative feed after a change", "department feed after a change"):
        assert re.search(rf"\| {measure} \(\d+ events\) \| \d+\.\d \|", out), out
    assert re.search(r"\| propose\(\) p50 \| \d+\.\d \|", out)
    assert "load average (1, 5, 15 min) at start" in out
