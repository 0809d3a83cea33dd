"""The corpus manifest: what documents exist, whether their files are here."""
from __future__ import annotations

import tomllib
from pathlib import Path

from .loaders import SUPPORTED
from terms.records import DocumentInfo

MANIFEST = "manifest.toml"


def read_manifest(corpus_dir: Path) -> list[DocumentInfo]:
    """Every document the corpus knows of: manifest entries, then any other supported
    file in the folder (its id is the file name without its extension)."""
    docs: list[DocumentInfo] = []
    manifest = corpus_dir / MANIFEST
    if manifest.exists():
        with manifest.open("rb") as f:
            for entry in tomllib.load(f).get("documents", []):
                entry["topics"] = tuple(entry.get("topics", ()))
                entry["names"] = tuple(entry.get("names", ()))
                docs.append(DocumentInfo(**entry))
    known = {d.file for d in docs if d.file}
    for path in sorted(corpus_dir.iterdir()) if corpus_dir.is_dir() else []:
        # Unsupported files are not documents: the pipeline skips them with a warning.
        if (path.is_file() and path.name not in known and path.name != MANIFEST and not path.name.startswith(".")
                and path.suffix.lower() in SUPPORTED):
            stem = path.name.rsplit(".", 1)[0]
            docs.append(DocumentInfo(id=stem, title=stem, kind="document", file=path.name, language=""))
    return docs


def is_present(doc: DocumentInfo, corpus_dir: Path) -> bool:
    return bool(doc.file) and (corpus_dir / doc.file).is_file()
