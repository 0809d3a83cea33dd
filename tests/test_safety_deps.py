"""Safety suite 9 — dependencies: security/audit.py checks the installed versions against
security/advisories.toml (pip-audit cannot reach its databases here). It passes on this
environment, and it does fail on an advisory that matches an installed version."""
from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from terms.settings import ROOT

AUDIT = ROOT / "security" / "audit.py"
ADVISORIES = ROOT / "security" / "advisories.toml"
FLOORS = {"gradio": "6.20", "pypdf": "6.16.1", "langchain-core": "1.3.3"}


def audit(*files: Path, json_out: bool = True) -> subprocess.CompletedProcess:
    args = [a for f in files for a in ("--advisories", str(f))] + (["--json"] if json_out else [])
    return subprocess.run([sys.executable, str(AUDIT), *args], capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_installed_versions_pass_the_audit():
    done = audit()
    assert done.returncode == 0, done.stdout + done.stderr
    findings = json.loads(done.stdout)
    assert not [f for f in findings if f["vulnerable"]]
    checked = {f["package"] for f in findings if f["installed"]}
    assert set(FLOORS) <= checked


def test_the_floors_the_project_relies_on_are_listed():
    findings = json.loads(audit().stdout)
    for package, floor in FLOORS.items():
        entry = next(f for f in findings if f["id"] == f"PROJECT-FLOOR-{package}")
        assert entry["package"] == package and entry["fixed"] == floor and entry["affected"] == f"<{floor}"
    assert not any(f["id"].startswith("CVE-") for f in findings)  # ids as published: GHSA, or our floors


@pytest.mark.parametrize("package", sorted(FLOORS))
def test_the_audit_fails_on_an_advisory_matching_an_installed_version(tmp_path, package):
    installed = metadata.version(package)
    synthetic = tmp_path / "synthetic.toml"
    synthetic.write_text(
        f'[[advisory]]\npackage = "{package}"\nid = "TEST-SYNTHETIC-1"\naffected = "=={installed}"\n'
        f'fixed = "99999"\nsummary = "matches the installed version on purpose"\n', encoding="utf-8")
    done = audit(ADVISORIES, synthetic, json_out=False)
    assert done.returncode == 1, done.stdout
    assert f"VULNERABLE    {package} {installed}  TEST-SYNTHETIC-1" in done.stdout
    assert "1 vulnerable" in done.stdout


def test_a_package_not_installed_is_not_a_failure(tmp_path):
    other = tmp_path / "other.toml"
    other.write_text('[[advisory]]\npackage = "surely-not-installed-pkg"\nid = "TEST-2"\n'
                     'affected = "<9"\nfixed = "9"\n', encoding="utf-8")
    done = audit(other, json_out=False)
    assert done.returncode == 0 and "not installed" in done.stdout


@pytest.mark.parametrize("body", [
    '[[advisory]]\npackage = "pypdf"\nid = "BAD-1"\naffected = "<7"\nfixed = "6.0"\n',  # fixed inside the range
    '[[advisory]]\npackage = "pypdf"\nid = "BAD-2"\naffected = "not a range"\nfixed = "1"\n',
    '[[advisory]]\npackage = "pypdf"\naffected = "<1"\nfixed = "1"\n',  # no id
    "this is [not toml",
])
def test_a_malformed_advisories_file_is_an_error(tmp_path, body):
    bad = tmp_path / "bad.toml"
    bad.write_text(body, encoding="utf-8")
    done = audit(bad)
    assert done.returncode == 2 and done.stderr.startswith("error:")
