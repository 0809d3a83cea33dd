"""The scale benchmark's corpora are what they say (no timing here: bench/scale.py
measures), and its model stand-in is deterministic."""
from __future__ import annotations

import numpy as np

from bench.corpora import CGS, build, cgs_variant
from ingest.embeddings import load_embedder
from ingest.pipeline import corpus_state, process
from terms.settings import Settings


def test_a_variant_is_another_companys_copy_of_the_cgs():
    cgs = CGS.read_text(encoding="utf-8")
    variant = cgs_variant(cgs, 3)
    assert variant != cgs and variant == cgs_variant(cgs, 3)  # deterministic
    assert "HIGH CONNEXION" not in variant and "TRIBUNAL DE COMMERCE DE PARIS" not in variant
    assert "Opale Mobile".upper() in variant
    # Most of the text is the CGS's: only names and figures moved.
    same = set(cgs.splitlines()) & set(variant.splitlines())
    assert len(same) > 0.9 * len(set(cgs.splitlines()))


def test_a_corpus_has_the_passages_it_announces(tmp_path):
    made = build(tmp_path / "corpus", 3)
    assert made["cgs_variants"] == 1 and made["external"] > 0
    settings = Settings(corpus_dir=tmp_path / "corpus")
    _, _, present = corpus_state(settings, "any")
    assert len(present) == made["documents"]
    passages = sum(len(process(doc, path, settings)[0]) for doc, path in present)
    assert passages == made["expected_passages"]


def test_the_stand_in_embedder_is_deterministic_and_normalised():
    embedder = load_embedder("hash")
    texts = ["Les factures sont payables à 30 jours.", "Les factures sont payables à 30 jours.", "", "Tribunal"]
    vectors = embedder.embed_passages(texts)
    assert vectors.shape == (4, embedder.dim) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-6)
    assert vectors[0] @ vectors[1] > 0.999 and abs(vectors[0] @ vectors[3]) < 0.5
    np.testing.assert_array_equal(embedder.embed_queries(texts[:1]), vectors[:1])
