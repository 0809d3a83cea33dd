"""LangChain faces of the assistant, so its parts plug into someone else's chain.

- ``TermsEmbeddings``: our embedder as LangChain ``Embeddings``.
- ``TermsRetriever``: the hybrid retriever as a LangChain ``BaseRetriever``; each
  Document carries the passage's full provenance in its metadata.
- ``answer_runnable``: the answer pipeline as a ``Runnable`` taking a question (str)
  or {"question", "history"} and returning an ``Answer``.

>>> retriever = TermsRetriever(assistant=assistant, k=3)            # doctest: +SKIP
>>> retriever.invoke("délai de paiement")[0].metadata["article"]     # doctest: +SKIP
'3'
"""
from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda

from ingest import Embedder

from .answer import Answer, label
from .core import Assistant
from .retrieve import Hit


class TermsEmbeddings(Embeddings):
    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_passages(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_queries([text])[0].tolist()


def hit_to_document(hit: Hit, assistant: Assistant) -> Document:
    p = hit.passage
    return Document(page_content=p.text, id=p.id, metadata={
        "passage_id": p.id, "doc_id": p.doc_id, "version": p.version, "article": p.article,
        "article_title": p.article_title, "headings": list(p.headings), "pages": list(p.pages),
        "start": p.start, "end": p.end, "label": label(p, assistant.documents.get(p.doc_id)),
        "score": hit.score, "dense": hit.dense, "lexical": hit.lexical, "rank": hit.rank,
    })


class TermsRetriever(BaseRetriever):
    assistant: Any
    k: int = 5

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [hit_to_document(h, self.assistant) for h in self.assistant.retrieve(query, self.k)]


def answer_runnable(assistant: Assistant) -> Runnable[Any, Answer]:
    def run(value: Any) -> Answer:
        if isinstance(value, str):
            return assistant.ask(value)
        return assistant.ask(value["question"], value.get("history") or [], k=value.get("k"))

    return RunnableLambda(run, name="terms_answer")
