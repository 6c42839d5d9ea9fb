"""Optional phrasing of answers by an OpenAI-compatible chat endpoint (off unless configured).

Retrieval comes first: Liaison finds the records and builds its template answer as always; only then,
if `LIAISON_LLM_BASE_URL` and `LIAISON_LLM_MODEL` are set, the question and those records (nothing
else: no other projects, no profiles) go to the endpoint with the instruction to answer from them
alone and cite their ids. A reply that cites none of the records, is empty or too long, or any error
or timeout, means the template answer is used. Plain `urllib`, no new dependency.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
MAX_REPLY_CHARS = 1500
SYSTEM_PROMPT = (
    "You are Liaison, the coordination assistant of a research alliance. Answer the user's question "
    "using ONLY the records given. Be short and factual: at most four sentences. Keep dates and times "
    "exactly as written in the records. Cite every record you use by its id in square brackets, e.g. "
    "[key-2]. If the records do not answer the question, say so. Never add names, dates, numbers "
    "or projects that are not in the records."
)


@dataclass(frozen=True)
class LlmPhraser:
    """A client for `POST {base_url}/chat/completions`.

    Attributes:
        base_url: The API base, e.g. ``http://127.0.0.1:8080/v1``.
        model: The model name the endpoint expects.
        api_key: Sent as a bearer token when set.
        timeout: Seconds to wait for the reply.
    """

    base_url: str
    model: str
    api_key: str | None = None
    timeout: float = DEFAULT_TIMEOUT

    def phrase(self, question: str, records: str, cited: Sequence[str]) -> str | None:
        """Ask for an answer to `question` from `records`; None means "use the template answer".

        Args:
            question: The asker's question.
            records: The retrieved records as plain text (the template answer, times already local).
            cited: Record ids the reply should cite (at least one of them, if any are given).

        Returns:
            The phrasing, or None on any error or an unusable reply.
        """
        body = {
            "model": self.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": f"Question: {question}\n\nRecords:\n{records}"},
            ],
        }
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(
            self.base_url.rstrip("/") + "/chat/completions",
            data=json.dumps(body).encode("utf-8"),
            headers=headers,
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = json.loads(response.read().decode("utf-8"))
            content = payload["choices"][0]["message"]["content"]
        except (urllib.error.URLError, TimeoutError, OSError, ValueError, KeyError, IndexError, TypeError):
            logger.warning("LLM phrasing failed; using the template answer", exc_info=True)
            return None
        if not isinstance(content, str):
            return None
        text = content.strip()
        if not text or len(text) > MAX_REPLY_CHARS:
            return None
        if cited and not any(re.search(rf"\b{re.escape(ref)}\b", text, re.IGNORECASE) for ref in cited):
            logger.info("LLM reply cited none of the records; using the template answer")
            return None
        return text
