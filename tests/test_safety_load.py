"""Safety suite 8 — load, the short CI version of bench/load.py: 5 users for 5 s on
``POST /api/ask`` against ``python app.py`` on loopback, zero errors; and a server
with a tiny capacity, flooded, answers 503 quickly instead of hanging.

The full run (25 users, 60 s, with latency figures) is ``python bench/load.py``.
"""
from __future__ import annotations

import json
import subprocess
import sys

from terms.settings import ROOT


def test_short_load_has_no_errors_and_busy_answers_come_fast(cgs_settings, tmp_path):
    out = tmp_path / "load.json"
    done = subprocess.run(
        [sys.executable, "bench/load.py", "--users", "5", "--duration", "5", "--baseline-requests", "3",
         "--baseline-seconds", "0", "--data-dir", str(cgs_settings.data_dir), "--busy-requests", "16",
         "--busy-max", "2", "--json", str(out), "--ready-timeout", "240"],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.exists(), done.stdout + done.stderr
    result = json.loads(out.read_text())
    load, busy = result["load"], result["busy"]
    assert load["ok"] > 0 and load["errors"] == {} and load["error_rate"] == 0, load
    assert busy["busy"] > 0, busy  # more requests than capacity: some were refused...
    assert busy["answered"] >= 1 and busy["other"] == [], busy  # ...the admitted ones answered, nothing else
    assert busy["busy_max_s"] < 2.0, busy  # ...and the refusals came at once, not after a hang
    assert done.returncode == 0, done.stdout + done.stderr
    assert "p95" in done.stdout and "busy check" in done.stdout
