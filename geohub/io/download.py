"""HTTP GETs that survive a flaky server.

``HttpClient`` retries, with exponential backoff and a bounded number of attempts, whatever a retry can
fix: connection errors, timeouts, broken transfers, HTTP 429 and 5xx (and ArcGIS's JSON-wrapped 5xx
errors). Anything else (a 404, an HTML page where JSON was expected) raises SourceError at once, with
a message naming the URL and what came back.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from geohub.errors import SourceError

_TRANSIENT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
              requests.exceptions.ContentDecodingError)
RETRY_HINT = ("The server may be down or overloaded: run the same command again later; "
              "whatever was already downloaded is kept and not fetched again.")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: ``attempts`` per request in all, waiting ``backoff`` seconds before the second,
    doubling each time, never more than ``max_wait`` (a server's Retry-After is honoured up to that)."""

    attempts: int = 5
    backoff: float = 0.5
    max_wait: float = 30.0
    timeout: tuple[float, float] = (10.0, 120.0)  # connect, read

    def wait(self, retry: int, retry_after: str | None = None) -> float:
        seconds = self.backoff * 2 ** (retry - 1)
        if retry_after and retry_after.strip().isdigit():
            seconds = max(seconds, float(retry_after))
        return min(seconds, self.max_wait)


DEFAULT_POLICY = RetryPolicy()


class _Retry(Exception):
    """A failure worth another attempt; ``reason`` goes into the final message."""

    def __init__(self, reason: str, retry_after: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def _snippet(response: requests.Response) -> str:
    text = response.text[:80].strip().replace("\n", " ")
    return f"{response.headers.get('Content-Type', 'no content type')}, starting {text!r}"


class HttpClient:
    """GET with retries. ``sleep`` is injectable so that callers can wait differently."""

    def __init__(self, session: requests.Session | None = None, policy: RetryPolicy | None = None,
                 sleep=time.sleep):
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", "geohub (ONS boundary fetcher)")
        self.policy = policy or DEFAULT_POLICY
        self._sleep = sleep

    def _retrying(self, attempt_once, url: str, what: str):
        last: _Retry | None = None
        for attempt in range(self.policy.attempts):
            if last is not None:
                self._sleep(self.policy.wait(attempt, last.retry_after))
            try:
                return attempt_once()
            except _Retry as retry:
                last = retry
        raise SourceError(f"{what}: {url} failed {self.policy.attempts} times; the last answer was "
                          f"{last.reason}.", RETRY_HINT)

    def _get(self, url: str, params: dict | None, what: str, stream: bool = False) -> requests.Response:
        try:
            response = self.session.get(url, params=params, timeout=self.policy.timeout, stream=stream)
        except _TRANSIENT as exc:
            raise _Retry(f"{type(exc).__name__} ({exc})") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise _Retry(f"HTTP {response.status_code} {response.reason or ''}".rstrip(),
                         response.headers.get("Retry-After"))
        if response.status_code >= 400:
            raise SourceError(f"{what}: {response.url} answered HTTP {response.status_code} "
                              f"{response.reason or ''}".rstrip() + ".",
                              "Check the source URL and the dataset's service name in the catalogue.")
        return response

    def get_json(self, url: str, params: dict | None = None, *, what: str):
        """The parsed JSON body of ``url``; SourceError if the answer is not JSON or is an ArcGIS
        error that a retry cannot fix."""
        def once():
            response = self._get(url, params, what)
            try:
                data = response.json()
            except ValueError as exc:
                raise SourceError(f"{what}: {response.url} did not answer JSON ({_snippet(response)}).",
                                  "Check that the source is an ArcGIS REST services URL, e.g. "
                                  "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services.") from exc
            error = data.get("error") if isinstance(data, dict) else None
            if isinstance(error, dict):
                # ArcGIS reports failures as HTTP 200 with {"error": {"code": ..., "message": ...}}.
                code, message = error.get("code"), error.get("message") or "no message"
                if isinstance(code, int) and (code == 429 or code >= 500):
                    raise _Retry(f"ArcGIS error {code} ({message})")
                raise SourceError(f"{what}: the server refused the request: {message} (code {code}).",
                                  "Check the dataset's service name and layer in the catalogue.")
            return data
        return self._retrying(once, url, what)

    def get_file(self, url: str, dest: Path, *, what: str) -> Path:
        """Download ``url`` to ``dest``. The body goes to ``dest.part`` first, so ``dest`` only ever
        exists complete and a re-run after an interruption can tell."""
        dest = Path(dest)
        part = dest.with_name(dest.name + ".part")

        def once():
            with self._get(url, None, what, stream=True) as response:
                try:
                    with part.open("wb") as fh:
                        for chunk in response.iter_content(1 << 16):
                            fh.write(chunk)
                except _TRANSIENT as exc:
                    raise _Retry(f"{type(exc).__name__} ({exc})") from exc
            os.replace(part, dest)
            return dest
        return self._retrying(once, url, what)
