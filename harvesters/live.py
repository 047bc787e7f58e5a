"""Live fetching shared by every source: pages prefetched in a background thread, and one
HTTP client per process. Each source's own fetch plan is in its module (harvesters.registry)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

from harvesters.http import Fetched, HttpClient, make_client


def prefetch(pages: Iterator[Fetched], depth: int = 2) -> Iterator[Fetched]:
    """Fetch the next pages in a background thread while the caller parses and stores.

    Exceptions of the fetcher are re-raised in the caller at the point they happened.
    """
    box: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def work() -> None:
        try:
            for page in pages:
                if stop.is_set():
                    return
                box.put(("page", page))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer thread
            box.put(("error", exc))
            return
        box.put(("done", done))

    thread = threading.Thread(target=work, name="papertally-fetch", daemon=True)
    thread.start()
    try:
        while True:
            kind, item = box.get()
            if kind == "page":
                yield item
            elif kind == "error":
                raise item
            else:
                return
    finally:
        stop.set()
        while thread.is_alive():
            try:
                box.get_nowait()
            except queue.Empty:
                thread.join(0.05)


_CLIENTS: dict[int, tuple[object, HttpClient]] = {}


def shared_client(settings) -> HttpClient:
    """One client per settings object (papertally's Settings: its [http] table) for the
    whole process, so that a source stopped by a spent budget stays stopped for the other
    venue-years of the run."""
    held = _CLIENTS.get(id(settings))
    if held is None or held[0] is not settings:
        held = (settings, make_client(settings))
        _CLIENTS[id(settings)] = held
    return held[1]
