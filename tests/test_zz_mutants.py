import pytest
import assistant.llm as mod
import test_llm as T
from test_llm import fake_llm, fresh_script, llm_assistant  # noqa: F401

SRC = open(mod.__file__).read()
MUTANTS = {
 "deadline": [('kind, value = inbox.get(timeout=remaining)', 'kind, value = inbox.get()'),
              ('if remaining <= 0:\n                    raise LLMUnavailable("timeout")', 'if False:\n                    pass')],
 "numbers": [('if missing := numbers(body) - have_numbers:', 'if False:')],
 "bounds": [('if 1 <= n <= len(self.passages)])', 'if 1 <= n <= len(self.passages) + 20])')],
 "quotes": [('self.dropped.append(("quote not in its passage", m.group(1)))', 'return f"\\x02{m.group(1)}\\x03"')],
 "echo": [('    w = _words(text)\n    return any', '    w = _words(text)\n    return False and any')],
 "uncited": [('return self._drop("no valid citation", sentence)', 'pass')],
 "words": [('if not shared:\n            return', 'if False:\n            return'),
           ('if len(shared) < MIN_SHARED', 'if False and len(shared) < MIN_SHARED')],
}
TARGETS = {
 "deadline": [lambda a, b, f: T.test_failures_fall_back_within_the_deadline(a, b, f, "slow-stream", "answer"),
              lambda a, b, f: T.test_failures_fall_back_within_the_deadline(a, b, f, "slow-stream", "stream")],
 "numbers": [lambda a, b, f: T.test_injected_instruction_does_not_reach_the_answer(a, f),
             T.test_uncited_and_unsupported_sentences_are_dropped],
 "bounds": [T.test_out_of_range_markers_are_dropped],
 "quotes": [T.test_invented_quote_is_not_shown_as_a_quote,
            T.test_citation_quote_falls_back_to_passage_text_when_the_only_quote_is_invented],
 "echo": [T.test_a_reply_repeating_the_instructions_falls_back],
 "uncited": [T.test_uncited_and_unsupported_sentences_are_dropped],
 "words": [T.test_uncited_and_unsupported_sentences_are_dropped],
}

@pytest.mark.parametrize("name", MUTANTS)
def test_mutant_is_killed(name, llm_assistant, assistant, fake_llm):
    src = SRC
    for old, new in MUTANTS[name]:
        assert old in src, old
        src = src.replace(old, new)
    original = llm_assistant.llm.__class__
    exec(compile(src, mod.__file__, "exec"), mod.__dict__)
    llm_assistant.llm.__class__ = mod.LLM
    try:
        for target in TARGETS[name]:
            fake_llm.reset()
            try:
                target(llm_assistant, assistant, fake_llm)
            except AssertionError as e:
                print(name, "killed:", str(e)[:100].replace("\n", " "))
            else:
                raise AssertionError(f"{name} survived {target}")
    finally:
        exec(compile(SRC, mod.__file__, "exec"), mod.__dict__)
        llm_assistant.llm.__class__ = original
