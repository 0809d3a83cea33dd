"""Ingestion: documents are cleaned, split along their structure and indexed in Chroma.

The public face other layers use: ``run`` (ingest a corpus), ``Index``/``make_client``
(read the active generation), ``load_embedder``/``settings_embedder``, ``load`` (a
document's pages), ``read_manifest``/``is_present``.
"""
from .embeddings import Embedder, load_embedder, settings_embedder
from .loaders import load
from .manifest import is_present, read_manifest
from .pipeline import IngestReport, run
from .store import Index, make_client

__all__ = ["Embedder", "Index", "IngestReport", "is_present", "load", "load_embedder", "make_client", "read_manifest",
           "run", "settings_embedder"]
