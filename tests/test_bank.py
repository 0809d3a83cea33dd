"""The question bank: every anchor is in the document, the kept vectors are current, a
bank that no longer matches its document loses only its stale lines, and what the bank
changes in retrieval."""
from __future__ import annotations

import logging
import shutil

import numpy as np
import pytest

from assistant.background import key
import assistant.bank as bank_module
from assistant.bank import SHIPPED_MODEL, model_key, passage_model, read, read_unanswered, resolve
from assistant.core import Assistant
from ingest import load_embedder
from ingest.pipeline import run
from ingest.use_channel import load_use
from terms.records import Sentence
from terms.text import detect_language, fold
from tests.conftest import CORPUS, MODEL

BANK = CORPUS / "questions" / "cgs-20210601.tsv"
UNANSWERED = CORPUS / "questions" / "cgs-20210601.unanswered.txt"


def test_every_anchor_is_in_the_document(assistant):
    """A bank line whose anchor is not in the text is silently useless: edit the anchor
    with the document (``resolve`` logs the ones left out)."""
    snap = assistant.search.snapshot()
    lines = read(BANK)
    where = ties(assistant, lines)
    assert len(lines) >= 1500 and len({q for _, q in lines}) == len(lines)  # no question twice
    lost = sorted({a for (a, _), found in zip(lines, where) if not found})
    assert lost == []
    # Nearly every sentence that says something has questions (headings have none).
    assert len({i for found in where for i in found}) >= 0.85 * len(snap.sentences)


@pytest.mark.parametrize("space", ["use", "dense"])
@pytest.mark.parametrize("part", ["", "unanswered."])
def test_the_kept_vectors_are_those_of_the_bank(space, part):
    """cgs-20210601.[unanswered.]<space>.npz must be rewritten (python -m assistant.bank)
    whenever the bank changes; otherwise every start encodes its questions again."""
    encoder = load_use() if space == "use" else load_embedder(MODEL)
    encode = encoder.encode if space == "use" else encoder.embed_queries
    texts = [q for _, q in read(BANK)] if not part else read_unanswered(UNANSWERED)
    assert len(texts) >= 300
    with np.load(BANK.with_name(f"cgs-20210601.{part}{space}.npz")) as stored:
        assert str(stored["key"]) == key(encoder.name, texts)
        kept = stored["vectors"].astype(np.float32)
    assert kept.shape[0] == len(texts)
    np.testing.assert_allclose(kept[:4], encode(texts[:4]), atol=3e-3)  # float16 on disk


def test_malformed_lines_are_skipped_with_a_warning(tmp_path, caplog):
    path = tmp_path / "doc.tsv"
    path.write_text("# comment\n\nun bout de phrase\tOn paie quand ?\nno tab here\n\tno anchor\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        assert read(path) == [("un bout de phrase", "On paie quand ?")]
    assert "doc.tsv:4" in caplog.text and "doc.tsv:5" in caplog.text


def test_a_text_the_document_repeats_ties_its_questions_to_every_copy():
    """The CGS define "Service(s)" twice and write the renewal clause once per service: a
    question answered by that text belongs to each copy, not only to the first."""
    sentences = [Sentence("p1", "Les prestations d’hébergement se reconduisent par périodes d’un an.", 0, 60),
                 Sentence("p1", "Le Client paie à trente jours.", 61, 90),
                 Sentence("p2", "Les PRESTATIONS d'hébergement se reconduisent par périodes d’un an.", 0, 60),
                 Sentence("p3", "Les prestations d’hébergement se reconduisent par périodes d’un an.", 0, 60)]
    doc_of = {"p1": "cgs", "p2": "cgs", "p3": "other"}
    assert resolve(["d'hebergement se reconduisent par periodes", "paie à trente jours", "absent"], sentences,
                   doc_of, "cgs") == [(0, 2), (1,), ()]


def test_a_question_is_tied_only_to_copies_of_one_clause(assistant):
    """An anchor taken from words that several different clauses share (art. 2's renewal
    of recurring services, art. 4's of maintenance and of hosting) ties a question about
    maintenance to the hosting clause too, and the three then compete for it: every anchor
    is in one clause, or in copies of the same text (the twice-defined "Service(s)")."""
    snap = assistant.search.snapshot()
    lines = read(BANK)
    where = ties(assistant, lines)
    shared = sorted({anchor for (anchor, _), found in zip(lines, where)
                     if len({fold(snap.by_id[snap.sentences[i].passage_id].text) for i in found}) > 1})
    assert shared == []


def test_an_unreadable_bank_is_no_bank(tmp_path, caplog):
    path = tmp_path / "doc.tsv"
    path.write_bytes("anchor\tquestion en Latin-1 : déjà ?\n".encode("latin-1"))
    other = tmp_path / "doc.unanswered.txt"
    other.write_bytes("Combien coûte un SMS à l'unité ? déjà\n".encode("latin-1"))
    with caplog.at_level(logging.WARNING):
        assert read(path) == [] and read_unanswered(other) == [] and read_unanswered(tmp_path / "none.txt") == []
    assert "doc.tsv unreadable" in caplog.text and "doc.unanswered.txt unreadable" in caplog.text


@pytest.mark.parametrize("question", [
    # Near the line (it was answered with the clause that bills 1,000 euros on top of third
    # parties' claims until the passage model ranked the price clauses first).
    "Le client demande combien on facture un SMS envoyé en France, je lui dis quoi ?",
    "What uptime percentage do we guarantee on the SMS platform?",
    "Que dit le DPA sur la durée de conservation des données ?",
])
def test_questions_like_those_the_terms_do_not_answer_are_abstained_on(assistant, question):
    """Worded unlike any line of the .unanswered.txt file, but of its kind: a price, an SLA
    figure, what a linked document says."""
    assert question not in read_unanswered(UNANSWERED)
    answer = assistant.ask(question)
    assert answer.abstained, answer.text


@pytest.mark.parametrize("question", ["Quel est le plafond pour une nuit d'hôtel refacturée au client ?",
                                      "On peut facturer des pénalités de retard ?"])
def test_figures_the_terms_do_give_are_still_answered(assistant, question):
    assert not assistant.ask(question).abstained


def ties(assistant, lines: list[tuple[str, str]]) -> list[tuple[int, ...]]:
    """The sentences of the CGS as shipped each bank line is tied to."""
    snap = assistant.search.snapshot()
    return resolve([a for a, _ in lines], snap.sentences, {p.id: p.doc_id for p in snap.passages}, "cgs-20210601")


def test_a_changed_document_loses_only_the_lines_whose_anchor_is_gone(tmp_path, embedder, caplog, assistant):
    """A new wording of one sentence: the bank still serves the others, and the stale
    anchor is named in the log; the bank's vectors are those kept (no re-encoding)."""
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    cgs = corpus / "cgs-20210601.fr.txt"
    text = cgs.read_text(encoding="utf-8")
    anchor = next(a for a, _ in read(BANK) if "trente (30) jours" in a and a in text)
    cgs.write_text(text.replace(anchor, anchor.replace("trente (30)", "quarante-cinq (45)")), encoding="utf-8")
    settings = _settings(corpus, tmp_path)
    assert run(settings, embedder=embedder, progress=False).ok
    with caplog.at_level(logging.WARNING):
        snap = Assistant.from_settings(settings, embedder=embedder).search.snapshot()
    assert "left out" in caplog.text and fold(anchor)[:20] in fold(caplog.text)
    shipped = ties(assistant, read(BANK))
    total = sum(map(len, shipped))
    gone = sum(len(found) for (a, _), found in zip(read(BANK), shipped) if a == anchor)
    assert gone and snap.bank is not None and len(snap.bank.sentence) == total - gone
    assert not list((settings.data_dir / "channels").glob("bank-*.npz"))  # the kept vectors served


def test_an_edited_bank_is_encoded_once_and_kept(tmp_path, embedder, assistant):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    bank = corpus / "questions" / "cgs-20210601.tsv"
    with bank.open("a", encoding="utf-8") as f:
        f.write("Les factures sont payables\tLe client peut payer en trois fois ?\n")
    settings = _settings(corpus, tmp_path)
    assert run(settings, embedder=embedder, progress=False).ok
    first = Assistant.from_settings(settings, embedder=embedder).search.snapshot().bank
    kept = sorted(p.name for p in (settings.data_dir / "channels").glob("bank-*.npz"))
    assert len(kept) == 2  # one per space, in the data folder (the shipped ones are stale)
    assert first is not None and len(first.sentence) == sum(map(len, ties(assistant, read(BANK)))) + 1
    again = Assistant.from_settings(settings, embedder=embedder).search.snapshot().bank
    np.testing.assert_array_equal(again.spaces["dense"], first.spaces["dense"])
    assert sorted(p.name for p in (settings.data_dir / "channels").glob("bank-*.npz")) == kept


def test_without_a_bank_retrieval_is_unchanged_but_for_its_channels(tmp_path, embedder, assistant):
    """Any other corpus has no bank: no bank channel, the same answers as before it."""
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus, ignore=shutil.ignore_patterns("questions"))
    settings = _settings(corpus, tmp_path)
    assert run(settings, embedder=embedder, progress=False).ok
    plain = Assistant.from_settings(settings, embedder=embedder)
    assert plain.search.snapshot().bank is None
    channels = plain.search.channels("Quel est le délai de paiement ?", "fr")
    assert not {"bank_dense", "bank_use", "bank_model"} & set(channels)
    assert set(assistant.search.channels("Quel est le délai de paiement ?", "fr")) >= {"bank_dense", "bank_use",
                                                                                      "bank_model"}
    answer = plain.ask("Quel est le délai de paiement des factures ?")
    assert not answer.abstained and "30 jours" in answer.citations[0].quote
    # The passages an answer lists keep retrieval's order: the quoted ones come first only
    # where bank questions say which passage answers (``core.quoted_first``).
    story = "un gros client propose de payer à 10 jours au lieu de 30 si on lui fait un escompte, on a le droit ?"
    banked = assistant.ask(story, k=5)
    scores = [h.score for h in banked.hits]
    assert scores != sorted(scores, reverse=True)  # here the quoted passage is not retrieval's first
    other = "J'ai envoyé la propale au client le 3 mars, il revient le 20 avril pour la signer au même prix. Elle tient toujours ou pas ?"
    answer = plain.ask(other, k=5)
    assert answer.citations[0].passage_id != answer.hits[0].passage.id  # quoted from retrieval's second or later
    bankless = [h.score for h in answer.hits]
    assert bankless == sorted(bankless, reverse=True)


def _clusters(seed: int = 0) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Bank questions of passages 0, 2 and 3 (passage 1 has none) as unit vectors around one
    centre per passage, in two spaces."""
    rng = np.random.default_rng(seed)
    owner = np.repeat([0, 2, 3], [40, 8, 25])  # as uneven as a real bank
    spaces = {}
    for space, dim in (("dense", 12), ("use", 16)):
        v = rng.normal(size=(4, dim))[owner] + 0.6 * rng.normal(size=(len(owner), dim))
        spaces[space] = (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)
    return spaces, owner


def test_the_passage_model_names_the_passage_a_question_is_near(tmp_path):
    """Fitted on the bank's questions, the model puts first the passage whose questions a
    question resembles, the small passage as well as the large ones; a passage without
    questions is the least likely."""
    spaces, owner = _clusters()
    model = passage_model(spaces, owner, tmp_path)
    assert model is not None
    for i in (0, 8, 41, 60):  # questions of passages 0, 0, 2 and 3
        logp = model.log_probs({"dense": spaces["dense"][i], "use": spaces["use"][i]}, 4)
        assert int(np.argmax(logp)) == owner[i]
        assert logp[1] == logp.min() and np.isclose(np.exp(logp[[0, 2, 3]]).sum(), 1.0, atol=1e-5)
    assert passage_model({"dense": spaces["dense"]}, owner, tmp_path) is None  # one space only: no model
    assert passage_model(spaces, np.zeros(len(owner), dtype=np.int64), tmp_path) is None  # one passage


def test_the_passage_model_is_fitted_once_and_kept(tmp_path, caplog):
    spaces, owner = _clusters(1)
    first = passage_model(spaces, owner, tmp_path)
    kept = list(tmp_path.glob("passage-model-*.npz"))
    assert len(kept) == 1
    stamp = kept[0].stat().st_mtime_ns
    bank_module._MODELS.clear()  # a new process: read from the data folder, not fitted again
    again = passage_model(spaces, owner, tmp_path)
    assert again is not first and kept[0].stat().st_mtime_ns == stamp
    np.testing.assert_array_equal(again.weights, first.weights)
    bank_module._MODELS.clear()
    kept[0].write_bytes(b"not a numpy file")  # a damaged file is fitted again, never trusted
    with caplog.at_level(logging.WARNING):
        third = passage_model(spaces, owner, tmp_path)
    assert "unreadable" in caplog.text
    np.testing.assert_allclose(third.weights, first.weights, atol=1e-5)
    other, _ = _clusters(2)  # other questions: another model
    assert passage_model(other, owner, tmp_path) is not first
    assert len(list(tmp_path.glob("passage-model-*.npz"))) == 2


def test_the_shipped_passage_model_is_that_of_the_bank(assistant):
    """corpus/questions/passages.model.npz must be rewritten (python -m assistant.bank) whenever
    a bank or the passages change; otherwise every fresh data folder fits it again (4 s at
    the first question)."""
    bank = assistant.search.snapshot().bank
    with np.load(BANK.with_name(SHIPPED_MODEL)) as stored:
        assert str(stored["key"]) == model_key(bank.spaces, bank.owner)
        np.testing.assert_array_equal(stored["weights"], bank.model.weights)


def test_the_cgs_passage_model_knows_its_questions(assistant):
    """On the CGS: a bank question's passage comes first in the model's channel, for the
    small definitions as for the long clauses; it is not one of the channels whose first
    passages the answerability signals compare."""
    snap = assistant.search.snapshot()
    assert snap.bank is not None and snap.bank.model is not None
    lines = read(BANK)
    where = ties(assistant, lines)
    picks = {"Utilisateur": None, "Maintenance évolutive": None, "Maintenance corrective": None}
    for (_, question), found in zip(lines, where):
        if len(found) != 1:
            continue
        passage = snap.passages[snap.sentence_owner[found[0]]]
        for name in picks:
            if picks[name] is None and name in " ".join(passage.headings) + passage.text[:40]:
                picks[name] = (question, passage.id)
    assert all(picks.values()), picks
    for question, passage_id in picks.values():
        channels = assistant.search.channels(question, detect_language(question))
        assert snap.passages[int(np.argmax(channels["bank_model"]))].id == passage_id, question
    found = assistant.search.retrieve("C'est qui l'Utilisateur dans les CGS ?", 5, "fr")
    assert "bank_model" not in found.firsts and "bank_use" in found.firsts


@pytest.mark.parametrize("question, expected", [
    # Stories told in the askers' words, not in the clause's.
    ("Le client a signé la propale il y a deux mois et maintenant il veut tout annuler. Il doit payer quoi ?",
     "reste tenu de verser au Prestataire"),
    ("We sent the customer a quote in March and they want to sign it now, in September. Is it still valid?",
     "un (1) mois à compter de son envoi"),
])
def test_stories_find_the_sentence_that_answers(assistant, question, expected):
    answer = assistant.ask(question)
    assert not answer.abstained
    assert expected in " ".join(c.quote for c in answer.citations if not c.supporting)


def _settings(corpus, tmp_path):
    from terms import Settings

    return Settings(corpus_dir=corpus, data_dir=tmp_path / "data")
