"""What each signal of the answer pipeline is worth: ``python bench/ablation.py [--out F.json]``.

Runs the eval sets' dev and test splits with the whole pipeline, then with one signal
turned off at a time (leave-one-out), in one process with the model loaded once:

- ``use``: the second dense channel (USE) in the fused retrieval;
- ``bank``: the question bank in retrieval (its four channels) and in choosing sentences (its
  answerability signals stay: they are part of the fitted model);
- ``bank_model``: the passage model fitted on the bank (its retrieval channel), the bank's
  other channels kept;
- ``bank_words``: the bank's words alone (its BM25 channel and its weight in choosing
  sentences), its vectors kept;
- ``vocabulary``: the general vocabularies (slang, English renderings and situations);
- ``situations``: the situations vocabulary alone (story words -> the clause's words);
- ``asks``: sentences preferred for carrying the kind of fact the question asks for;
- ``join``: a second sentence quoted when nearly as good (back to the old, tight margin);
- ``other_passage``: a second passage's best sentence quoted too when nearly as good;
- ``exact``: a question wanting a figure itself ("combien en euros pile ?", "how many hours")
  not answered by the rule that sets it (a formula, a statute's reference, a condition);
- ``figure_subject``: a figure asked read without what it is the figure of (a VAT rate then
  answers an availability-rate question);
- ``figure_proposed``: a figure the question puts forward ("genre 99,9 % ?") not read;
- ``tasks``: a role to play, a text to write, an order to obey (with no question besides) read
  as a question about the terms;
- ``names``: a name or a postal address asked (an insurer, "numéro et rue") read as no figure;
- ``story_parts``: a story that raises two matters ("…, et il veut aussi…") quoting one clause;
- ``quoted_first``: the passages an answer lists in retrieval's order, not the quoted ones first;
- ``part_figures``: a figure one part of a question asks required of the whole answer's first quote;
- ``part_room``: no room for one more sentence when a question asks several things;
- ``follow_own``: a short follow-up's passages ranked by its standalone form alone, not also
  by its own words;
- ``follow_topic``: a follow-up borrowing the topic of the nearest full question alone, however
  few its words;
- ``short_names``: a document's name cut short ("les conditions spé Billing") not read as its name;
- ``parties``: party names read as their roles ("High Connexion" -> "le Prestataire");
- ``definitions``: definitions (passages and their sentences) stepping back unless asked for;
- ``answerability``: the fitted multi-signal decision (back to the evidence level alone).

Turning a signal off sets the module constant or function it lives in for the run; the
code measured is otherwise the shipped code. Prints one Markdown table per set.
"""
from __future__ import annotations

import argparse
import json
import sys
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from terms import Settings, offline_environment  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SETS = ["cgs.dev", "cgs.test", "scenarios.dev", "scenarios.test", "scenarios-more.dev", "scenarios-extra.dev",
        "scenarios-fresh.dev", "scenarios-new.dev", "scenarios-blind.dev",
        "scenarios-next.dev", "scenarios-hard.dev", "scenarios-field.dev", "scenarios-floor.dev"]
METRICS = ["hit@5", "mrr", "quote_accuracy", "fact_recall", "abstention_recall", "answered_rate"]


@contextmanager
def turned_off(signal: str):
    """The pipeline with one signal off, restored afterwards."""
    import assistant.answer as answer
    import assistant.core as core
    import assistant.decide as decide
    import assistant.followup as followup
    import assistant.retrieve as retrieve
    import assistant.vocabulary as vocabulary

    saved: list[tuple[object, str, object]] = []

    def put(owner, name, value):
        saved.append((owner, name, getattr(owner, name)))
        setattr(owner, name, value)

    if signal == "use":
        put(retrieve, "WEIGHTS", {k: {**w, "use": 0.0} for k, w in retrieve.WEIGHTS.items()})
    elif signal == "bank":
        put(retrieve, "WEIGHTS", {k: {**w, "bank_dense": 0.0, "bank_use": 0.0, "bank_lexical": 0.0,
                                                     "bank_model": 0.0} for k, w in retrieve.WEIGHTS.items()})
        put(answer, "BANK_WEIGHT", 0.0)
        put(answer, "BANK_LEXICAL_WEIGHT", 0.0)
    elif signal == "bank_model":
        put(retrieve, "WEIGHTS", {k: {**w, "bank_model": 0.0} for k, w in retrieve.WEIGHTS.items()})
    elif signal == "bank_words":
        put(retrieve, "WEIGHTS", {k: {**w, "bank_lexical": 0.0} for k, w in retrieve.WEIGHTS.items()})
        put(answer, "BANK_LEXICAL_WEIGHT", 0.0)
    elif signal == "vocabulary":
        for module in (retrieve, answer, core):
            put(module, "expand", lambda *args, **kwargs: "")
    elif signal == "situations":
        put(vocabulary, "situations", lambda: vocabulary.build({}))
    elif signal == "asks":
        put(answer, "ASKED_WEIGHT", 0.0)
        put(answer, "FIGURE_WEIGHT", 0.0)
    elif signal == "join":
        put(answer, "JOIN_MARGIN", 0.012)
    elif signal == "other_passage":
        put(answer, "OTHER_PASSAGE_MARGIN", 0.0)
    elif signal == "exact":
        put(core, "wants_exact", lambda question: False)
    elif signal == "figure_subject":
        put(core, "figure_subject", lambda question, language="fr": ())
    elif signal == "figure_proposed":
        put(core, "proposed_figures", lambda question: ())
    elif signal == "tasks":
        put(core, "task_request", lambda message: False)
    elif signal == "names":
        asked = core.figures_asked
        put(core, "figures_asked", lambda question: asked(question) - {"name", "address"})
    elif signal == "story_parts":
        put(core, "story_parts", lambda question: [])
    elif signal == "quoted_first":
        put(core, "quoted_first", lambda hits, quoted, k: hits[:k])
    elif signal == "part_figures":
        put(core.Assistant, "_parts_state_their_figures", lambda self, query, evidence: False)
    elif signal == "part_room":
        put(core, "PART_ROOM", 0)
    elif signal == "follow_own":
        put(core, "FOLLOW_UP_OWN_WEIGHT", 0.0)
    elif signal == "follow_topic":
        put(followup, "FEW_TOPIC_WORDS", 0)
    elif signal == "short_names":
        put(core, "ABBREVIATION_CHARS", 1000)
    elif signal == "parties":
        put(core, "as_roles", lambda question, names: question)
    elif signal == "definitions":
        put(retrieve, "DEFINITION_PENALTY", 0.0)
        put(answer, "DEFINITION_STEP", 0.0)
    elif signal == "answerability":
        # The evidence level alone, as before the fitted model: abstain below the language's level.
        put(decide, "model", lambda: {"weights": {"evidence": 40.0}, "bias": 0.0, "threshold": 0.5})
    elif signal != "none":
        raise SystemExit(f"unknown signal {signal!r}")
    caches = (vocabulary.expand, vocabulary.story)  # renderings are cached per question
    for cache in caches:
        cache.cache_clear()
    try:
        yield
    finally:
        for owner, name, value in reversed(saved):
            setattr(owner, name, value)
        for cache in caches:
            cache.cache_clear()


def main(argv: list[str] | None = None) -> int:
    offline_environment()
    parser = argparse.ArgumentParser(prog="python bench/ablation.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--signals", default="none,use,bank,bank_model,bank_words,vocabulary,situations,asks,join,"
                                               "other_passage,"
                                               "exact,figure_subject,figure_proposed,tasks,names,story_parts,"
                                               "quoted_first,part_figures,part_room,follow_own,follow_topic,short_names,"
                                               "parties,definitions,"
                                               "answerability")
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    from evals.pipelines import AssistantPipeline
    from evals.runner import assistant_for, read_set, run_set, summarise

    results: dict[str, dict[str, dict]] = {}
    with assistant_for(Settings(), None) as (assistant, _):
        for signal in args.signals.split(","):
            with turned_off(signal):
                for name in args.sets.split(","):
                    cases = read_set(ROOT / "evals" / "sets" / f"{name}.jsonl")
                    _, scores = run_set(AssistantPipeline(assistant), cases, 10, progress=False)
                    summary = summarise(cases, scores)
                    results.setdefault(name, {})[signal] = {m: summary.get(m) for m in METRICS}
                    print(f"{signal:>14} {name:<16}", json.dumps(results[name][signal]), file=sys.stderr, flush=True)
    for name, rows in results.items():
        print(f"\n### {name}\n\n| without | " + " | ".join(METRICS) + " |\n|---|" + "---:|" * len(METRICS))
        for signal, values in rows.items():
            label = "(whole pipeline)" if signal == "none" else signal
            print(f"| {label} | " + " | ".join("—" if values[m] is None else f"{values[m]:.3f}" for m in METRICS) + " |")
    if args.out:
        args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
