"""Terms written in English, which nothing was tuned on: numbered sections in ordinary case
are articles, words are analysed in English, and figures in dollars or with "business days"
count as the figure a question asks for."""
import shutil
from pathlib import Path

import pytest

from assistant.core import Assistant
from ingest.pipeline import run
from terms.settings import Settings
from terms.text import EN_STOP

TOS = Path(__file__).resolve().parent.parent / "evals" / "corpora" / "tos-en"


@pytest.fixture(scope="module")
def english(tmp_path_factory, embedder):
    corpus = tmp_path_factory.mktemp("tos-en")
    manifest = (TOS / "manifest.toml").read_text(encoding="utf-8")
    # One document keeps the index small: the TradePost agreement and its manifest entry.
    entries = manifest.split("[[documents]]")
    kept = [e for e in entries[1:] if 'id = "tradepost-terms"' in e]
    (corpus / "manifest.toml").write_text(entries[0] + "[[documents]]" + kept[0], encoding="utf-8")
    shutil.copy(TOS / "tradepost-terms.txt", corpus / "tradepost-terms.txt")
    settings = Settings(corpus_dir=corpus, data_dir=tmp_path_factory.mktemp("tos-en-data"))
    report = run(settings, embedder=embedder, progress=False)
    assert report.ok, report.summary()
    return Assistant.from_settings(settings, embedder=embedder)


def test_english_terms_are_indexed_in_english(english):
    snap = english.search.snapshot()
    assert snap.language == "en"
    indexed = set(snap.bm25.idf)
    # English stop words are not index terms (French analysis would keep "the", "your"…).
    assert not indexed & {"the", "your", "you", "and", "with"}
    assert {"the", "your", "you", "and", "with"} <= EN_STOP


def test_a_price_in_dollars_answers_a_price_question(english):
    answer = english.ask("How much does TradePost Pro cost per month?")
    assert not answer.abstained
    main = [c for c in answer.citations if not c.supporting]
    assert "$14.99" in " ".join(c.quote for c in main)
    # "5. Selling Fees and TradePost Pro"-style numbered titles in ordinary case are the
    # sections a citation names (not the document's opening lines).
    assert main[0].article == "5" and "article 5" in answer.text
