"""The web chat (Gradio): one streaming generator, formatting from ``formatting``.

French labels by default, English on a toggle (the answers follow the language of
the question). Each answer shows its citation cards, its mode, and for an
abstention why and what to read; thumbs up/down with an optional comment land in
the audit log (exported at /api/feedback.csv, with the admin key: not from the page,
which anyone who may ask can open).

The conversation lives on the server (``gr.State``): each event sends only the new
question and the interface language, so a request stays small however long the
chat grows. Only the question is a public Gradio endpoint (``/ask``); the page's other
events are private.
"""
from __future__ import annotations

import json
from pathlib import Path

import gradio as gr

from terms.errors import BadQuestion, TermsError

from ..guard import check_comment
from . import formatting
from .runtime import Answered, NotReady, Runtime

UI = {
    "fr": {
        "title": "Assistant CGS",
        "subtitle": "Posez une question sur les conditions générales de service de High Connexion : "
                    "la réponse cite la clause exacte (article, intitulé, page).",
        "chat_tab": "Assistant",
        "docs_tab": "Documents",
        "chat": "Conversation",
        "placeholder": "Votre question, en français ou en anglais…",
        "question": "Question",
        "send": "Envoyer",
        "new": "Nouvelle conversation",
        "empty_question": "Écrivez d’abord votre question.",
        "too_long": "Votre question est trop longue pour être lue d’un bloc : résumez la situation en quelques "
                    "phrases, ou posez un point à la fois.",
        "examples": "Exemples de questions",
        "comment": "Un commentaire sur cette réponse ? (facultatif)",
        "send_comment": "Envoyer le commentaire",
        "thanks_up": "Merci pour votre retour 👍",
        "thanks_down": "Merci — dites-nous ce qui ne va pas 👎",
        "comment_saved": "Commentaire enregistré, merci.",
        "docs_intro": "Les documents du corpus : ceux qui sont indexés servent aux réponses ; "
                      "les autres sont référencés et l’assistant y renvoie.",
        "not_ready": "L’index est en cours de préparation ({stage}) : réessayez dans un instant.",
        "empty_chat": "Posez votre question sur les CGS. Chaque réponse cite la clause exacte.",
        "lang": "Langue de l’interface",
    },
    "en": {
        "title": "CGS Assistant",
        "subtitle": "Ask about High Connexion's general terms of service: every answer quotes the exact clause "
                    "(article, heading, page).",
        "chat_tab": "Assistant",
        "docs_tab": "Documents",
        "chat": "Conversation",
        "placeholder": "Your question, in French or English…",
        "question": "Question",
        "send": "Send",
        "new": "New conversation",
        "empty_question": "Type your question first.",
        "too_long": "Your question is too long to read in one go: sum up the situation in a few sentences, "
                    "or ask about one point at a time.",
        "examples": "Example questions",
        "comment": "A comment on this answer? (optional)",
        "send_comment": "Send comment",
        "thanks_up": "Thanks for your feedback 👍",
        "thanks_down": "Thanks — tell us what is wrong 👎",
        "comment_saved": "Comment saved, thank you.",
        "docs_intro": "The corpus: indexed documents are used for answers; the others are referenced and the "
                      "assistant points to them.",
        "not_ready": "The index is being prepared ({stage}): try again in a moment.",
        "empty_chat": "Ask your question about the CGS. Every answer quotes the exact clause.",
        "lang": "Interface language",
    },
}

# Each example with the CGS article its answer must cite (tests/test_ui.py asks them all).
EXAMPLES = {
    "fr": [
        ("Quel est le délai de paiement des factures ?", "3"),
        ("Quelles sont les pénalités en cas de retard de paiement ?", "3"),
        ("Quelle est la durée du contrat et comment le résilier ?", "2"),
        ("La responsabilité de High Connexion est-elle plafonnée ?", "5"),
    ],
    "en": [
        ("What is the payment term for invoices?", "3"),
        ("What are the penalties for late payment?", "3"),
        ("How long does the contract last and how can it be terminated?", "2"),
        ("What is the liability cap of High Connexion?", "5"),
    ],
}

# Answers arrive at the bottom of the chat: keep the start of the newest exchange (the
# question, then the quoted answer a salesperson copies) at the top of the view rather
# than the end of its last citation card.
SCROLL_JS = """() => { const show = () => { const chat = document.querySelector('#ta-chat'); if (!chat) return;
    const asked = chat.querySelectorAll('.ta-user'); const mine = asked[asked.length - 1]; if (!mine) return;
    const last = mine.closest('.message-row') || mine;
    let box = last.parentElement;
    while (box && box !== chat && !(box.scrollHeight > box.clientHeight + 1
           && /(auto|scroll)/.test(getComputedStyle(box).overflowY))) box = box.parentElement;
    if (box && box !== chat) box.scrollTop += last.getBoundingClientRect().top - box.getBoundingClientRect().top - 8; };
  requestAnimationFrame(show); setTimeout(show, 120); return []; }"""
# Each answer carries its copy text in a hidden element (built by formatting.copy_text;
# the chat's sanitizer drops data- attributes); one listener serves every copy button,
# and says so on the button once copied.
COPY_JS = """() => { if (window.__taCopy) return []; window.__taCopy = true;
  document.addEventListener('click', async (event) => {
    const button = event.target.closest && event.target.closest('.ta-copy-btn'); if (!button) return;
    const answer = button.closest('.ta-answer'); if (!answer) return;
    await navigator.clipboard.writeText(answer.querySelector('.ta-copy-text').textContent);
    const label = button.textContent; if (button.classList.contains('ta-copied')) return;
    button.textContent = '✓ ' + answer.querySelector('.ta-copy-done').textContent;
    button.classList.add('ta-copied');
    setTimeout(() => { button.textContent = label; button.classList.remove('ta-copied'); }, 2500); });
  return []; }"""
CSS = Path(__file__).with_name("ui.css")
# The chat fills the window below the header, tabs and question box (never under 320 px).
CHAT_HEIGHT = "max(320px, calc(100dvh - 300px))"


def _header(lang: str) -> str:
    t = UI[lang]
    return (f'<div class="ta-header"><div class="ta-logo">HC</div><div><h1>{formatting.text_html(t["title"])}</h1>'
            f'<p>{formatting.text_html(t["subtitle"])}</p></div></div>')


def _lang(lang: object) -> str:
    """The interface language a request names, French when it names none we have."""
    return lang if lang in UI else "fr"


def build_ui(runtime: Runtime) -> gr.Blocks:
    """The chat and the documents page, as one Blocks (queue configured by the caller)."""
    settings = runtime.settings

    def respond(message: str, chat: list, records: list, lang: str):
        lang = _lang(lang)
        if not (message or "").strip():  # nothing to answer: say so beside the box, in the interface's language
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), UI[lang]["empty_question"]
            return
        earlier = [r["question"] for r in records if r and r.get("role") == "user"]
        try:
            streamed = runtime.stream("ui", message or "", earlier)  # checks the question first
        except NotReady:
            raise gr.Error(UI[lang]["not_ready"].format(stage=runtime.stage)) from None
        except BadQuestion as exc:
            if not exc.too_long:
                raise gr.Error(str(exc)) from None
            # Said beside the box, in the interface's language; the text stays there to shorten.
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), UI[lang]["too_long"]
            return
        except TermsError as exc:
            raise gr.Error(str(exc)) from None
        question = streamed.question
        chat = chat + [{"role": "user", "content": formatting.user_html(question)},
                       {"role": "assistant", "content": formatting.partial_html("")}]
        records = records + [{"role": "user", "question": question}, None]
        text = ""
        for item in streamed:
            if isinstance(item, Answered):
                answer, urls = item.answer, item.urls
                chat[-1] = {"role": "assistant", "content": formatting.answer_html(answer, urls, lang)}
                records[-1] = {"role": "assistant", "answer_id": item.answer_id, "question": question,
                               "text": answer.text,
                               "citations": json.dumps(answer.to_dict()["citations"], ensure_ascii=False)}
                yield chat, chat, records, "", ""
                return
            text += item
            chat[-1] = {"role": "assistant", "content": formatting.partial_html(text)}
            yield chat, chat, records, "", ""

    def on_like(records: list, lang: str, like: gr.LikeData):
        lang = _lang(lang)
        index = like.index[0] if isinstance(like.index, (list, tuple)) else like.index
        record = records[index] if 0 <= index < len(records) else None
        if not record or record.get("role") != "assistant" or like.liked not in (True, False):
            return gr.skip(), gr.skip(), gr.skip()
        rating = "up" if like.liked else "down"
        feedback_id = runtime.audit.add_feedback(rating, record["question"], record["text"], record["citations"],
                                                 answer_id=record["answer_id"])
        record["feedback_id"] = feedback_id  # the comment box that opens belongs to this answer
        note = UI[lang]["thanks_up" if like.liked else "thanks_down"]
        return feedback_id, gr.update(visible=True), note

    def on_comment(feedback_id, comment: str, lang: str):
        lang = _lang(lang)
        if feedback_id is None or not isinstance(comment, str) or not comment.strip():
            return gr.skip(), gr.skip(), gr.skip()
        try:
            comment = check_comment(comment)
        except TermsError as exc:
            raise gr.Error(str(exc)) from None
        runtime.audit.set_comment(int(feedback_id), comment)
        return "", gr.update(visible=False), UI[lang]["comment_saved"]

    def new_conversation():
        return [], [], [], "", None, gr.update(visible=False), ""

    def documents_page(lang: str) -> str:
        lang = _lang(lang)
        try:
            rows = runtime.documents()
        except TermsError:
            return f'<p class="ta-muted">{formatting.text_html(UI[lang]["not_ready"].format(stage=runtime.stage))}</p>'
        return (f'<p class="ta-intro">{formatting.text_html(UI[lang]["docs_intro"])}</p>'
                + formatting.documents_html(rows, lang))

    def switch_language(lang: str):
        lang = _lang(lang)
        t = UI[lang]
        return (
            _header(lang),
            gr.update(label=t["chat"], placeholder=t["empty_chat"]),
            gr.update(label=t["question"], placeholder=t["placeholder"]),
            gr.update(value=t["send"]),
            gr.update(value=t["new"]),
            gr.update(label=t["comment"]),
            gr.update(value=t["send_comment"]),
            gr.update(label=t["examples"], samples=[[q] for q, _ in EXAMPLES[lang]]),
            documents_page(lang),
        )

    t = UI["fr"]
    with gr.Blocks(title="Assistant CGS — High Connexion", analytics_enabled=False) as demo:
        conversation = gr.State([])  # the chat's messages (HTML), kept here rather than sent each time
        records = gr.State([])
        feedback_id = gr.State(None)
        with gr.Row(elem_classes="ta-top"):
            header = gr.HTML(_header("fr"), elem_id="ta-header")
            lang = gr.Radio([("Français", "fr"), ("English", "en")], value="fr", show_label=False,
                            container=False, elem_id="ta-lang", scale=0, min_width=220)
        with gr.Tabs():
            with gr.Tab(t["chat_tab"], id="chat"):
                chatbot = gr.Chatbot(
                    label=t["chat"], elem_id="ta-chat", height=CHAT_HEIGHT, show_label=False, layout="bubble",
                    autoscroll=False,
                    placeholder=t["empty_chat"], latex_delimiters=[], sanitize_html=True, allow_tags=False,
                    buttons=[], feedback_options=("Like", "Dislike"),
                )
                # Right under the chat, next to the answer just rated.
                with gr.Row(visible=False, elem_classes="ta-feedback") as comment_row:
                    comment = gr.Textbox(label=t["comment"], lines=1, scale=6, elem_id="ta-comment", max_length=4000)
                    send_comment = gr.Button(t["send_comment"], size="sm", scale=1, elem_id="ta-send-comment")
                status = gr.Markdown("", elem_id="ta-status")
                with gr.Row(elem_classes="ta-ask"):
                    question = gr.Textbox(label=t["question"], placeholder=t["placeholder"], show_label=False,
                                          lines=1, max_lines=6, scale=8, elem_id="ta-question", autofocus=True,
                                          max_length=settings.max_question_chars, container=False)
                    send = gr.Button(t["send"], variant="primary", scale=1, min_width=110, elem_id="ta-send")
                with gr.Row(elem_classes="ta-tools"):
                    new = gr.Button(t["new"], size="sm", variant="secondary", elem_id="ta-new")
                examples = gr.Dataset(components=[question], samples=[[q] for q, _ in EXAMPLES["fr"]],
                                      label=t["examples"],
                                      elem_id="ta-examples", layout="gallery")
            with gr.Tab(t["docs_tab"], id="docs"):
                documents = gr.HTML(elem_id="ta-documents")

        private = {"api_visibility": "private"}
        gr.on([question.submit, send.click], respond, [question, conversation, records, lang],
              [chatbot, conversation, records, question, status], show_progress="hidden", api_name="ask")
        examples.click(lambda sample: sample[0], [examples], [question], **private)
        chatbot.like(on_like, [records, lang], [feedback_id, comment_row, status], **private)
        chatbot.change(None, None, None, js=SCROLL_JS, **private)
        gr.on([send_comment.click, comment.submit], on_comment, [feedback_id, comment, lang],
              [comment, comment_row, status], **private)
        cleared = [chatbot, conversation, records, question, feedback_id, comment_row, status]
        gr.on([new.click, chatbot.clear], new_conversation, None, cleared, **private)
        lang.change(switch_language, [lang],
                    [header, chatbot, question, send, new, comment, send_comment, examples, documents],
                    **private)
        demo.load(documents_page, [lang], [documents], **private)
        demo.load(None, None, None, js=COPY_JS, **private)
    return demo


def css() -> str:
    return CSS.read_text(encoding="utf-8")


def theme() -> gr.themes.Base:
    return gr.themes.Soft(primary_hue="indigo", neutral_hue="slate",
                          font=["Inter", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
                          font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"])

