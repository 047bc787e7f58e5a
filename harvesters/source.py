"""What a source declares once: its config options, the venue-year a plan is asked for, its
fetch plan, and the registry entry that ties them to its name."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict, model_validator

from harvesters.base import ParseResult
from harvesters.http import Fetched, HttpClient


# A TOML array arrives as a list: the one conversion allowed (its items stay strict).
TomlStrs = Annotated[tuple[str, ...], Strict(False)]


class SourceOptions(BaseModel):
    """The options every source takes under ``[sources.NAME]`` in config.toml.

    A source with more options subclasses this and names the subclass in its SourceSpec;
    config.toml validates each ``[sources.NAME]`` table against that model.
    """

    # forbid: a misspelt key is an error, not a silently ignored setting; strict: so is a
    # value of the wrong type (per_page = "100"), as everywhere in config.toml.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    base_url: str
    api_key_env: str | None = None
    per_page: int = Field(100, ge=1, le=200)
    extra: dict[str, str | int | float | bool | list[str]] = {}
    # The source's own identifiers of a venue-year, keyed "VENUE YEAR" ("CVPR 2024"):
    # OpenAlex source IDs (S...), OpenReview venue ids, dblp TOC keys, CVF listing names.
    venue_ids: dict[str, TomlStrs] = {}
    # Overrides [coverage] min_ratio for this source (e.g. OpenAlex's known gaps).
    min_coverage: float | None = Field(None, ge=0, le=1)

    @model_validator(mode="after")
    def _http_url(self) -> SourceOptions:
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url {self.base_url!r} must start with http:// or https://")
        return self


@dataclass(frozen=True)
class Target:
    """The venue-year a fetch plan is asked for, with everything it may need from config
    as plain values (harvesters never read the config themselves)."""

    source: str  # the registry name
    venue: str  # config venue key: CVPR, NeurIPS, ACL, ICRA
    year: int
    options: SourceOptions  # this source's [sources.NAME] table
    tracks: tuple[str, ...] = ("main",)  # the venue's counted tracks
    venue_name: str = ""  # the venue's full name from config, if any
    max_pages: int = 500  # [http] max_pages: bound on pages of one venue-year
    # Rows of db.harvest_state.known_papers (the venue-year's papers other sources stored),
    # called in the caller's thread; None when the caller offers none.
    known: Callable[[], list[dict]] | None = None

    @property
    def what(self) -> str:
        """"CVPR 2024", for messages."""
        return f"{self.venue} {self.year}"

    @property
    def ids(self) -> tuple[str, ...]:
        """The source's own identifiers configured for this venue-year (may be empty)."""
        return tuple(self.options.venue_ids.get(self.what, ()))


# A page parser takes the body text, or the decoded JSON when the fetcher already read it.
PageParser = Callable[[object], ParseResult]


@dataclass
class Plan:
    """How one venue-year is fetched: lazily fetched pages and the parser for each page.

    `notes` are said in the run's summary (e.g. "count unchanged, cached pages re-read");
    a plan may add to them while its pages are read.
    """

    origin: str
    pages: Iterator[Fetched]
    parse: PageParser
    expected_hint: int | None = None  # the source's own count, when it gives one
    notes: list[str] = field(default_factory=list)


def one_page(fetch: Callable[[], Fetched]) -> Iterator[Fetched]:
    """The pages of a listing that is one page, fetched when first asked for."""
    yield fetch()


# A saved file's text, the venue key and the year -> the parsed records.
FileParser = Callable[[str, str, int], ParseResult]
# The venue-year and the shared client -> the plan (no request is made before its pages
# are read, except a count a source must know first).
PlanBuilder = Callable[[Target, HttpClient], Plan]


@dataclass(frozen=True)
class SourceSpec:
    """Everything about one source, in its own module, listed once in harvesters.registry.

    name: as in config.toml ([sources.NAME], [[harvest]] source) and `harvest --source`.
    summary: one line for `harvest --help`, the README's source table and error messages.
    parse: reads a saved file of the source (`harvest --from`).
    plan: the live fetch plan, or None when the source is read from files only.
    options: the pydantic model of its [sources.NAME] table.
    needs_ids: the source cannot list a venue-year without its own ids in venue_ids.
    """

    name: str
    summary: str
    parse: FileParser
    plan: PlanBuilder | None = None
    options: type[SourceOptions] = SourceOptions
    # True when the source lists a venue-year only by its own ids (OpenAlex source IDs):
    # a job with none configured is skipped with a note, not failed.
    needs_ids: bool = False
    # How staff call the source ("Paper Copilot", "CVF"), in comparisons and summaries.
    title: str = ""
