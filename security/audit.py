"""Offline dependency audit: installed versions against security/advisories.toml.

    python security/audit.py [--advisories FILE ...] [--json]

Exit status: 0 when no installed package falls in an affected range, 1 when one
does (each is listed with its advisory id and the fixed version), 2 when an
advisories file is malformed. A package that is not installed is reported, not
counted.

pip-audit needs the vulnerability databases online; on a machine that can reach
them, run it too, in the venv:  ``.venv/bin/pip-audit`` (the environment) or
``.venv/bin/pip-audit -r <(.venv/bin/pip freeze --exclude-editable)``.
"""
from __future__ import annotations

import argparse
import json
import sys
import tomllib
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

DEFAULT = Path(__file__).with_name("advisories.toml")
FIELDS = ("package", "id", "affected", "fixed")


class MalformedAdvisories(Exception):
    pass


@dataclass(frozen=True)
class Advisory:
    package: str
    id: str
    affected: str
    fixed: str
    summary: str = ""
    source: str = ""


@dataclass(frozen=True)
class Finding:
    advisory: Advisory
    installed: str | None  # None: not installed
    vulnerable: bool


def read_advisories(path: Path) -> list[Advisory]:
    """The advisories of one file, validated (a bad entry raises MalformedAdvisories)."""
    try:
        entries = tomllib.loads(path.read_text(encoding="utf-8")).get("advisory", [])
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise MalformedAdvisories(f"{path}: {exc}") from exc
    advisories = []
    for n, entry in enumerate(entries, 1):
        missing = [f for f in FIELDS if not str(entry.get(f, "")).strip()]
        if missing:
            raise MalformedAdvisories(f"{path}: advisory {n} lacks {', '.join(missing)}")
        try:
            affected = SpecifierSet(entry["affected"], prereleases=True)
            fixed = Version(entry["fixed"])
        except (InvalidSpecifier, InvalidVersion) as exc:
            raise MalformedAdvisories(f"{path}: advisory {entry['id']}: {exc}") from exc
        if fixed in affected:
            raise MalformedAdvisories(f"{path}: advisory {entry['id']}: fixed {fixed} is inside {affected}")
        advisories.append(Advisory(**{k: str(v) for k, v in entry.items() if k in Advisory.__dataclass_fields__}))
    ids = [(canonicalize_name(a.package), a.id) for a in advisories]
    if len(set(ids)) != len(ids):
        raise MalformedAdvisories(f"{path}: duplicate advisory ids")
    return advisories


def installed_version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def audit(advisories: list[Advisory]) -> list[Finding]:
    findings = []
    for a in advisories:
        version = installed_version(a.package)
        vulnerable = version is not None and Version(version) in SpecifierSet(a.affected, prereleases=True)
        findings.append(Finding(a, version, vulnerable))
    return findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python security/audit.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--advisories", type=Path, action="append",
                        help=f"advisories file (repeatable; default {DEFAULT.name})")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    args = parser.parse_args(argv)
    try:
        advisories = [a for path in (args.advisories or [DEFAULT]) for a in read_advisories(path)]
    except MalformedAdvisories as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    findings = audit(advisories)
    bad = [f for f in findings if f.vulnerable]
    if args.json:
        print(json.dumps([{**asdict(f.advisory), "installed": f.installed, "vulnerable": f.vulnerable}
                          for f in findings], indent=2))
    else:
        for f in findings:
            state = "VULNERABLE" if f.vulnerable else ("not installed" if f.installed is None else "ok")
            print(f"{state:13} {f.advisory.package} {f.installed or '-'}  {f.advisory.id} "
                  f"(affected {f.advisory.affected}, fixed {f.advisory.fixed})")
        packages = sorted({f.advisory.package for f in findings if f.installed})
        print(f"\n{len(findings)} advisories, {len(packages)} installed packages checked "
              f"({', '.join(packages)}): {len(bad)} vulnerable")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
