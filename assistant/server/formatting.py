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
import re
from collections.abc import Iterable, Mapping

from ..answer import LIST_ITEM, Answer, Citation

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
        "context": "Contexte",
        "abstained": "Pas de réponse dans les documents indexés",
        "why": "Aucune clause des documents disponibles ne répond à cette question ; "
               "reformulez-la ou consultez les documents ci-dessous.",
        "why_alone": "Aucune clause des documents disponibles ne répond à cette question ; reformulez-la si elle "
                     "porte sur les conditions de service.",
        "why_not_given": "Les documents disponibles abordent le sujet mais ne donnent pas ce qui est demandé ; "
                         "la clause la plus proche est citée pour contexte, pas comme réponse.",
        "line": "seuil",
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
        "details": "Détails techniques",
        "copy": "Copier la réponse",
        "copied": "Réponse copiée",
        "source": "Source",
        "sources_colon": "Sources",
        "page_word": "page",
        "pages_word": "pages",
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
        "context": "Context",
        "abstained": "No answer in the indexed documents",
        "why": "No clause of the available documents answers this question; "
               "rephrase it or read the documents below.",
        "why_alone": "No clause of the available documents answers this question; rephrase it if it is about "
                     "the terms of service.",
        "why_not_given": "The available documents touch the topic but do not give what is asked; "
                         "the nearest clause is quoted as context, not as the answer.",
        "line": "threshold",
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
        "details": "Technical details",
        "copy": "Copy the answer",
        "copied": "Answer copied",
        "source": "Source",
        "sources_colon": "Sources",
        "page_word": "page",
        "pages_word": "pages",
    },
}


# The manifest's document kinds, as the interface names them.
KINDS = {
    "fr": {
        "general conditions": "conditions générales",
        "specific conditions: marketing": "conditions spécifiques : marketing",
        "specific conditions: billing": "conditions spécifiques : billing",
        "data processing agreement": "contrat de traitement de données",
        "code of conduct": "code de conduite",
        "charter": "charte",
        "general": "document",
    },
    "en": {"general": "document"},
}


def labels(lang: str) -> dict[str, str]:
    return LABELS.get(lang, LABELS["fr"])


def kind_text(kind: str, lang: str = "fr") -> str:
    """A manifest kind in the interface language (an unknown kind is shown as written).

    >>> kind_text("charter", "fr"), kind_text("charter", "en")
    ('charte', 'charter')
    """
    return KINDS.get(lang, {}).get(kind, kind)


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


def highlight(passage: str, quotes: str | Iterable[str]) -> str:
    """The passage as HTML with each quote wrapped in ``<mark>`` (all escaped first).

    >>> highlight("a <x> b", "<x>")
    'a <mark>&lt;x&gt;</mark> b'
    """
    quotes = [quotes] if isinstance(quotes, str) else [q for q in quotes if q]
    spans = sorted((passage.find(q), passage.find(q) + len(q)) for q in quotes if passage and passage.find(q) >= 0)
    if spans:
        out, last = [], 0
        for a, b in spans:
            if a < last:  # overlapping quotes share one mark
                if b > last:
                    out[-1] = out[-1][:-len("</mark>")] + text_html(passage[last:b]) + "</mark>"
                    last = b
                continue
            out.append(text_html(passage[last:a]))
            out.append("<mark>" + text_html(passage[a:b]) + "</mark>")
            last = b
        out.append(text_html(passage[last:]))
        return "".join(out)
    if quotes and not passage:
        return "".join("<mark>" + text_html(q) + "</mark>" for q in quotes)
    return text_html(passage)


def pages_text(pages: Iterable[int], lang: str = "fr") -> str:
    pages = list(pages)
    if not pages:
        return ""
    word = labels(lang)["pages" if len(pages) > 1 else "page"]
    return f"{word} {', '.join(map(str, pages))}"


# -- citations and answers --------------------------------------------------------
# A list item (``LIST_ITEM``) or a sentence caught mid-way (lowercase) needs its lead-in.
_SENTENCE_END = re.compile(r"[.!?;]\s|\n")
# Replies not drawn from a clause (a greeting, a task asked of the chat): no abstention box,
# and no confidence, which at 0 would read as a failed answer.
NOT_FROM_A_CLAUSE = ("no_question", "task")


def with_lead_in(passage: str, quote: str) -> str:
    """The quote, preceded by the sentence that leads into it when it cannot stand alone
    (a list item, or a sentence starting lowercase); always a verbatim slice of the passage.

    >>> with_lead_in("Le Prestataire propose :\\n- Messaging (SMS)\\n- Billing", "- Billing")
    'Le Prestataire propose :\\n- Messaging (SMS)\\n- Billing'
    >>> with_lead_in("Les factures sont payables. Le délai court.", "Le délai court.")
    'Le délai court.'
    """
    at = passage.find(quote) if quote else -1
    if at <= 0:
        return quote
    item = bool(LIST_ITEM.match(quote))
    if not item and not quote.lstrip()[:1].islower():
        return quote
    cut = at
    if item:  # a list's lead-in ends with a colon before its first item
        colon = passage.rfind(":", 0, at)
        if colon < 0:
            return quote
        cut = colon
    ends = list(_SENTENCE_END.finditer(passage, 0, cut))
    start = ends[-1].end() if ends else 0
    while start < at and passage[start].isspace():
        start += 1
    return passage[start:at + len(quote)]


def merged_citations(citations: Iterable[Citation]) -> list[tuple[Citation, list[str]]]:
    """One entry per passage (clause), in first-cited order, with all its quotes, each
    carrying its lead-in, and none repeated or contained in another."""
    groups: dict[str, tuple[Citation, list[str]]] = {}
    for c in citations:
        key = c.passage_id or f"{c.doc_id}:{c.quote}"
        first, quotes = groups.setdefault(key, (c, []))
        quote = with_lead_in(c.passage_text, c.quote)
        if not quote or any(quote in q for q in quotes):
            continue
        quotes[:] = [q for q in quotes if q not in quote] + [quote]
        if first.supporting and not c.supporting:  # the clause answers, so its card is an answer card
            groups[key] = (c, quotes)
    return list(groups.values())


def _where(c: Citation, lang: str) -> str:
    L = labels(lang)
    if c.article:
        return f"{L['article']} {c.article}" + (f" — {c.article_title}" if c.article_title else "")
    return c.article_title or L["preamble"]


def citation_card(c: Citation, number: int, urls: Mapping[str, str], lang: str = "fr",
                  quotes: list[str] | None = None, support: str = "definition") -> str:
    """One clause as a card: document and version, article, heading, page, its quotes
    highlighted in the passage, and the whole clause behind a <details>. A supporting clause
    is badged ``support``: a definition beside an answer, or the nearest clause shown as
    context when the terms do not give what was asked."""
    L = labels(lang)
    quotes = quotes if quotes is not None else [c.quote]
    url = urls.get(c.doc_id)
    document = c.document + (f" · {c.version}" if c.version and c.version != c.document else "")
    meta = " · ".join(x for x in (c.heading, pages_text(c.pages, lang)) if x)
    passage = c.passage_text or " ".join(quotes)
    excerpt = highlight(_around(passage, quotes), quotes)
    kind = " ta-card-support" if c.supporting else ""
    badge = f'<span class="ta-badge">{text_html(L[support])}</span>' if c.supporting else ""
    return (
        f'<div class="ta-card{kind}">'
        f'<div class="ta-card-head"><span class="ta-num">[{number}]</span>'
        f'<span class="ta-doc">{link_html(url, document, urls.values())}</span>{badge}</div>'
        f'<div class="ta-article">{text_html(_where(c, lang))}</div>'
        + (f'<div class="ta-meta">{text_html(meta)}</div>' if meta else "")
        + f'<blockquote class="ta-quote">{excerpt}</blockquote>'
        f'<details class="ta-clause"><summary>{text_html(L["read"])}</summary>'
        f'<div class="ta-clause-text">{highlight(passage, quotes)}</div></details>'
        "</div>"
    )


def _around(passage: str, quotes: str | list[str], margin: int = 160) -> str:
    """The quotes with a little of their passage on each side, cut at word boundaries."""
    quotes = [quotes] if isinstance(quotes, str) else quotes
    found = [(passage.find(q), len(q)) for q in quotes if q and passage.find(q) >= 0]
    if not found:
        return passage
    at = min(a for a, _ in found)
    stop = max(a + n for a, n in found)
    if len(passage) <= stop - at + 2 * margin:
        return passage
    start, end = max(0, at - margin), min(len(passage), stop + margin)
    if start > 0:
        start = passage.find(" ", start, at) + 1 or start
    if end < len(passage):
        space = passage.rfind(" ", stop, end)
        end = space if space > 0 else end
    return ("… " if start > 0 else "") + passage[start:end] + (" …" if end < len(passage) else "")


def linked_text(text: str, urls: Mapping[str, str]) -> str:
    """Text as HTML with our manifest URLs turned into links (longest first, so a
    document's URL is not cut at the site's home page).

    >>> linked_text("voir https://a.fr/x.pdf", {"x": "https://a.fr/x.pdf"})
    'voir <a href="https://a.fr/x.pdf" target="_blank" rel="noopener noreferrer">https://a.fr/x.pdf</a>'
    """
    known = sorted({u for u in urls.values() if safe_url(u, urls.values())}, key=len, reverse=True)
    if not known or not text:
        return text_html(text)
    pattern = re.compile("|".join(re.escape(u) for u in known))
    out, last = [], 0
    for m in pattern.finditer(text):
        out.append(text_html(text[last:m.start()]))
        out.append(link_html(m.group(0), m.group(0), known))
        last = m.end()
    out.append(text_html(text[last:]))
    return "".join(out)


def answer_html(answer: Answer, urls: Mapping[str, str], lang: str = "fr") -> str:
    """A complete answer as one chat message, in the answer's own language: text,
    notice, abstention reason, documents to read instead, one card per cited clause,
    a copy button, and the mode and confidence behind a <details>.

    ``lang`` (the interface language) is used only when the answer has no known language.
    """
    lang = answer.language if answer.language in LABELS else lang
    L = labels(lang)
    parts = ['<div class="ta-answer">']
    # A document the text already links to is not listed a second time.
    pointers = [p for p in answer.pointers if not (p.get("url") and p["url"] in answer.text)]
    if answer.abstained and answer.reason not in NOT_FROM_A_CLAUSE:
        # ("the documents below" only when some are listed below)
        why = "why_not_given" if answer.reason == "not_given" else "why" if pointers else "why_alone"
        parts.append(f'<div class="ta-abstain"><strong>{text_html(L["abstained"])}</strong>'
                     f'<div>{text_html(L[why])}</div></div>')
    parts.append(f'<div class="ta-text">{linked_text(answer.text, urls)}</div>')
    if answer.notice:
        parts.append(f'<div class="ta-notice">{text_html(answer.notice)}</div>')
    if pointers:
        items = "".join(
            f"<li>{link_html(p.get('url'), p.get('title', p.get('id', '')), urls.values())}"
            f" <span class=\"ta-muted\">({text_html(L['not_here'])})</span></li>"
            for p in pointers)
        parts.append(f'<div class="ta-pointers"><strong>{text_html(L["read_instead"])}</strong><ul>{items}</ul></div>')
    groups = merged_citations(answer.citations)
    if groups:
        support = "context" if answer.abstained else "definition"
        cards = "".join(citation_card(c, i, urls, lang, quotes, support) for i, (c, quotes) in enumerate(groups, 1))
        parts.append(f'<div class="ta-sources-title">{text_html(L["sources"])}</div><div class="ta-cards">{cards}</div>')
    # Newlines as character references: a blank line would end the markdown HTML block.
    copy = html.escape(copy_text(answer, urls), quote=True).replace("\r", "").replace("\n", "&#10;")
    mode = L.get(answer.mode, answer.mode)
    confidence = "" if answer.reason in NOT_FROM_A_CLAUSE else (
        f'{text_html(L["confidence"])} {answer.confidence:.2f}'
        f'{" (" + text_html(L["line"]) + " 0.50)" if answer.abstained else ""} · ')
    # The chat's sanitizer drops data- attributes: the text to copy rides in hidden elements.
    parts.append(
        f'<div class="ta-actions"><button type="button" class="ta-copy-btn">{text_html(L["copy"])}</button>'
        f'<span class="ta-copy-done">{text_html(L["copied"])}</span><pre class="ta-copy-text">{copy}</pre></div>'
        f'<details class="ta-footer"><summary>{text_html(L["details"])}</summary>'
        f'<span class="ta-mode ta-mode-{html.escape(answer.mode)}">{text_html(L["mode"])} : {text_html(mode)}</span> '
        f'<span class="ta-muted">{confidence}{answer.latency_ms:.0f} ms</span></details>')
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


def copy_text(answer: Answer, urls: Mapping[str, str]) -> str:
    """What an answer's copy button puts on the clipboard, ready to paste into an email
    to a customer, in the answer's language: the answer (its quotes verbatim), then each
    cited clause with its document's title, version, article, page and link.

    The CGS's manifest link is the company's home page: that is its link.
    """
    L = labels(answer.language)
    lines = []
    groups = merged_citations(answer.citations)
    for c, quotes in groups:
        pages = f"{L['pages_word' if len(c.pages) > 1 else 'page_word']} {', '.join(map(str, c.pages))}"
        where = _where(c, answer.language) + (f" ({c.heading})" if c.heading else "")
        version = f" ({L['version']} {c.version})" if c.version and c.version != c.document else ""
        url = safe_url(urls.get(c.doc_id), urls.values())
        head = f"- {c.document}{version}, {where}" + (f", {pages}" if c.pages else "")
        lines.append(head + (f"\n  {url}" if url else ""))
        if answer.mode != "extractive" or c.supporting:  # the text does not already hold these words
            lines.extend(f"  « {q} »" for q in quotes)
    if not lines:
        return answer.text
    title = L["sources_colon"] if len(groups) > 1 else L["source"]
    return f"{answer.text}\n\n{title} :\n" + "\n".join(lines)


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
                    f"<div class=\"ta-muted\">{text_html(kind_text(r.get('kind', ''), lang))}</div></td>"
                    f"<td>{status}</td><td class=\"ta-link\">{link}</td></tr>")
    head = "".join(f"<th>{text_html(L[k])}</th>" for k in ("document", "status", "link"))
    return f'<table class="ta-docs"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
