"""The built-in venue catalogue (papertally/data/venues.toml) as typed, checked records.

Foundation layer: imports nothing from the use cases, so config may read it. Each date and
count carries the public source it was taken from; a value no source gave is absent, with a
note.
"""

from __future__ import annotations

import datetime as dt
import functools
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from harvesters.records import TRACKS
from papertally.errors import ConfigError

CATALOGUE = Path(__file__).with_name("data") / "venues.toml"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Meeting(_Frozen):
    """When and where an edition met, and who says so."""

    start: dt.date
    end: dt.date
    place: str
    source: str = Field(min_length=1)
    note: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> Meeting:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class Acceptance(_Frozen):
    """When authors were notified; `date` absent (with a note) when no source gave it."""

    date: dt.date | None = None
    source: str = ""
    note: str = ""

    @model_validator(mode="after")
    def _sourced(self) -> Acceptance:
        if self.date is not None and not self.source:
            raise ValueError("an acceptance date needs its source")
        if self.date is None and not self.note:
            raise ValueError("no date: say why in a note")
        return self


class Accepted(_Frozen):
    """The published number of accepted main papers; `count` absent (with a note) if unknown."""

    count: int | None = Field(None, ge=1)
    source: str = ""
    note: str = ""

    @model_validator(mode="after")
    def _sourced(self) -> Accepted:
        if self.count is not None and not self.source:
            raise ValueError("a count needs its source")
        if self.count is None and not self.note:
            raise ValueError("no count: say why in a note")
        return self


class CatalogueEdition(_Frozen):
    conference: Meeting
    acceptance: Acceptance
    accepted: Accepted
    ids: dict[str, str] = {}

    @model_validator(mode="after")
    def _acceptance_first(self) -> CatalogueEdition:
        if self.acceptance.date and self.acceptance.date > self.conference.start:
            raise ValueError(
                f"acceptance {self.acceptance.date} is after the meeting's start "
                f"{self.conference.start}"
            )
        return self


class CatalogueVenue(_Frozen):
    key: str
    name: str
    tracks: tuple[str, ...]
    sources: tuple[str, ...] = Field(min_length=1)
    ids: dict[str, str] = {}
    editions: dict[int, CatalogueEdition]

    @model_validator(mode="after")
    def _known_tracks(self) -> CatalogueVenue:
        unknown = [t for t in self.tracks if t not in TRACKS]
        if unknown:
            raise ValueError(f"unknown track(s) {unknown}; known tracks: {', '.join(TRACKS)}")
        return self

    def source_id(self, source: str, year: int) -> str | None:
        """How `source` names edition `year` ("v305", "NeurIPS.cc/2026/Conference"), or None."""
        edition = self.editions.get(year)
        if edition and source in edition.ids:
            return edition.ids[source]
        pattern = self.ids.get(source)
        return pattern.replace("{year}", str(year)) if pattern else None


class Catalogue(_Frozen):
    citations: dict[str, str]
    venues: dict[str, CatalogueVenue]

    def cite(self, source: str) -> str:
        """A value's source in full: the [citations] entry it names, else itself (a URL)."""
        return self.citations.get(source, source)

    def venue(self, name: str) -> CatalogueVenue | None:
        """The venue named `name`, case-insensitively (corl -> CoRL), or None."""
        for key, venue in self.venues.items():
            if key.casefold() == name.casefold():
                return venue
        return None


def parse_catalogue(raw: dict, where: str) -> Catalogue:
    """Check a catalogue read from TOML. Raises ConfigError naming `where`, the key and why."""
    citations = raw.get("citations", {})
    venues = {}
    try:
        for key, body in raw.items():
            if key == "citations":
                continue
            venues[key] = CatalogueVenue.model_validate({**body, "key": key})
        catalogue = Catalogue(citations=citations, venues=venues)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-after"))
        raise ConfigError(
            f"{where}: key {key}.{loc}: {err['msg'].removeprefix('Value error, ')}"
        ) from None
    return catalogue


@functools.cache
def load_catalogue(path: Path = CATALOGUE) -> Catalogue:
    """The catalogue shipped with papertally (or the file at `path`), checked.

    Raises:
        ConfigError: the file is missing, not TOML, or a value breaks a rule (no source, an
            edition ending before it starts, an acceptance after the meeting, ...).
    """
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: the venue catalogue is missing; reinstall papertally") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_catalogue(raw, str(path))
