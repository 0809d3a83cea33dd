"""Each distinct text is embedded once, by parallel single-threaded model calls, and
every record still stores the vector of its own text."""
from __future__ import annotations

import numpy as np

from ingest.pipeline import run
from ingest.store import Index, embedded_texts, make_client
from terms.settings import Settings

SHARED = "Les factures sont payables à trente jours. Tout litige relève du tribunal de commerce de Lyon."
DOCS = {
    "un.txt": f"CONTRAT UN\n\n1. PRIX\nLe prix est fixé au devis. {SHARED}\n\n2. DUREE\nLe contrat dure un an.\n",
    "deux.txt": f"CONTRAT DEUX\n\n1. PRIX\nLe prix est fixé au bon de commande. {SHARED}\n\n"
                "2. DUREE\nLe contrat dure deux ans.\n",
}


def write(corpus, docs):
    corpus.mkdir(exist_ok=True)
    for name, text in docs.items():
        (corpus / name).write_text(text, encoding="utf-8")


def stored(settings: Settings, embedder) -> tuple[Index, str]:
    index = Index(make_client(settings), embedder, settings.collection_prefix)
    return index, index.active().name


def test_parallel_calls_give_the_vectors_of_one_call(embedder):
    texts = [f"Article {i}. Le Client règle la facture numéro {i} à trente jours." for i in range(19)]
    together = embedder.embed_passages(texts)
    assert together.shape == (19, embedder.dim)
    alone = np.vstack([embedder.embed_passages([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-6)


def test_shared_sentences_are_embedded_once(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    write(corpus, DOCS)
    settings = Settings(corpus_dir=corpus, data_dir=tmp_path / "data")
    report = run(settings, embedder=embedder, progress=False)
    assert report.ok and report.documents == 2

    index, generation = stored(settings, embedder)
    passages = index.passages(generation)
    sentences, vectors = index.sentences(generation)
    texts = embedded_texts(passages, sentences)
    shared = [s for s in sentences if s.text in SHARED]
    assert len(shared) == 4  # two sentences, each in both documents' "PRIX" passage
    assert report.embedded == len(set(texts.values())) < len(texts)
    # Every sentence record holds the vector of its own text.
    expected = embedder.embed_passages([s.text for s in sentences])
    np.testing.assert_allclose(vectors, expected, atol=1e-6)


def test_changed_document_embeds_only_new_texts(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    write(corpus, DOCS)
    settings = Settings(corpus_dir=corpus, data_dir=tmp_path / "data")
    run(settings, embedder=embedder, progress=False)
    # A new price sentence in one document: its passage changes (new id), but the
    # passage's other sentences and the untouched passages are reused.
    write(corpus, {"deux.txt": DOCS["deux.txt"].replace("au bon de commande", "à la signature")})
    again = run(settings, embedder=embedder, progress=False)
    assert not again.up_to_date
    assert again.embedded == 2  # the changed passage and its changed sentence
    index, generation = stored(settings, embedder)
    sentences, vectors = index.sentences(generation)
    np.testing.assert_allclose(vectors, embedder.embed_passages([s.text for s in sentences]), atol=1e-6)


def test_second_channel_vectors_are_made_by_ingest(tmp_path, embedder):
    """The USE passage vectors of a generation exist before it is active, hold the vector
    of each passage's own text, and only the passages a new generation adds are encoded."""
    from ingest import use_channel

    corpus = tmp_path / "corpus"
    write(corpus, DOCS)
    settings = Settings(corpus_dir=corpus, data_dir=tmp_path / "data", second_channel="use")
    run(settings, embedder=embedder, progress=False)
    index, first = stored(settings, embedder)
    path = use_channel.cache_path(settings.data_dir, first)
    assert path.exists()
    passages = index.passages(first)
    use = use_channel.load_use()
    with np.load(path) as kept:
        assert sorted(kept["ids"].tolist()) == sorted(p.id for p in passages)
        by_id = dict(zip(kept["ids"].tolist(), kept["vectors"]))
    expected = use.encode([use_channel.passage_text(p) for p in passages])
    np.testing.assert_allclose(np.stack([by_id[p.id] for p in passages]), expected, atol=1e-5)

    # A changed document: a new generation, whose file is seeded from the previous one.
    write(corpus, {"deux.txt": DOCS["deux.txt"].replace("au bon de commande", "à la signature")})
    calls = []
    encode = use.encode
    try:
        use.encode = lambda texts: calls.append(len(texts)) or encode(texts)
        run(settings, embedder=embedder, progress=False)
    finally:
        del use.encode
    _, second = stored(settings, embedder)
    assert second != first and use_channel.cache_path(settings.data_dir, second).exists()
    assert calls == [1]  # only the changed passage

    # A lost file is rebuilt by the next ingest, even when the index is up to date.
    use_channel.cache_path(settings.data_dir, second).unlink()
    assert run(settings, embedder=embedder, progress=False).up_to_date
    assert use_channel.cache_path(settings.data_dir, second).exists()


def test_a_damaged_second_channel_file_is_rebuilt(tmp_path):
    """A truncated vector file (a killed write, a full disk) is encoded again, not trusted."""
    from ingest import use_channel

    class Counting:
        def __init__(self):
            self.calls = []

        def encode(self, texts):
            self.calls.append(len(texts))
            return np.ones((len(texts), 512), dtype=np.float32)

    cache = tmp_path / "use-g1.npz"
    encoder = Counting()
    items = [("a", "Le prix est fixé au devis."), ("b", "Le contrat dure un an.")]
    use_channel.cached_vectors(encoder, items, cache)
    cache.write_bytes(b"PK\x03\x04 truncated")
    vectors = use_channel.cached_vectors(encoder, items, cache)
    assert vectors.shape == (2, 512) and encoder.calls == [2, 2]
    assert use_channel.cached_vectors(encoder, items, cache).shape == (2, 512) and encoder.calls == [2, 2]
