"""The background of office-life questions (and the foreground of questions the terms
answer): kept vectors, the nearest-questions score, and what they change in the answers of
the real assistant."""
from __future__ import annotations

import numpy as np
import pytest

from assistant import background
from assistant.background import Background, key, questions
from ingest.use_channel import load_use


@pytest.mark.parametrize("texts_path, shipped", [(background.TEXTS, background.SHIPPED),
                                                  (background.FOREGROUND_TEXTS, background.FOREGROUND_SHIPPED)])
def test_the_shipped_vectors_are_those_of_the_shipped_questions(texts_path, shipped):
    """background.npz and foreground.npz must be rewritten (python -m assistant.background)
    whenever their .txt changes; otherwise every start re-encodes the questions."""
    use = load_use()
    texts = questions(texts_path)
    assert len(texts) >= 200 and len(set(texts)) == len(texts)
    with np.load(shipped) as stored:
        assert str(stored["key"]) == key(use.name, texts)
        assert stored["vectors"].shape == (len(texts), 512)
        shipped = stored["vectors"].astype(np.float32)
    np.testing.assert_allclose(shipped[:5], use.encode(texts[:5]), atol=2e-3)  # float16 on disk


def counting_encoder(dim: int):
    """A stand-in encoder that records each batch it is given: (encode, batches)."""
    calls: list[list[str]] = []

    def encode(items):
        calls.append(list(items))
        return np.eye(len(items), dim, dtype=np.float32)

    return encode, calls


def test_other_vectors_are_computed_once_and_kept(tmp_path):
    texts = tmp_path / "background.txt"
    texts.write_text("# comment\nOù est la machine à café ?\n\nWho do I call about my laptop?\n", encoding="utf-8")
    encode, calls = counting_encoder(4)
    first = Background("toy", encode, tmp_path / "cache", texts)
    assert first.vectors().shape == (2, 4) and calls == [["Où est la machine à café ?", "Who do I call about my laptop?"]]
    again = Background("toy", encode, tmp_path / "cache", texts)
    assert again.vectors().shape == (2, 4) and len(calls) == 1  # read back, not encoded again
    texts.write_text("Où est la machine à café ?\n", encoding="utf-8")
    assert Background("toy", encode, tmp_path / "cache", texts).vectors().shape == (1, 4) and len(calls) == 2


def test_nearest_is_the_mean_of_the_few_nearest(tmp_path):
    texts = tmp_path / "background.txt"
    texts.write_text("a\nb\nc\nd\n", encoding="utf-8")
    vectors = np.array([[1, 0], [0.8, 0.6], [0, 1], [-1, 0]], dtype=np.float32)
    near = Background("toy", lambda items: vectors, None, texts)
    assert near.nearest(np.array([1.0, 0.0]), k=1) == pytest.approx(1.0)
    assert near.nearest(np.array([1.0, 0.0]), k=3) == pytest.approx((1.0 + 0.8 + 0.0) / 3)
    assert Background("toy", lambda items: vectors, None, tmp_path / "none.txt").nearest(np.ones(2)) == 0.0


@pytest.mark.parametrize("question", ["Tu connais un bon coiffeur près du bureau ?",
                                      "What time does the canteen open tomorrow?",
                                      "Comment je change mon fond d'écran sur le portable du boulot ?"])
def test_office_life_questions_are_abstained_on(assistant, question):
    answer = assistant.ask(question)
    assert answer.abstained and not [c for c in answer.citations if not c.supporting]


@pytest.mark.parametrize("question, article", [("Quel est le plafond pour une nuit d'hôtel ?", "3"),
                                               ("Can we bill the customer for our consultant's train tickets?", "3"),
                                               ("Le client peut-il partager ses identifiants avec son agence ?", "4")])
def test_clause_questions_near_office_topics_are_answered(assistant, question, article):
    """Travel costs and logins are office topics too; the clauses on them still answer."""
    answer = assistant.ask(question)
    assert not answer.abstained
    assert [c for c in answer.citations if not c.supporting][0].article == article


def test_a_damaged_kept_file_is_encoded_again(tmp_path):
    texts = tmp_path / "background.txt"
    texts.write_text("Où est la machine à café ?\n", encoding="utf-8")
    encode, calls = counting_encoder(2)
    cache = tmp_path / "cache"
    Background("toy", encode, cache, texts).vectors()
    (kept,) = cache.glob("background-*.npz")
    kept.write_bytes(b"PK\x03\x04 truncated")  # a zip header and nothing sound after it
    again = Background("toy", encode, cache, texts)
    assert again.vectors().shape == (1, 2) and [len(c) for c in calls] == [1, 1]
