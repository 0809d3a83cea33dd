"""The fit that weighs the signals a quote's sentence is chosen by (evals/fit_sentences.py)."""
import numpy as np

from assistant.answer import SIGNALS, sentence_weights
from evals.fit_sentences import PRIOR, best_holds, fit


def _cases(seed: int, n: int = 300) -> list[tuple[np.ndarray, np.ndarray]]:
    """Questions of 12 candidate sentences each, where the one that answers has the highest
    bank similarity but not always the highest cosine: the prior, weighing the bank
    little, often picks another."""
    rng = np.random.default_rng(seed)
    out = []
    bank = SIGNALS.index("bank")
    for _ in range(n):
        x = np.zeros((12, len(SIGNALS)))
        x[:, 0] = rng.normal(0.8, 0.03, 12)  # cosine
        x[:, bank] = rng.normal(0.7, 0.05, 12)
        holds = np.zeros(12, dtype=bool)
        j = rng.integers(12)
        holds[j] = True
        x[j, bank] += 0.15
        out.append((x, holds))
    return out


def test_the_fit_learns_the_signal_that_tells_the_answer_and_carries_over():
    fitted, held = _cases(0), _cases(1)
    weights = fit(fitted, PRIOR, pull=0.001)
    assert weights[0] == 1.0  # the cosine's scale is kept
    assert weights[SIGNALS.index("bank")] > PRIOR[SIGNALS.index("bank")] * 2
    assert best_holds(weights, held) > best_holds(PRIOR, held) + 0.2


def test_a_strong_pull_keeps_the_prior():
    weights = fit(_cases(0, 60), PRIOR, pull=100.0)
    assert np.allclose(weights, PRIOR, atol=0.01)


def test_the_shipped_weights_name_every_signal():
    assert len(sentence_weights()) == len(SIGNALS) == len(PRIOR)


def test_documents_without_a_bank_keep_the_weights_tuned_one_at_a_time():
    """The fit leans on the bank's signals; a corpus without a bank is ranked without them."""
    plain = sentence_weights(banked=False)
    assert not plain[SIGNALS.index("bank"):].any()
    assert np.allclose(plain[:SIGNALS.index("bank")], PRIOR[:SIGNALS.index("bank")])
