"""The optional LLM mode: a model rewrites follow-ups and phrases the answer from the
retrieved passages; nothing it returns is trusted.

Every sentence of the model's answer must cite a passage as [n] (n within the prompt's
passages); its numbers must occur in the passages it cites and most of its words too;
a « quote » must be found in a cited passage or it loses its quotation marks. What
survives is shown, sentence by sentence, with markers renumbered to the answer's
citations. An error, the deadline, an empty or unverifiable reply, or a reply that
repeats our instructions gives back the extractive answer with a notice.

>>> llm = LLM(Settings(llm_base_url="http://127.0.0.1:8080/v1"))     # doctest: +SKIP
>>> llm.answer(base, assistant.documents).mode                                   # doctest: +SKIP
'llm'
"""
from .client import LLM, MAX_TOKENS, failure_reason
from .errors import REASONS, LLMUnavailable
from .prompts import REWRITE_PROMPT, SYSTEM_PROMPT, answer_messages, as_data, echoes_prompt, rewrite_messages
from .verify import UNVERIFIED_QUOTE, Verifier, locate, numbers, split_sentences, terms, with_digits

__all__ = ["LLM", "LLMUnavailable", "MAX_TOKENS", "REASONS", "REWRITE_PROMPT", "SYSTEM_PROMPT", "UNVERIFIED_QUOTE",
           "Verifier", "answer_messages", "as_data", "echoes_prompt", "failure_reason", "locate", "numbers",
           "rewrite_messages", "split_sentences", "terms", "with_digits"]
