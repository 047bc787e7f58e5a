"""The one HTTP session every fetcher uses: timeouts, polite retries, counters and a disk cache."""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

from papertally.errors import HarvestError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Connection failures that will not heal within a retry: no DNS, no route. Retrying them
# with backoff only makes an offline run slow before it falls back to its sample files.
_HOPELESS = (
    "NameResolutionError",
    "Name or service not known",
    "nodename nor servname",
    "Temporary failure in name resolution",
    "No address associated",
    "getaddrinfo",
)
_UNREACHABLE = ("Network is unreachable", "No route to host")
# Refused connections: the host is there but nothing listens (or a firewall rejects).
# Worth one short retry (a service restarting), not a long backoff.
_REFUSED = ("Connection refused", "ConnectionRefusedError")


class QuotaExhausted(HarvestError):
    """The source refuses more requests for a long time (a spent daily budget): stop it."""


class Unreachable(HarvestError):
    """No connection to the host at all (no DNS, no route, refused): the machine is offline
    or the base_url is wrong. Callers that can do without the source say "offline"."""


class NotFound(HarvestError):
    """HTTP 404: the source has no such thing (a DOI OpenAlex does not know, a wrong URL)."""


@dataclass
class HttpStats:
    """Requests made and bytes downloaded (bodies as received), since the client was made."""

    requests: int = 0
    bytes: int = 0
    not_modified: int = 0
    retries: int = 0

    def since(self, before: HttpStats) -> HttpStats:
        return HttpStats(
            self.requests - before.requests,
            self.bytes - before.bytes,
            self.not_modified - before.not_modified,
            self.retries - before.retries,
        )

    def copy(self) -> HttpStats:
        return HttpStats(self.requests, self.bytes, self.not_modified, self.retries)


@dataclass(frozen=True)
class Fetched:
    """One response body: where from, its text, and whether it came from the cache (304)."""

    url: str
    text: str
    status: int
    from_cache: bool = False
    headers: dict = field(default_factory=dict)
    # The body already decoded as JSON, when the fetcher had to read it (a cursor), so
    # that the parser does not decode the same megabytes twice. None otherwise.
    document: object = field(default=None, compare=False, repr=False)
    # A binary download (get(..., max_bytes=N)): the bytes as received, at most N + 1 of
    # them, and whether the body was longer than N (then only its start was read).
    content: bytes | None = field(default=None, compare=False, repr=False)
    over_cap: bool = False


def _read_capped(resp: requests.Response, max_bytes: int) -> bool:
    """Read a streamed body up to max_bytes + 1 bytes into resp; True when it was longer."""
    chunks: list[bytes] = []
    n = 0
    over = False
    try:
        announced = int(resp.headers.get("Content-Length", ""))
    except ValueError:
        announced = None
    if announced is not None and announced > max_bytes:
        resp._content = b""  # the server says it is too long: read none of it
        resp._content_consumed = True
        resp.close()
        return True
    for chunk in resp.iter_content(min(64 * 1024, max_bytes + 1)):
        chunks.append(chunk)
        n += len(chunk)
        if n > max_bytes:
            over = True
            break
    resp._content = b"".join(chunks)  # what resp.content returns from now on
    resp._content_consumed = True
    resp.close()
    return over


class DiskCache:
    """Raw responses on disk, one body and one JSON sidecar (URL, validators, dates) per URL."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.warned = False

    def _paths(self, source: str, key: str) -> tuple[Path, Path]:
        digest = hashlib.sha1(key.encode()).hexdigest()[:24]
        folder = self.root / source
        return folder / f"{digest}.body", folder / f"{digest}.json"

    def get(self, source: str, key: str) -> tuple[dict, str] | None:
        """The sidecar and body stored under `key`, or None (missing or unreadable)."""
        body, meta = self._paths(source, key)
        try:
            return json.loads(meta.read_text(encoding="utf-8")), body.read_text(
                encoding="utf-8"
            )
        except (OSError, ValueError):
            return None

    def put(self, source: str, key: str, text: str, meta: dict) -> None:
        """Store a body and its sidecar atomically (write, then rename). The cache only
        saves work: a folder that cannot be written is reported once and skipped."""
        body, side = self._paths(source, key)
        try:
            body.parent.mkdir(parents=True, exist_ok=True)
            # The sidecar goes last: a body without its sidecar is never used.
            for path, content in (
                (body, text),
                (side, json.dumps(meta, ensure_ascii=False, indent=1)),
            ):
                # Unique per thread: two runs may save the same URL at once.
                tmp = path.with_name(
                    f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp"
                )
                tmp.write_text(content, encoding="utf-8")
                os.replace(tmp, path)
        except OSError as exc:
            if not self.warned:
                self.warned = True
                print(
                    f"warning: HTTP cache {self.root} not writable ({exc.strerror or exc}); "
                    "harvesting without it (set [http] cache_dir)",
                    file=sys.stderr,
                )

    def touch(self, source: str, key: str, **changes) -> None:
        """Update a sidecar's fields (e.g. the date a 304 re-validated it)."""
        found = self.get(source, key)
        if found:
            meta, text = found
            self.put(source, key, text, {**meta, **changes})


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _budget_spent(resp: requests.Response) -> bool:
    """OpenAlex-style signs that a 429 is a spent budget rather than a burst limit."""
    for header in ("x-ratelimit-remaining-usd", "x-ratelimit-remaining"):
        value = resp.headers.get(header)
        try:
            if value is not None and float(value) <= 0:
                return True
        except ValueError:
            pass
    text = resp.text[:500].lower() if resp.content else ""
    return "budget" in text or "daily" in text or "quota" in text


class HttpClient:
    """A requests.Session with papertally's policy: User-Agent with a contact address,
    timeouts, retries with exponential backoff on 429/5xx/connection errors honouring
    Retry-After, request and byte counters, and optional conditional requests against a
    disk cache. `sleep` is injectable so tests run the backoff instantly."""

    def __init__(
        self,
        *,
        contact_email: str,
        timeout: float = 30.0,
        max_retries: int = 4,
        backoff: float = 1.0,
        max_retry_wait: float = 120.0,
        cache_dir: str | Path | None = None,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
    ):
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = (
            f"papertally/0.1 (+https://github.com/papertally; mailto:{contact_email})"
        )
        self.session.headers["Accept-Encoding"] = "gzip, deflate"
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_retry_wait = max_retry_wait
        self.cache = DiskCache(cache_dir) if cache_dir else None
        self.sleep = sleep
        self.stats = HttpStats()
        # source -> why it was stopped for the rest of this process (a spent budget).
        self.stopped: dict[str, str] = {}

    def child(self) -> HttpClient:
        """A client sharing this one's session, policy, cache and stopped sources but with
        its own counters: one per harvest run, so that runs in parallel count apart."""
        other = object.__new__(HttpClient)
        other.__dict__.update(self.__dict__)
        other.stats = HttpStats()
        return other

    def get(
        self,
        url: str,
        *,
        source: str,
        what: str = "",
        params: dict | None = None,
        headers: dict | None = None,
        conditional: bool = False,
        cache_key: str | None = None,
        max_bytes: int | None = None,
    ) -> Fetched:
        """GET `url` with retries; return its body as text.

        Args:
            url: the URL (query in `params` or already in the URL).
            source: source name, for error messages and the cache folder.
            what: the venue-year or item asked for, for error messages ("CVPR 2024").
            params: query parameters.
            headers: extra request headers (e.g. Authorization), never cached or logged.
            conditional: send If-None-Match/If-Modified-Since from the cached copy and
                return the cached body on 304 Not Modified.
            cache_key: key of the cached copy (default: the full URL).
            max_bytes: a binary download (a PDF): the body is streamed, read up to
                max_bytes + 1 bytes and returned in `content` (text ""), never cached on
                disk; `over_cap` says it was longer.

        Raises:
            QuotaExhausted: a 429 whose wait is longer than max_retry_wait or that says the
                budget is spent; the source is remembered in `stopped`.
            HarvestError: any other failure after the retries, naming source, `what` and URL.
        """
        prefix = f"{what}: " if what else ""
        stopped = self.stopped_reason(source)
        if stopped:
            raise QuotaExhausted(f"{prefix}{stopped}", source=source, url=url)
        full_url = requests.Request("GET", url, params=params).prepare().url or url
        key = cache_key or full_url
        cached = self.cache.get(source, key) if (self.cache and conditional) else None
        send = dict(headers or {})
        if cached:
            meta = cached[0]
            if meta.get("etag"):
                send["If-None-Match"] = meta["etag"]
            if meta.get("last_modified"):
                send["If-Modified-Since"] = meta["last_modified"]
        attempts = self.max_retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                resp = self.session.get(
                    full_url, headers=send, timeout=self.timeout, stream=max_bytes is not None
                )
            except requests.Timeout:
                self.stats.requests += 1
                problem = f"no answer within {self.timeout:g} s (timeout)"
                if last:
                    raise HarvestError(
                        f"{prefix}{problem} after {attempts} attempt(s); retry later or raise "
                        "[http] timeout_seconds",
                        source=source,
                        url=full_url,
                    ) from None
                self._wait(self.backoff * 2**attempt)
                continue
            except (
                requests.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                self.stats.requests += 1
                detail = str(exc)
                if any(h in detail for h in _HOPELESS):
                    raise Unreachable(
                        f"{prefix}host not found (DNS lookup failed): no network, or a wrong "
                        "base_url in config",
                        source=source,
                        url=full_url,
                    ) from None
                if any(h in detail for h in _UNREACHABLE):
                    raise Unreachable(
                        f"{prefix}network unreachable: no network or no route to the host",
                        source=source,
                        url=full_url,
                    ) from None
                if any(h in detail for h in _REFUSED):
                    if attempt >= 1:
                        raise Unreachable(
                            f"{prefix}connection refused (tried twice): the service is down "
                            "or a firewall blocks it",
                            source=source,
                            url=full_url,
                        ) from None
                    self._wait(min(self.backoff, 1.0))
                    continue
                if last:
                    raise HarvestError(
                        f"{prefix}connection failed after {attempts} attempt(s) "
                        f"({type(exc).__name__}); the source may be down",
                        source=source,
                        url=full_url,
                    ) from None
                self._wait(self.backoff * 2**attempt)
                continue
            self.stats.requests += 1
            over_cap = _read_capped(resp, max_bytes) if max_bytes is not None else False
            self.stats.bytes += len(resp.content)
            if resp.status_code == 304 and cached:
                self.stats.not_modified += 1
                self.cache.touch(source, key, validated_at=_now())
                return Fetched(
                    full_url,
                    cached[1],
                    304,
                    from_cache=True,
                    headers=dict(resp.headers),
                )
            if resp.status_code in RETRY_STATUSES:
                wait = retry_after_seconds(resp.headers.get("Retry-After"))
                if resp.status_code == 429 and (
                    (wait is not None and wait > self.max_retry_wait)
                    or _budget_spent(resp)
                ):
                    until = _stop_until(wait, resp.headers.get("x-ratelimit-reset"))
                    why = (
                        f"HTTP 429: the source's request budget is spent (Retry-After "
                        f"{resp.headers.get('Retry-After') or 'not given'}); this source is "
                        f"stopped until {until.isoformat(timespec='minutes')}, when the "
                        "budget resets"
                    )
                    self._stop(source, why, until)
                    raise QuotaExhausted(f"{prefix}{why}", source=source, url=full_url)
                if last:
                    raise HarvestError(
                        f"{prefix}HTTP {resp.status_code} after {attempts} attempt(s); the "
                        "source is overloaded or down, retry later",
                        source=source,
                        url=full_url,
                    )
                self._wait(wait if wait is not None else self.backoff * 2**attempt)
                continue
            if resp.status_code >= 400:
                raise (NotFound if resp.status_code == 404 else HarvestError)(
                    f"{prefix}HTTP {resp.status_code} {resp.reason or ''}".rstrip()
                    + _hint(resp.status_code),
                    source=source,
                    url=full_url,
                )
            resp.encoding = resp.encoding or "utf-8"
            if (
                resp.encoding.lower() == "iso-8859-1"
                and "charset" not in resp.headers.get("Content-Type", "")
            ):
                resp.encoding = (
                    "utf-8"  # requests' default for text/* without a charset
                )
            if max_bytes is not None:
                return Fetched(
                    full_url, "", resp.status_code, headers=dict(resp.headers),
                    content=resp.content, over_cap=over_cap,
                )
            text = resp.text
            if self.cache is not None:
                self.cache.put(
                    source,
                    key,
                    text,
                    {
                        "url": _redact(full_url),
                        "etag": resp.headers.get("ETag"),
                        "last_modified": resp.headers.get("Last-Modified"),
                        "fetched_at": _now(),
                        "validated_at": _now(),
                        "status": resp.status_code,
                        "bytes": len(resp.content),
                    },
                )
            return Fetched(full_url, text, resp.status_code, headers=dict(resp.headers))
        raise AssertionError("unreachable")  # pragma: no cover

    def stopped_reason(self, source: str) -> str | None:
        """Why `source` is stopped (a spent budget), or None. A stop recorded on disk by an
        earlier process (another task of the nightly flow) holds until its time passes."""
        if source in self.stopped:
            return self.stopped[source]
        if self.cache is None:
            return None
        found = self.cache.get("_stopped", source)
        if not found:
            return None
        try:
            until = dt.datetime.fromisoformat(found[0]["until"])
        except (KeyError, TypeError, ValueError):
            return None
        if until <= dt.datetime.now(dt.UTC):
            return None
        self.stopped[source] = found[1]
        return found[1]

    def _stop(self, source: str, why: str, until: dt.datetime) -> None:
        self.stopped[source] = why
        if self.cache is not None:
            self.cache.put("_stopped", source, why, {"until": until.isoformat()})

    def _wait(self, seconds: float) -> None:
        self.stats.retries += 1
        self.sleep(min(seconds, self.max_retry_wait))


def _stop_until(retry_after: float | None, reset: str | None) -> dt.datetime:
    """When a spent budget is back: Retry-After, else x-ratelimit-reset (seconds), else
    the next midnight UTC (OpenAlex budgets are daily)."""
    now = dt.datetime.now(dt.UTC)
    for seconds in (retry_after, reset):
        try:
            if seconds is not None and float(seconds) > 0:
                return now + dt.timedelta(seconds=float(seconds))
        except ValueError:
            pass
    return (now + dt.timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )


def _hint(status: int) -> str:
    if status in (401, 403):
        return (
            ": access refused; check the API key (environment variable named in config)"
        )
    if status == 404:
        return ": not found; check the base_url and the venue-year's ids in config"
    if status == 400:
        return ": the source rejected the query; check the venue-year's ids in config"
    return ""


def _redact(url: str) -> str:
    """The URL without secrets (api_key=...) for sidecars and messages."""
    if "api_key=" not in url:
        return url
    head, _, query = url.partition("?")
    kept = [p for p in query.split("&") if not p.startswith("api_key=")]
    return head + ("?" + "&".join(kept) if kept else "")


def make_client(
    settings, *, sleep: Callable[[float], None] = time.sleep, cache: bool = True
) -> HttpClient:
    """The shared client configured from settings.http ([http] in config.toml).

    Args:
        settings: papertally Settings.
        sleep: the function used to wait between retries (tests pass a no-op).
        cache: keep raw responses under [http] cache_dir (when set).
    """
    http = settings.http
    cache_dir = settings.resolve(http.cache_dir) if (cache and http.cache_dir) else None
    return HttpClient(
        contact_email=http.contact_email,
        timeout=http.timeout_seconds,
        max_retries=http.max_retries,
        backoff=http.backoff_seconds,
        max_retry_wait=http.max_retry_wait_seconds,
        cache_dir=cache_dir,
        sleep=sleep,
    )
