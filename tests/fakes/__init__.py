"""Small working fakes of external services, speaking their real protocols.

A test module gets a running fake OpenAI-compatible endpoint with a fixture like::

    @pytest.fixture(scope="module")
    def fake_llm():
        server = start_fake_llm()
        yield server
        server.close()
"""
from .openai_server import (FakeOpenAI, Reply, echo, hang, http_error, malformed, obey_injections, prompt_text,
                            say, slow)


def start_fake_llm(default: Reply | None = None) -> FakeOpenAI:
    """A running fake OpenAI endpoint on a free loopback port (close it when done)."""
    return FakeOpenAI(default)


__all__ = ["FakeOpenAI", "Reply", "echo", "hang", "http_error", "malformed", "obey_injections", "prompt_text",
           "say", "slow", "start_fake_llm"]
