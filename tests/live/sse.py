"""A small Server-Sent Events reader for tests: a thread parses the stream into a queue."""

from __future__ import annotations

import json
import queue
import threading
import time
from typing import Any

import httpx


class SSEReader:
    """Reads ``url`` as ``text/event-stream`` in a thread; ``next_event()`` pops parsed events
    (``{"event", "id", "data"}``; heartbeat comments are counted, not queued)."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.status: int | None = None
        self.heartbeats = 0
        self.error: BaseException | None = None
        self._client = httpx.Client(timeout=httpx.Timeout(30.0, read=30.0))
        self._stop = threading.Event()
        self._opened = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(url, headers or {}), daemon=True)
        self._thread.start()
        assert self._opened.wait(15), "the stream did not open"

    def _run(self, url: str, headers: dict[str, str]) -> None:
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                self.status = response.status_code
                self.content_type = response.headers.get("content-type", "")
                self._opened.set()
                if response.status_code != 200:
                    self.body = response.read().decode()
                    return
                event: dict[str, Any] = {}
                for line in response.iter_lines():
                    if self._stop.is_set():
                        return
                    if line == "":
                        if event:
                            self.events.put(event)
                        event = {}
                    elif line.startswith(":"):
                        self.heartbeats += 1
                    else:
                        key, _, value = line.partition(":")
                        value = value[1:] if value.startswith(" ") else value
                        if key == "data":
                            event["data"] = json.loads(value)
                        elif key in ("event", "id", "retry"):
                            event[key] = value
        except BaseException as exc:
            if not self._stop.is_set():
                self.error = exc
            self._opened.set()

    def next_event(self, timeout: float = 5.0, kind: str | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {kind or 'event'} within {timeout} s")
            event = self.events.get(timeout=left)
            if kind is None or event.get("event") == kind:
                return event

    def drain(self, wait: float = 0.5) -> list[dict[str, Any]]:
        time.sleep(wait)
        out = []
        while not self.events.empty():
            out.append(self.events.get_nowait())
        return out

    def close(self) -> None:
        self._stop.set()
        self._client.close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SSEReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
