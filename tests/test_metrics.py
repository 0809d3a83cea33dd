"""The eval metrics are pure functions: checked on hand-made cases."""
import pytest

from evals import metrics


def test_normalise_follows_the_eval_format():
    assert metrics.normalise("À 30 jours — date d’échéance!").strip() == "a 30 jours date d'echeance".replace("'", " ")
    assert metrics.normalise("alerte-corruption@notification-highco.com").strip() == \
        "alerte corruption@notification highco com"


def test_relevance_by_snippet_and_by_source_id():
    expect = {"sources": ["payables à 30 jours"], "source_ids": ["tos-12"]}
    assert metrics.is_relevant({"text": "Les factures sont PAYABLES a 30  jours date", "source_id": "x"}, expect)
    assert metrics.is_relevant({"text": "nothing", "source_id": "tos-12"}, expect)
    assert not metrics.is_relevant({"text": "payables à 45 jours", "source_id": "x"}, expect)


@pytest.mark.parametrize("rels, hit1, hit3, rr", [
    ([True, False, False], 1.0, 1.0, 1.0),
    ([False, False, True], 0.0, 1.0, 1 / 3),
    ([False] * 5, 0.0, 0.0, 0.0),
])
def test_rank_metrics(rels, hit1, hit3, rr):
    assert metrics.hit_at(rels, 1) == hit1
    assert metrics.hit_at(rels, 3) == hit3
    assert metrics.reciprocal_rank(rels) == pytest.approx(rr)


def test_ndcg():
    assert metrics.ndcg_at([True, False]) == 1.0
    assert metrics.ndcg_at([False, True]) == pytest.approx(1 / 1.58496, rel=1e-3)
    assert metrics.ndcg_at([False, False]) == 0.0
    assert metrics.ndcg_at([True, True, False]) == 1.0


def test_fact_recall_counts_groups_with_one_alternative():
    result = {"answer": "Selon l'article 3 : « payables à trente jours »", "citations": [{"quote": "TVA en vigueur"}]}
    expect = {"facts": [["30 jours", "trente jours"], ["TVA"], ["escompte"]]}
    assert metrics.fact_recall(result, expect) == pytest.approx(2 / 3)
    assert metrics.fact_recall(result, {"facts": []}) is None


def test_forbidden_and_citation():
    result = {"answer": "Le délai est de 90 jours", "citations": [{"quote": "à 30 jours date de facture", "source_id": "cgs"}],
              "passages": []}
    assert metrics.forbidden_hit(result, {"forbidden": ["90 JOURS"]})
    assert not metrics.forbidden_hit(result, {"forbidden": ["60 jours"]})
    assert metrics.citation_correct(result, {"sources": ["30 jours date de facture"]}) == 1.0
    assert metrics.citation_correct(result, {"sources": ["tribunal de commerce"]}) == 0.0


def test_aggregate_abstention_and_latency():
    scores = [
        metrics.score_case({"answerable": False, "expect": {}}, {"abstained": True, "latency_ms": 10}),
        metrics.score_case({"answerable": False, "expect": {}}, {"abstained": False, "answer": "x", "latency_ms": 30}),
        metrics.score_case({"answerable": True, "expect": {"sources": ["abc def"]}},
                           {"abstained": True, "passages": [{"rank": 1, "text": "abc def"}], "latency_ms": 20}),
    ]
    summary = metrics.aggregate(scores)
    assert summary["abstention_precision"] == 0.5
    assert summary["abstention_recall"] == 0.5
    assert summary["hit@1"] == 1.0
    assert summary["latency_p50_ms"] == 20
    assert summary["forbidden_hits"] == 0
