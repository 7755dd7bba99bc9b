"""Every invitation of the demo flow passes tools/icscheck (no errors).

F01 is ignored: it is the feed rule "no METHOD in a subscription"; an invitation is iTIP and
must carry METHOD:REQUEST/CANCEL (the organizer's CalDAV copy has none and passes F01 too).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ICSCHECK = Path(
    os.environ.get("ICSCHECK", REPO.parent / "shared" / "tools" / "icscheck" / "icscheck")
)


@pytest.mark.slow
def test_demo_flow_invitations_pass_icscheck(tmp_path: Path) -> None:
    if not ICSCHECK.exists():
        pytest.skip(f"icscheck not found at {ICSCHECK} (set ICSCHECK)")
    out = tmp_path / "invitations"
    captured = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "capture_invitations.py"), str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert captured.returncode == 0, captured.stdout + captured.stderr
    files = sorted(out.glob("*.ics"))
    names = " ".join(f.name for f in files)
    for kind in ("caldav-copy", "request", "cancel", "-kim"):
        assert kind in names
    result = subprocess.run(
        [str(ICSCHECK), "--json", "--ignore", "F01", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode in (2, 3):
        pytest.skip(f"icscheck could not run every parser here: {result.stderr[-500:]}")
    assert result.returncode == 0, result.stdout[-3000:]
    decoder, text, reports = json.JSONDecoder(), result.stdout.strip(), []
    while text:  # one JSON object per input file
        report, end = decoder.raw_decode(text)
        reports.append(report)
        text = text[end:].strip()
    assert len(reports) == len(files)
