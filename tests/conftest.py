"""Shared fixtures: the real embedding model, real Chroma in temp dirs, the real CGS index."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from terms import offline_environment

offline_environment()

from bench.serve import free_port  # noqa: E402,F401  (re-exported for the test modules)
from ingest.embeddings import load_embedder  # noqa: E402
from terms.records import Page  # noqa: E402
from terms.settings import ROOT, Settings  # noqa: E402

CORPUS = ROOT / "corpus"
CGS_FILE = CORPUS / "cgs-20210601.fr.txt"
ARTIFACTS = ROOT / "tests" / "artifacts"
MODEL = Settings().embedding_model  # the embedding model the app runs with


def cgs_pages() -> list[Page]:
    raw = CGS_FILE.read_text(encoding="utf-8")
    return [Page(i + 1, text) for i, text in enumerate(raw.split("\f"))]


@pytest.fixture(scope="session")
def embedder():
    return load_embedder(MODEL)


@pytest.fixture
def make_settings(tmp_path):
    """Settings on a private data dir (and, if given, a private corpus dir)."""

    def make(corpus: Path | None = None, **overrides) -> Settings:
        return Settings(corpus_dir=corpus or CORPUS, data_dir=tmp_path / "data", **overrides)

    return make


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A writable copy of the project corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture(scope="session")
def cgs_settings(tmp_path_factory) -> Settings:
    """The project corpus indexed once for the whole session (read-only for tests)."""
    from ingest.pipeline import run

    settings = Settings(corpus_dir=CORPUS, data_dir=tmp_path_factory.mktemp("cgs-data"))
    report = run(settings, embedder=load_embedder(MODEL), progress=False)
    assert report.ok, report.summary()
    return settings


@pytest.fixture(scope="session")
def assistant(cgs_settings):
    from assistant.core import Assistant

    return Assistant.from_settings(cgs_settings, embedder=load_embedder(MODEL))


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


SMALL_DOCS = {
    "alpha.txt": (
        "CONTRAT ALPHA\n\n"
        "1. OBJET\nLe présent contrat définit les conditions de la prestation de routage de messages. "
        "Il s'applique à toute commande du Client.\n\n"
        "2. PRIX\nLe prix est fixé au devis accepté par le Client. Les factures sont payables à trente jours.\n\n"
        "3. DUREE\nLe contrat est conclu pour une durée d'un an. Il se renouvelle par tacite reconduction.\n"
    ),
    "beta.txt": (
        "CONDITIONS BETA\n\n"
        "1. CONFIDENTIALITE\nLes informations échangées restent confidentielles pendant trois ans.\n\n"
        "2. RESPONSABILITE\nLa responsabilité du Prestataire est limitée aux dommages directs. "
        "Elle ne peut excéder le montant payé au cours des six derniers mois.\n\n"
        "3. LITIGES\nTout litige relève du tribunal de commerce de Lyon.\n"
    ),
    "gamma.txt": (
        "NOTE GAMMA\n\n"
        "1. ASSURANCE\nLe Prestataire est assuré pour sa responsabilité civile professionnelle.\n\n"
        "2. SOUS-TRAITANCE\nLe Prestataire peut confier tout ou partie de la prestation à un sous-traitant.\n"
    ),
}


@pytest.fixture
def small_corpus(corpus_copy) -> Path:
    """``corpus_copy`` with the CGS replaced by three short documents (quick to embed).

    The manifest is kept: its entries whose files are absent are known by name only."""
    (corpus_copy / CGS_FILE.name).unlink()
    for name, text in SMALL_DOCS.items():
        (corpus_copy / name).write_text(text, encoding="utf-8")
    return corpus_copy


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server_settings(cgs_settings, tmp_path_factory, request):
    """The CGS settings with a private data dir (audit log) for one test module's server."""
    name = request.module.__name__.rsplit(".", 1)[-1]
    return cgs_settings.model_copy(update={"data_dir": tmp_path_factory.mktemp(f"{name}-data")})
