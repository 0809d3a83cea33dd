"""Ingestion: documents are cleaned, split along their structure and indexed in Chroma."""
import os

# Chroma and Hugging Face must never phone home: these machines are offline.
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from .errors import BadQuestion, DocumentError, IndexMissing, IngestBusy, TermsError  # noqa: E402
from .records import DocumentInfo, Page, Passage, Sentence  # noqa: E402
from .settings import Settings  # noqa: E402

__all__ = ["BadQuestion", "DocumentError", "DocumentInfo", "IndexMissing", "IngestBusy", "Page", "Passage",
           "Sentence", "Settings", "TermsError"]
