"""Safety suite 5 — malicious PDFs (tests/data/safety/pdfs.json), crafted here from raw bytes
and fpdf2: truncated, an xref whose /Prev points back to itself, a page tree and a
content stream that reference themselves, a decompression bomb (a few KB of nested
FlateDecode inflating past the parser's memory limit), an encrypted file, and more
pages than allowed.

Each is refused with its reason in the ingest report, naming the file; the other
documents are ingested; a running server keeps answering while and after they are.
"""
from __future__ import annotations

import json
import threading
import time
import zlib
from pathlib import Path

import httpx
import pytest
from fpdf import FPDF

from assistant.core import Assistant
from assistant.server import make_app
from ingest.loaders import load
from ingest.pipeline import run
from ingest.store import Index, make_client
from tests.server_utils import running_server

DATA = json.loads((Path(__file__).parent / "data" / "safety" / "pdfs.json").read_text(encoding="utf-8"))
LIMITS = DATA["settings"]


# -- crafting ----------------------------------------------------------------------------
def text_pdf(lines: list[str], pages: int = 1) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for n in range(pages):
        pdf.add_page()
        for line in lines:
            pdf.multi_cell(0, 8, f"{line} {n + 1}" if pages > 1 else line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def raw_pdf(objects: dict[int, bytes], root: int = 1, prev_loop: bool = False) -> bytes:
    """A PDF from numbered object bodies, with a correct xref table; with ``prev_loop``
    the trailer's /Prev points at that same xref table (an endless chain)."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += b"%010d 00000 n \n" % offsets[number] if number in offsets else b"0000000000 65535 f \n"
    prev = b" /Prev %d" % xref if prev_loop else b""
    out += b"trailer\n<< /Size %d /Root %d 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, prev, xref)
    return bytes(out)


def stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
TEXT = b"BT /F1 12 Tf 72 720 Td (Texte de la page) Tj ET"


def page_objects(contents: bytes, kids: bytes = b"[3 0 R]") -> dict[int, bytes]:
    return {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids %s /Count 1 >>" % kids,
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
           b"/Resources << /Font << /F1 5 0 R >> >> >>",
        4: contents,
        5: FONT,
    }


def bomb_stream(inflated_mb: int) -> bytes:
    """Zeros deflated twice: each pass shrinks them ~1000 times."""
    inner = zlib.compressobj(9)
    chunk = b"\0" * (1 << 20)
    once = b"".join(inner.compress(chunk) for _ in range(inflated_mb)) + inner.flush()
    return zlib.compress(once, 9)


def craft(kind: str, case: dict) -> bytes:
    if kind == "truncated":
        whole = text_pdf(["CONTRAT TRONQUE", "Ce document est coupé au milieu de son premier objet."])
        return whole[: whole.index(b"stream") + 20]
    if kind == "xref_prev_loop":
        return raw_pdf(page_objects(stream(TEXT)), prev_loop=True)
    if kind == "self_reference":
        objects = page_objects(b"4 0 R", kids=b"[2 0 R 3 0 R]")  # the tree contains itself; so does /Contents
        return raw_pdf(objects)
    if kind == "decompression_bomb":
        return raw_pdf(page_objects(stream(bomb_stream(1024), b"/Filter [/FlateDecode /FlateDecode]")))
    if kind == "encrypted":
        pdf = FPDF()
        pdf.set_encryption(owner_password="proprietaire", user_password="secret")
        pdf.add_page()
        pdf.set_font("Helvetica", size=12)
        pdf.cell(0, 10, "Document confidentiel")
        return bytes(pdf.output())
    if kind == "many_pages":
        return text_pdf(["Annexe tarifaire, page"], pages=case["pages"])
    raise ValueError(kind)


@pytest.fixture(scope="module")
def crafted(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("crafted")
    for case in DATA["cases"]:
        (folder / case["file"]).write_bytes(craft(case["kind"], case))
    (folder / DATA["good"]["file"]).write_bytes(text_pdf(DATA["good"]["text"]))
    return folder


def test_the_bomb_is_small_and_the_files_are_what_they_claim(crafted):
    bomb = (crafted / "bombe.pdf").stat().st_size
    assert bomb < 20_000, f"the bomb is {bomb} bytes"
    assert zlib.decompressobj().decompress(zlib.decompress(bomb_stream(8)))[:4] == b"\0\0\0\0"
    assert b"/Encrypt" in (crafted / "chiffre.pdf").read_bytes()
    assert not (crafted / "tronque.pdf").read_bytes().rstrip().endswith(b"%%EOF")


@pytest.mark.parametrize("case", DATA["cases"], ids=[c["kind"] for c in DATA["cases"]])
def test_each_malicious_pdf_is_refused_with_its_reason(crafted, make_settings, case):
    settings = make_settings(**LIMITS)
    started = time.monotonic()
    with pytest.raises(Exception) as refused:
        load(crafted / case["file"], settings)
    elapsed = time.monotonic() - started
    error = refused.value
    assert type(error).__name__ == "DocumentError" and error.file == case["file"]
    assert any(r in error.reason for r in case["reasons"]), error.reason
    assert elapsed < LIMITS["pdf_timeout"] + 5


def test_good_pdf_still_loads(crafted, make_settings):
    pages = load(crafted / DATA["good"]["file"], make_settings(**LIMITS))
    assert DATA["good"]["text"][-1][:40] in " ".join(pages[0].text.split())


def test_server_keeps_answering_while_they_are_ingested(small_corpus, make_settings, embedder, crafted, tmp_path):
    settings = make_settings(small_corpus, **LIMITS)
    assert run(settings, embedder=embedder, progress=False).ok
    client = make_client(settings)
    assistant = Assistant(settings, Index(client, embedder, settings.collection_prefix))
    server_settings = settings.model_copy(update={"data_dir": tmp_path / "server-data", "rate_limit_per_minute": 0})
    for case in [*DATA["cases"], DATA["good"]]:
        (small_corpus / case["file"]).write_bytes((crafted / case["file"]).read_bytes())

    with running_server(make_app(server_settings, assistant=assistant)) as url:
        outcome: dict = {}

        def ingest() -> None:
            outcome["report"] = run(settings, embedder=embedder, client=client, progress=False)

        worker = threading.Thread(target=ingest)
        worker.start()
        answered, slowest = [], 0.0
        with httpx.Client(base_url=url, timeout=30) as http:
            while worker.is_alive() or len(answered) < 3:
                started = time.monotonic()
                r = http.post("/api/ask", json={"question": "Quel est le délai de paiement des factures ?"})
                slowest = max(slowest, time.monotonic() - started)
                answered.append(r.status_code)
                assert r.status_code == 200 and "trente jours" in r.text, r.text
                time.sleep(0.2)
            worker.join()
            report = outcome["report"]
            errors = {e.file: e.reason for e in report.errors}
            assert set(errors) == {c["file"] for c in DATA["cases"]}, report.summary()
            for case in DATA["cases"]:
                assert any(r in errors[case["file"]] for r in case["reasons"]), errors[case["file"]]
                assert case["file"] in report.summary()
            assert report.documents == 4 and report.per_document.get("bon", 0) > 0
            # After the switch the same server answers from the new generation, good PDF included.
            r = http.post("/api/ask", json={"question": DATA["question"]})
            assert r.status_code == 200 and DATA["expect_in_answer"] in r.json()["text"], r.text
            assert set(assistant.search.snapshot().texts) == {"alpha", "beta", "gamma", "bon"}
            assert http.get("/health").json()["index"]["documents"] == 4
    assert len(answered) >= 3 and slowest < 15
