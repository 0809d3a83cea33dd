"""The pipelines an eval can run: ours, BM25 alone over our passages, and the
textbook LangChain RAG. Each answers a case with the eval-run case record."""
from __future__ import annotations

import time
from typing import Protocol

from assistant.answer import label
from assistant.core import Assistant
from terms.text import detect_language, tokens


class Pipeline(Protocol):
    name: str

    def run_case(self, case: dict, k: int) -> dict: ...


def passage_record(rank: int, p, doc, score: float) -> dict:
    return {"rank": rank, "label": label(p, doc), "source_id": p.doc_id, "text": p.text,
            "score": round(float(score), 5), "id": p.id}


class AssistantPipeline:
    """Ours: hybrid retrieval and the extractive (or LLM) answer."""

    name = "assistant"

    def __init__(self, assistant: Assistant, mode: str = "extractive") -> None:
        self.assistant = assistant
        self.mode = mode

    def run_case(self, case: dict, k: int) -> dict:
        started = time.perf_counter()
        answer = self.assistant.ask(case["question"], case.get("history") or [], k=k, mode=self.mode)
        latency = (time.perf_counter() - started) * 1000
        docs = self.assistant.documents
        return {
            "id": case["id"], "answer": answer.text, "abstained": answer.abstained,
            "citations": [{"label": c.label, "source_id": c.doc_id, "quote": c.quote, "passage_id": c.passage_id,
                           "supporting": c.supporting} for c in answer.citations if not c.supporting],
            "passages": [passage_record(h.rank, h.passage, docs.get(h.passage.doc_id), h.score)
                         for h in answer.hits[:k]],
            "latency_ms": round(latency, 2),
        }


class BM25Pipeline:
    """BM25 alone over our passages; the top passage is the answer; never abstains."""

    name = "bm25"

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def run_case(self, case: dict, k: int) -> dict:
        started = time.perf_counter()
        snap = self.assistant.search.snapshot()
        query = " ".join([*(case.get("history") or [])[-1:], case["question"]])
        scores = snap.bm25.scores(tokens(query, detect_language(query)))
        order = sorted(range(len(scores)), key=lambda i: -scores[i])[:k]
        docs = self.assistant.documents
        passages = [passage_record(r, snap.passages[i], docs.get(snap.passages[i].doc_id), scores[i])
                    for r, i in enumerate(order, 1)]
        latency = (time.perf_counter() - started) * 1000
        top = passages[0] if passages else None
        return {"id": case["id"], "answer": top["text"] if top else "", "abstained": top is None,
                "citations": [{"label": top["label"], "source_id": top["source_id"], "quote": top["text"],
                               "passage_id": top["id"]}] if top else [],
                "passages": passages, "latency_ms": round(latency, 2)}


class TextbookPipeline:
    """The usual LangChain RAG: RecursiveCharacterTextSplitter(1000, 200) over the raw
    loaded text, the same embedding model, Chroma similarity top-k, top chunk as answer."""

    name = "textbook"

    def __init__(self, assistant: Assistant, documents: list[tuple[str, str]]) -> None:
        """``documents``: (source id, raw loaded text) pairs."""
        from langchain_chroma import Chroma
        from langchain_core.documents import Document
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        from assistant.lc import TermsEmbeddings

        import chromadb
        from chromadb.config import Settings as ChromaSettings

        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        chunks = splitter.split_documents([Document(page_content=text, metadata={"source_id": sid})
                                           for sid, text in documents])
        client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        self.store = Chroma(collection_name="textbook", embedding_function=TermsEmbeddings(assistant.embedder),
                            client=client, collection_metadata={"hnsw:space": "cosine"})
        self.store.add_documents(chunks)

    def run_case(self, case: dict, k: int) -> dict:
        started = time.perf_counter()
        query = " ".join([*(case.get("history") or [])[-1:], case["question"]])
        found = self.store.similarity_search_with_score(query, k=k)
        latency = (time.perf_counter() - started) * 1000
        passages = [{"rank": r, "label": f"{d.metadata['source_id']} chunk", "source_id": d.metadata["source_id"],
                     "text": d.page_content, "score": round(1 - float(s), 5), "id": f"tb{r}"}
                    for r, (d, s) in enumerate(found, 1)]
        top = passages[0] if passages else None
        return {"id": case["id"], "answer": top["text"] if top else "", "abstained": top is None,
                "citations": [{"label": top["label"], "source_id": top["source_id"], "quote": top["text"],
                               "passage_id": top["id"]}] if top else [],
                "passages": passages, "latency_ms": round(latency, 2)}
