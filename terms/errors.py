"""The project's one exception family, translated at each edge (CLI, HTTP, UI)."""


class TermsError(Exception):
    """Base class: a message fit to show a user."""


class DocumentError(TermsError):
    """A document could not be read; names the file and the reason."""

    def __init__(self, file: str, reason: str):
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason


class IngestBusy(TermsError):
    """Another ingest holds the writer lock."""


class IndexMissing(TermsError):
    """No index has been built yet."""


class BadQuestion(TermsError):
    """The question was refused before any model work (empty, too long, …).

    ``too_long``: refused for its length alone (the chat then asks to shorten it)."""

    def __init__(self, message: str, too_long: bool = False):
        super().__init__(message)
        self.too_long = too_long
