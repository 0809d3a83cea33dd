"""Answers and documents as chat HTML: pure functions, every outside string escaped.

Everything that comes from a document, a model or a user is passed through
``html.escape`` before it reaches the page; the only markup is the markup built
here. Links are rendered only for http(s) URLs of our own corpus manifest.

The chat renders its messages as markdown, so each message is one raw-HTML block:
a single ``<div>`` with no blank line inside, which markdown leaves alone.

>>> text_html("a <b> & c")
'a &lt;b&gt; &amp; c'
"""
from __future__ import annotations

import html
from collections.abc import Iterable, Mapping

from ..answer import Answer, Citation

LABELS = {
    "fr": {
        "sources": "Sources",
        "page": "p.",
        "pages": "p.",
        "article": "Article",
        "preamble": "Préambule",
        "read": "Lire la clause entière",
        "mode": "Mode",
        "extractive": "extractif (citations exactes)",
        "llm": "LLM (reformulé, citations vérifiées)",
        "definition": "Définition utile",
        "abstained": "Pas de réponse dans les documents indexés",
        "why": "Aucun passage des documents disponibles ne répond avec une confiance suffisante "
               "(confiance {confidence:.2f}, seuil 0.50).",
        "read_instead": "À consulter",
        "not_here": "document non disponible ici",
        "confidence": "confiance",
        "version": "version",
        "indexed": "Indexé",
        "absent": "Référencé, non disponible",
        "passages": "passages",
        "document": "Document",
        "status": "Statut",
        "link": "Lien",
        "writing": "Rédaction…",
    },
    "en": {
        "sources": "Sources",
        "page": "p.",
        "pages": "pp.",
        "article": "Article",
        "preamble": "Preamble",
        "read": "Read the whole clause",
        "mode": "Mode",
        "extractive": "extractive (exact quotes)",
        "llm": "LLM (rephrased, quotes checked)",
        "definition": "Useful definition",
        "abstained": "No answer in the indexed documents",
        "why": "No passage of the available documents answers with enough confidence "
               "(confidence {confidence:.2f}, threshold 0.50).",
        "read_instead": "Read instead",
        "not_here": "document not available here",
        "confidence": "confidence",
        "version": "version",
        "indexed": "Indexed",
        "absent": "Referenced, not available",
        "passages": "passages",
        "document": "Document",
        "status": "Status",
        "link": "Link",
        "writing": "Writing…",
    },
}


def labels(lang: str) -> dict[str, str]:
    return LABELS.get(lang, LABELS["fr"])


# -- small pieces -----------------------------------------------------------------
def text_html(text: str) -> str:
    """Escape text for HTML and keep its line breaks (a blank line would end the
    markdown HTML block, so newlines become ``<br>``)."""
    return html.escape(text or "", quote=True).replace("\r\n", "\n").replace("\n", "<br>")


def safe_url(url: str | None, allowed: Iterable[str]) -> str | None:
    """The URL if it is one of ours (listed in the manifest) and http(s), else None."""
    if not url or url not in set(allowed):
        return None
    return url if url.startswith(("https://", "http://")) else None


def link_html(url: str | None, text: str, allowed: Iterable[str]) -> str:
    """An external link for a manifest URL; plain escaped text for anything else."""
    ok = safe_url(url, allowed)
    if ok is None:
        return text_html(text)
    return (f'<a href="{html.escape(ok, quote=True)}" target="_blank" rel="noopener noreferrer">'
            f"{text_html(text)}</a>")


def highlight(passage: str, quote: str) -> str:
    """The passage as HTML with the quote wrapped in ``<mark>`` (both escaped first).

    >>> highlight("a <x> b", "<x>")
    'a <mark>&lt;x&gt;</mark> b'
    """
    if quote and passage:
        at = passage.find(quote)
        if at >= 0:
            return (text_html(passage[:at]) + "<mark>" + text_html(quote) + "</mark>"
                    + text_html(passage[at + len(quote):]))
    if quote and not passage:
        return "<mark>" + text_html(quote) + "</mark>"
    return text_html(passage)


def pages_text(pages: Iterable[int], lang: str = "fr") -> str:
    pages = list(pages)
    if not pages:
        return ""
    word = labels(lang)["pages" if len(pages) > 1 else "page"]
    return f"{word} {', '.join(map(str, pages))}"


# -- citations and answers --------------------------------------------------------
def citation_card(c: Citation, number: int, urls: Mapping[str, str], lang: str = "fr") -> str:
    """One citation as a card: document and version, article, heading, page, the quote
    highlighted in its passage, and the whole clause behind a <details>."""
    L = labels(lang)
    url = urls.get(c.doc_id)
    document = c.document + (f" · {c.version}" if c.version and c.version != c.document else "")
    if c.article:
        article = f"{L['article']} {c.article}" + (f" — {c.article_title}" if c.article_title else "")
    else:
        article = c.article_title or L["preamble"]
    meta = " · ".join(x for x in (c.heading, pages_text(c.pages, lang)) if x)
    passage = c.passage_text or c.quote
    excerpt = highlight(_around(passage, c.quote), c.quote)
    kind = " ta-card-support" if c.supporting else ""
    badge = f'<span class="ta-badge">{text_html(L["definition"])}</span>' if c.supporting else ""
    return (
        f'<div class="ta-card{kind}">'
        f'<div class="ta-card-head"><span class="ta-num">[{number}]</span>'
        f'<span class="ta-doc">{link_html(url, document, urls.values())}</span>{badge}</div>'
        f'<div class="ta-article">{text_html(article)}</div>'
        + (f'<div class="ta-meta">{text_html(meta)}</div>' if meta else "")
        + f'<blockquote class="ta-quote">{excerpt}</blockquote>'
        f'<details class="ta-clause"><summary>{text_html(L["read"])}</summary>'
        f'<div class="ta-clause-text">{highlight(passage, c.quote)}</div></details>'
        "</div>"
    )


def _around(passage: str, quote: str, margin: int = 160) -> str:
    """The quote with a little of its passage on each side, cut at word boundaries."""
    at = passage.find(quote) if quote else -1
    if at < 0 or len(passage) <= len(quote) + 2 * margin:
        return passage
    start, end = max(0, at - margin), min(len(passage), at + len(quote) + margin)
    if start > 0:
        start = passage.find(" ", start, at) + 1 or start
    if end < len(passage):
        space = passage.rfind(" ", at + len(quote), end)
        end = space if space > 0 else end
    return ("… " if start > 0 else "") + passage[start:end] + (" …" if end < len(passage) else "")


def answer_html(answer: Answer, urls: Mapping[str, str], lang: str = "fr") -> str:
    """A complete answer as one chat message: text, mode, notice, abstention reason,
    documents to read instead, and the citation cards."""
    L = labels(lang)
    parts = ['<div class="ta-answer">']
    if answer.abstained:
        parts.append(f'<div class="ta-abstain"><strong>{text_html(L["abstained"])}</strong>'
                     f'<div>{text_html(L["why"].format(confidence=answer.confidence))}</div></div>')
    parts.append(f'<div class="ta-text">{text_html(answer.text)}</div>')
    if answer.notice:
        parts.append(f'<div class="ta-notice">{text_html(answer.notice)}</div>')
    if answer.pointers:
        items = "".join(
            f"<li>{link_html(p.get('url'), p.get('title', p.get('id', '')), urls.values())}"
            f" <span class=\"ta-muted\">({text_html(L['not_here'])})</span></li>"
            for p in answer.pointers)
        parts.append(f'<div class="ta-pointers"><strong>{text_html(L["read_instead"])}</strong><ul>{items}</ul></div>')
    if answer.citations:
        cards = "".join(citation_card(c, i, urls, lang) for i, c in enumerate(answer.citations, 1))
        parts.append(f'<div class="ta-sources-title">{text_html(L["sources"])}</div><div class="ta-cards">{cards}</div>')
    mode = L.get(answer.mode, answer.mode)
    parts.append(f'<div class="ta-footer"><span class="ta-mode ta-mode-{html.escape(answer.mode)}">'
                 f'{text_html(L["mode"])} : {text_html(mode)}</span>'
                 f'<span class="ta-muted">{text_html(L["confidence"])} {answer.confidence:.2f} · '
                 f"{answer.latency_ms:.0f} ms</span></div>")
    parts.append("</div>")
    return "".join(parts)


def partial_html(text: str) -> str:
    """An answer still streaming in."""
    return f'<div class="ta-answer"><div class="ta-text ta-streaming">{text_html(text)}</div></div>'


def user_html(text: str) -> str:
    """What the user typed, shown as text."""
    return f'<div class="ta-user">{text_html(text)}</div>'


def sources_text(citations: Iterable[Citation], urls: Mapping[str, str]) -> str:
    """The plain-text sources list that ends answers outside the web chat.

    >>> sources_text([], {})
    ''
    """
    lines = []
    for i, c in enumerate(citations, 1):
        url = safe_url(urls.get(c.doc_id), urls.values())
        lines.append(f"[{i}] {c.label}" + (f" — {url}" if url else ""))
    return "\n\nSources:\n" + "\n".join(lines) if lines else ""


def plain_answer(answer: Answer, urls: Mapping[str, str]) -> str:
    """The answer as plain text with its sources (what "copy" puts on the clipboard)."""
    return answer.text + sources_text(answer.citations, urls)


# -- the corpus -------------------------------------------------------------------
def short_url(url: str, limit: int = 48) -> str:
    """A URL for display: no scheme, and the middle elided when long.

    >>> short_url("https://www.highconnexion.com/wp-content/uploads/CP_HighConnexion_Billing.pdf")
    'highconnexion.com/…/CP_HighConnexion_Billing.pdf'
    """
    bare = url.split("://", 1)[-1].removeprefix("www.").rstrip("/")
    if len(bare) <= limit or "/" not in bare:
        return bare
    host, _, rest = bare.partition("/")
    return f"{host}/…/{rest.rsplit('/', 1)[-1]}"


def documents_html(rows: list[Mapping], lang: str = "fr") -> str:
    """The corpus as a table: indexed (version, passages) or referenced but absent (link).

    ``rows`` are the dicts of ``/api/documents``.
    """
    L = labels(lang)
    urls = [r.get("url", "") for r in rows]
    body = []
    for r in rows:
        if r.get("indexed"):
            status = (f'<span class="ta-status ta-ok">{text_html(L["indexed"])}</span> '
                      f'<span class="ta-muted">{text_html(r.get("version") or "")} · '
                      f'{int(r.get("passages", 0))} {text_html(L["passages"])}</span>')
        else:
            status = f'<span class="ta-status ta-absent">{text_html(L["absent"])}</span>'
        link = link_html(r.get("url"), short_url(r.get("url", "")), urls) if r.get("url") else ""
        body.append(f"<tr><td><strong>{text_html(r.get('title', ''))}</strong>"
                    f"<div class=\"ta-muted\">{text_html(r.get('kind', ''))}</div></td>"
                    f"<td>{status}</td><td class=\"ta-link\">{link}</td></tr>")
    head = "".join(f"<th>{text_html(L[k])}</th>" for k in ("document", "status", "link"))
    return f'<table class="ta-docs"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
