"""PDF ingestion: real PDFs made with fpdf2, parsed in the real child process, indexed
in a real Chroma; bad files are reported by name and never stop the others."""
from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from fpdf import FPDF

from ingest.pipeline import run
from terms.settings import ROOT, Settings
from ingest.store import Index, make_client

PAGE_1 = ("1. OBJET\n"
          "Le présent contrat définit les conditions du service de routage.\n\n"
          "2. PAIEMENT\n"
          "Les factures sont payables à trente jours. En cas de retard, le Client doit des pénalités "
          "de retard calculées sur")
PAGE_2 = ("le montant restant dû, à compter de la date d'échéance de la facture.\n\n"
          "3. DUREE\n"
          "Le contrat est conclu pour une durée d'un an renouvelable.")
BROKEN_SENTENCE = ("En cas de retard, le Client doit des pénalités de retard calculées sur le montant restant dû, "
                   "à compter de la date d'échéance de la facture.")
BAD = {"corrupt.pdf": "corrupt", "truncated.pdf": "corrupt", "encrypted.pdf": "encrypted", "empty.pdf": "no text",
       "scan-only.pdf": "no text layer"}
SCANNED_PAGE_2 = ["4. CONFIDENTIALITE\nLes informations échangées restent confidentielles pendant trois ans.",
                  None,  # a scanned page: an image, no text layer
                  "5. DUREE\nLe contrat est conclu pour une durée de deux ans."]


def scan_image():
    """A page image as a scanner makes it: dark strokes where the lines of text were."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (600, 800), 255)
    draw = ImageDraw.Draw(image)
    for y in range(60, 700, 24):
        draw.rectangle((50, y, 540 - (y * 7) % 120, y + 9), fill=30)
    return image


def write_pdf(path, pages: list[str | None], user_password: str | None = None) -> None:
    """One PDF page per entry; None is a scanned page (an image without text)."""
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        if text is None:
            pdf.image(scan_image(), x=10, y=10, w=190)
        elif text:
            pdf.multi_cell(0, 6, text)
    if user_password:
        pdf.set_encryption(owner_password="owner-secret", user_password=user_password)
    pdf.output(str(path))


@pytest.fixture(scope="module")
def pdf_corpus(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("pdf-corpus")
    write_pdf(corpus / "contrat.pdf", [PAGE_1, PAGE_2])
    (corpus / "notes.txt").write_text("Article 1 Objet\nLes notes internes ne sont pas contractuelles.\n",
                                      encoding="utf-8")
    (corpus / "corrupt.pdf").write_bytes(b"%PDF-1.4\n" + os.urandom(4000))
    good = (corpus / "contrat.pdf").read_bytes()
    (corpus / "truncated.pdf").write_bytes(good[: len(good) // 3])
    write_pdf(corpus / "encrypted.pdf", ["Texte confidentiel protégé par un mot de passe."], user_password="s3cret")
    write_pdf(corpus / "empty.pdf", [""])
    write_pdf(corpus / "scanned.pdf", SCANNED_PAGE_2)
    write_pdf(corpus / "scan-only.pdf", [None, None])
    (corpus / "memo.docx").write_bytes(b"PK\x03\x04 not really a docx")
    return corpus


@pytest.fixture(scope="module")
def ingested(pdf_corpus, tmp_path_factory, embedder):
    settings = Settings(corpus_dir=pdf_corpus, data_dir=tmp_path_factory.mktemp("pdf-data"))
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("ingest").addHandler(handler)
    try:
        report = run(settings, embedder=embedder, progress=False)
    finally:
        logging.getLogger("ingest").removeHandler(handler)
    index = Index(make_client(settings), embedder, settings.collection_prefix)
    return report, index, records


def test_sentence_across_the_page_break_is_whole(ingested):
    report, index, _ = ingested
    passages = [p for p in index.passages(report.generation) if p.doc_id == "contrat"]
    holder = [p for p in passages if BROKEN_SENTENCE in p.text]
    assert len(holder) == 1, [p.text for p in passages]
    assert holder[0].pages == (1, 2)
    assert holder[0].article == "2" and holder[0].article_title == "PAIEMENT"
    objet = next(p for p in passages if p.article == "1")
    duree = next(p for p in passages if p.article == "3")
    assert objet.pages == (1,) and duree.pages == (2,)
    sentences, _ = index.sentences(report.generation)
    assert BROKEN_SENTENCE in {s.text for s in sentences}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_pdf_is_reported_by_name_with_a_reason(ingested, name):
    report, _, _ = ingested
    errors = {e.file: e.reason for e in report.errors}
    assert name in errors
    assert BAD[name] in errors[name].lower(), errors[name]
    assert name in report.summary()


def test_other_documents_are_still_ingested(ingested):
    report, index, _ = ingested
    assert not report.ok
    assert sorted(e.file for e in report.errors) == sorted(BAD)
    assert report.documents == 3 and report.pages == 6
    docs = {p.doc_id for p in index.passages(report.generation)}
    assert docs == {"contrat", "notes", "scanned"}
    assert set(index.documents(report.generation)) == {"contrat", "notes", "scanned"}
    assert index.active().name == report.generation


def test_a_partial_index_is_not_taken_for_up_to_date(ingested):
    """The next run retries the files that failed instead of calling the index current."""
    report, index, _ = ingested
    assert index.active().fingerprint.endswith("-partial")


def test_a_page_without_text_is_reported_by_name_and_page(ingested):
    """A scanned page in a PDF with text elsewhere: the other pages are indexed, the page
    is named in the report, not silently indexed empty."""
    report, index, records = ingested
    assert report.warnings == ["scanned.pdf p. 2: no text layer: scanned?"]
    assert "  warning: scanned.pdf p. 2: no text layer: scanned?" in report.summary().split("\n")
    assert "scanned.pdf" not in {e.file for e in report.errors}  # a warning is no error
    scanned = [p for p in index.passages(report.generation) if p.doc_id == "scanned"]
    assert {p.article: p.pages for p in scanned} == {"4": (1,), "5": (3,)}
    assert any("scanned.pdf p. 2" in r.getMessage() for r in records if r.levelno == logging.WARNING)


def test_unsupported_file_is_skipped_with_a_warning(ingested):
    report, _, records = ingested
    assert report.skipped == ["memo.docx: unsupported file type"]
    assert "memo.docx" not in {e.file for e in report.errors}
    warnings = [r.getMessage() for r in records if r.levelno == logging.WARNING]
    assert any("memo.docx" in w for w in warnings)


def test_cli_exits_non_zero_naming_the_bad_files(pdf_corpus, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "ingest", "--corpus", str(pdf_corpus), "--data", str(tmp_path / "data"), "--quiet"],
        capture_output=True, text=True, timeout=180, cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"},
    )
    assert done.returncode != 0, done.stdout + done.stderr
    output = done.stdout + done.stderr
    for name in BAD:
        assert name in output
    assert "encrypted" in output and "memo.docx" in output
    assert "3 documents" in done.stdout  # the good ones were indexed all the same
    assert "scanned.pdf p. 2: no text layer: scanned?" in done.stdout


def test_cli_exits_zero_on_a_clean_corpus(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_pdf(corpus / "contrat.pdf", [PAGE_1, PAGE_2])
    done = subprocess.run(
        [sys.executable, "-m", "ingest", "--corpus", str(corpus), "--data", str(tmp_path / "data"), "--quiet"],
        capture_output=True, text=True, timeout=180, cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 documents, 2 pages" in done.stdout
