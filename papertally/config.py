"""Loading and checking config.toml into typed, frozen settings."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from harvesters import registry
from harvesters.records import TRACKS
from harvesters.source import SourceOptions
from papertally.errors import ConfigError


class _Strict(BaseModel):
    # forbid: a misspelt key is an error, not a silently ignored setting. strict: a value of
    # the wrong type is an error too ("0.85" is not a number, "no" is not a boolean); an
    # integer is still accepted where a number is expected.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# TOML arrays arrive as lists and table keys as strings: these two conversions are the only
# ones allowed (the items themselves stay strict).
Strs = Annotated[tuple[str, ...], Strict(False)]
Year = Annotated[int, Strict(False)]


def _check_time_zone(key: str, name: str) -> None:
    """Raise ValueError naming `key` unless `name` is an IANA time zone."""
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{key} {name!r} is not an IANA time zone (e.g. Asia/Tokyo, UTC)"
        ) from None


class Program(_Strict):
    name: str = "papertally program"
    fiscal_year_start_month: int = Field(4, ge=1, le=12)
    target_reading: Literal["per_fiscal_year", "cumulative"] = "per_fiscal_year"
    first_fiscal_year: int | None = Field(None, ge=1990, le=2100)
    funder_names: Strs = ()
    grant_numbers: Strs = ()
    # The program's own name as a paper's acknowledgement would print it (English, Japanese).
    program_names: Strs = ()
    # Counting rule: "authorship" (a member's confirmed link counts the paper) or
    # "acknowledgement" (also needs the paper's full text to name a grant number, or a
    # staff attribution decision). Every report and export states the rule in force.
    attribution: Literal["authorship", "acknowledgement"] = "authorship"
    # The venues that count, each with its editions from the built-in venue catalogue
    # (papertally/data/venues.toml); [venues.X] below overrides or adds. Unset: the venues
    # defined under [venues], or the seed's four (SEED_VENUES) when none is.
    venues: Strs | None = None
    # Which date puts a paper in a fiscal year: the edition's "conference" date, or its
    # "acceptance" notification date (the conference date where that is not known).
    fy_date: Literal["conference", "acceptance"] = "conference"

    @model_validator(mode="after")
    def _acknowledgement_needs_numbers(self) -> Program:
        if self.attribution == "acknowledgement" and not any(n.strip() for n in self.grant_numbers):
            raise ValueError(
                'attribution = "acknowledgement" needs the program\'s grant numbers: set '
                '[program] grant_numbers (e.g. ["JPNP20006"]) or use attribution = "authorship"'
            )
        return self


class Database(_Strict):
    path: str = "papertally.db"


class Roster(_Strict):
    # Re-imported at the start of every run when set; a bad file is reported and the
    # roster already stored is kept.
    file: str | None = None
    # An import that would deactivate more than this share of the active members is refused
    # (a truncated or wrong file) unless `papertally roster import --allow-shrink`.
    max_deactivate_share: float = Field(0.2, ge=0, le=1)
    # Themes and when each is active (CSV: theme_id, theme_name, start_date, end_date;
    # empty dates are open). A theme counts toward a fiscal year's target only while
    # active; one not listed here is active over its members' windows.
    themes_file: str | None = None


class Target(_Strict):
    total: int | None = Field(None, ge=0)
    per_theme: int | None = Field(None, ge=0)


class Edition(_Strict):
    conference_date: dt.date
    # When authors were notified of acceptance (decides the fiscal year under
    # [program] fy_date = "acceptance").
    acceptance_date: dt.date | None = None
    expected_papers: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _accepted_before_held(self) -> Edition:
        if self.acceptance_date and self.acceptance_date > self.conference_date:
            raise ValueError(
                f"acceptance_date {self.acceptance_date} is after conference_date "
                f"{self.conference_date}"
            )
        return self


class Venue(_Strict):
    name: str = ""
    tracks: Strs = ("main",)
    editions: dict[Year, Edition] = {}

    @model_validator(mode="after")
    def _known_tracks(self) -> Venue:
        unknown = [t for t in self.tracks if t not in TRACKS]
        if unknown:
            raise ValueError(f"unknown track(s) {unknown}; known tracks: {', '.join(TRACKS)}")
        if not self.tracks:
            raise ValueError("tracks is empty: no paper of this venue would ever count")
        return self


class Http(_Strict):
    contact_email: str = "papertally-admin@example.org"
    timeout_seconds: float = Field(30.0, gt=0, le=600)
    max_retries: int = Field(4, ge=0, le=20)
    backoff_seconds: float = Field(1.0, ge=0, le=300)
    # A 429 asking to wait longer than this means a spent budget: the source stops.
    max_retry_wait_seconds: float = Field(120.0, ge=0, le=86400)
    # Raw responses with their ETag/Last-Modified and dates; empty string = no cache.
    cache_dir: str = ".cache/http"
    # Bound on pages of one venue-year (a cursor that never ends stops here).
    max_pages: int = Field(500, ge=1, le=100000)


class Coverage(_Strict):
    # A complete harvest listing fewer than min_ratio x the expected papers (config's
    # expected_papers, or the last complete run) fails: the layout or API probably changed.
    min_ratio: float = Field(0.8, ge=0, le=1)


class Matching(_Strict):
    confirm_threshold: float = Field(0.85, ge=0, le=1)
    review_threshold: float = Field(0.45, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> Matching:
        if self.review_threshold > self.confirm_threshold:
            raise ValueError(
                f"review_threshold ({self.review_threshold}) is above confirm_threshold "
                f"({self.confirm_threshold}); it must be lower or equal"
            )
        return self


class Review(_Strict):
    # The staff review web page (papertally review serve).
    host: str = "127.0.0.1"
    port: int = Field(8765, ge=1, le=65535)
    # Signs session cookies; created (mode 0600) on first start when missing. Keep it secret.
    secret_key_file: str = "review-secret.key"
    session_hours: float = Field(12.0, gt=0, le=24 * 30)
    page_size: int = Field(50, ge=1, le=1000)
    # Failed logins within login_window_minutes that refuse further logins (HTTP 429) for
    # one account name, or from one client address (higher: staff may share an address).
    login_max_failures: int = Field(5, ge=1, le=1000)
    login_max_failures_per_client: int = Field(20, ge=1, le=10000)
    login_window_minutes: float = Field(15.0, gt=0, le=24 * 60)
    # Mark session cookies Secure always (set when staff reach the page over HTTPS). Requests
    # that arrive as https (uvicorn's TLS, or X-Forwarded-Proto from a trusted proxy) get
    # Secure cookies either way.
    secure_cookies: bool = False
    # Reverse proxies whose X-Forwarded-Proto/-For headers are believed (comma-separated
    # addresses or networks). Empty: no proxy, the headers are ignored and the client
    # address is the connection's own (a local process cannot pick its own address).
    forwarded_allow_ips: str = ""
    # The time zone the page shows times in (they are stored in UTC).
    time_zone: str = "Asia/Tokyo"

    @model_validator(mode="after")
    def _valid(self) -> Review:
        import ipaddress

        _check_time_zone("time_zone", self.time_zone)
        for part in self.proxies:
            if part == "*":  # every address (a proxy in front of a private network only)
                continue
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(
                    f"forwarded_allow_ips: {part!r} is not an IP address or network "
                    "(e.g. 127.0.0.1 or 10.0.0.0/8); leave it empty when there is no proxy"
                ) from None
        return self

    @property
    def proxies(self) -> list[str]:
        """The trusted proxies' addresses or networks (empty: no proxy)."""
        return [p.strip() for p in self.forwarded_allow_ips.split(",") if p.strip()]


class HarvestJob(_Strict):
    source: str
    venue: str
    year: int
    offline_file: str | None = None


class Schedule(_Strict):
    # When `papertally schedule` runs the nightly flow: a 5-field cron line in `timezone`.
    cron: str = "0 2 * * *"
    timezone: str = "Asia/Tokyo"
    # Port of the local Prefect server `papertally schedule` starts when PREFECT_API_URL
    # is not set.
    server_port: int = Field(4200, ge=1024, le=65535)

    @model_validator(mode="after")
    def _valid(self) -> Schedule:
        from cronsim import CronSim, CronSimError

        if len(self.cron.split()) != 5:
            # cronsim also takes a 6th (seconds) field: "0 2 * * * *" would run the
            # nightly once a second for a minute.
            raise ValueError(
                f"cron {self.cron!r} is not a 5-field cron line: it has "
                f"{len(self.cron.split())} fields; write exactly minute hour day month "
                "weekday, e.g. \"0 2 * * *\""
            )
        try:
            CronSim(self.cron, dt.datetime(2026, 1, 1))
        except CronSimError as exc:
            raise ValueError(f"cron {self.cron!r} is not a 5-field cron line: {exc}") from None
        _check_time_zone("timezone", self.timezone)
        return self


class Nightly(_Strict):
    # Venue-year harvests run at once, tries after a failure, and the wait between tries.
    harvest_concurrency: int = Field(2, ge=1, le=16)
    harvest_retries: int = Field(2, ge=0, le=10)
    retry_delay_seconds: float = Field(60.0, ge=0, le=3600)


class Notify(_Strict):
    # Chat webhook (Slack or Teams incoming webhook) and/or e-mail; empty = no notification.
    webhook_url: str | None = None
    webhook_style: Literal["slack", "teams"] = "slack"
    smtp_host: str | None = None
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_starttls: bool = False
    smtp_user: str | None = None
    # The SMTP password is read from this environment variable, never from this file.
    smtp_password_env: str | None = None
    mail_from: str | None = None
    mail_to: Strs = ()
    on_failure: bool = True
    on_new_review: bool = True

    @model_validator(mode="after")
    def _complete(self) -> Notify:
        if self.webhook_url and not self.webhook_url.startswith(("http://", "https://")):
            raise ValueError(f"webhook_url {self.webhook_url!r} must start with https://")
        if self.smtp_host and not (self.mail_from and self.mail_to):
            raise ValueError("smtp_host is set: mail_from and mail_to are needed too")
        return self


class Export(_Strict):
    # Where the nightly flow writes its exports (one file per fiscal year and format).
    out_dir: str = "out"
    formats: Annotated[tuple[Literal["xlsx", "csv", "json"], ...], Strict(False)] = ("xlsx", "json")
    lang: Literal["ja", "en"] = "ja"
    chart: Literal["png", "svg", ""] | None = "png"
    # A font file with Japanese glyphs for charts; empty = IPAexGothic, which papertally
    # installs (the matplotlib-fontja package).
    font_file: str | None = None


class Enrichment(_Strict):
    # Candidate papers (a link confirmed or needing review) are enriched once after matching.
    enabled: bool = True
    # Caps on a PDF: a larger file is "no full text (too big)", never read.
    pdf_max_bytes: int = Field(30 * 1024 * 1024, ge=1024)
    pdf_max_pages: int = Field(60, ge=1, le=2000)
    # At most this many PDF downloads a night (the first night after a large roster or a
    # new venue-year has many candidates; the rest wait for the next nights).
    pdf_max_per_night: int = Field(300, ge=0, le=100_000)
    # Seconds between two PDF downloads from the same host (politeness).
    pdf_delay_seconds: float = Field(1.0, ge=0, le=60)
    # OpenAlex per paper: at most this many calls a night (0 = not asked). A paper with a
    # DOI costs one free single-work call; one without, one title search (~$0.001).
    openalex_max_calls: int = Field(200, ge=0, le=100_000)
    # Ask up to 50 DOIs in one list call (~$0.0001) instead of one free call each.
    openalex_batch_dois: bool = False
    # The OpenReview profiles of authors linked to a member (their ~ids as printed).
    openreview_profiles: bool = True
    # Profile ids per GET /profiles?ids=... call; 1 asks GET /profiles?id=... one at a
    # time (the form openreview-py uses), should the server refuse the list.
    openreview_profile_batch: int = Field(50, ge=1, le=1000)
    # An answer with nothing in it ("no full text (404)", "no work found") is asked again
    # after this many days: a camera-ready PDF or an OpenAlex record often appears weeks
    # after the accepted list (0 = never; a change of the paper's sources always asks).
    ask_again_after_days: int = Field(30, ge=0, le=3650)


class Settings(_Strict):
    program: Program = Program()
    database: Database = Database()
    roster: Roster = Roster()
    targets: dict[Year, Target] = {}
    venues: dict[str, Venue] = {}
    # [sources.NAME]: each table checked against its source's options model (registry).
    sources: dict[str, SourceOptions] = {}
    http: Http = Http()
    coverage: Coverage = Coverage()
    matching: Matching = Matching()
    review: Review = Review()
    harvest: Annotated[tuple[HarvestJob, ...], Strict(False)] = ()
    schedule: Schedule = Schedule()
    nightly: Nightly = Nightly()
    notify: Notify = Notify()
    export: Export = Export()
    enrichment: Enrichment = Enrichment()
    # Folder of the config file: relative paths in it are resolved against this.
    base_dir: Annotated[Path, Strict(False)] = Field(default=Path("."), exclude=True)

    @field_validator("sources", mode="before")
    @classmethod
    def _source_options(cls, raw: object) -> object:
        """Each [sources.NAME] table against the options model its source declares."""
        if not isinstance(raw, dict):
            return raw
        checked, problems = {}, []
        for name, table in raw.items():
            if name not in registry.SOURCES:
                problems.append(
                    f"key sources.{name}: unknown source; known sources: {registry.known()}"
                )
                continue
            model = registry.SOURCES[name].options
            if isinstance(table, model):
                checked[name] = table
                continue
            try:
                checked[name] = model.model_validate(table)
            except ValidationError as exc:
                problems.extend(
                    f"key {_where(('sources', name, *err['loc']))}: {_message(err)}"
                    for err in exc.errors()
                )
        if problems:
            raise PydanticCustomError("source_options", "{problems}", {"problems": "; ".join(problems)})
        return checked

    @model_validator(mode="after")
    def _jobs_refer_to_known_things(self) -> Settings:
        from papertally.catalogue import load_catalogue

        catalogue = load_catalogue()
        for i, job in enumerate(self.harvest):
            if job.source not in registry.SOURCES:
                raise ValueError(
                    f"harvest[{i}]: source {job.source!r} is unknown; known sources: "
                    f"{registry.known()}"
                )
            if job.venue not in self.venues:
                raise ValueError(f"harvest[{i}]: venue {job.venue!r} is not defined under [venues]")
            if job.year not in self.venues[job.venue].editions:
                raise ValueError(
                    f"harvest[{i}]: {job.venue} {job.year} has no entry under "
                    f"[venues.{job.venue}.editions]"
                )
            known = catalogue.venue(job.venue)
            if known and job.source not in known.sources:
                raise ValueError(
                    f"harvest[{i}]: source {job.source!r} cannot serve {job.venue} (its sources "
                    f"in the venue catalogue: {', '.join(known.sources)})"
                )
        return self

    # -- derived facts -------------------------------------------------------------
    def resolve(self, path: str | Path) -> Path:
        p = Path(path)
        return p if p.is_absolute() else self.base_dir / p

    def fiscal_year_of(self, day: dt.date) -> int:
        """The fiscal year a date falls in (FY N starts in the configured month of N)."""
        start = self.program.fiscal_year_start_month
        return day.year if day.month >= start else day.year - 1

    def fiscal_year_bounds(self, fy: int) -> tuple[dt.date, dt.date]:
        """First and last day of fiscal year `fy`."""
        start = self.program.fiscal_year_start_month
        first = dt.date(fy, start, 1)
        next_first = dt.date(fy + 1, start, 1) if start != 1 else dt.date(fy + 1, 1, 1)
        return first, next_first - dt.timedelta(days=1)

    def edition(self, venue: str, year: int) -> Edition | None:
        v = self.venues.get(venue)
        return v.editions.get(year) if v else None

    def counting_date(self, venue: str, year: int) -> dt.date:
        """The date that puts an edition's papers in a fiscal year ([program] fy_date):
        the acceptance notification date if so configured and known, else the conference
        date. Raises KeyError for an edition not configured."""
        ed = self.venues[venue].editions[year]
        if self.program.fy_date == "acceptance" and ed.acceptance_date:
            return ed.acceptance_date
        return ed.conference_date

    def acceptance_unknown(self) -> list[str]:
        """Under fy_date = "acceptance": the editions counted by their conference date
        because their notification date is not known ("CVPR 2024"), for every report."""
        if self.program.fy_date != "acceptance":
            return []
        return [
            f"{venue} {year}"
            for venue, v in self.venues.items()
            for year, ed in sorted(v.editions.items())
            if ed.acceptance_date is None
        ]

    def venue_key(self, name: str) -> str:
        """The configured venue key for `name`, case-insensitively (cvpr -> CVPR)."""
        for key in self.venues:
            if key.lower() == name.lower():
                return key
        known = ", ".join(self.venues) or "none"
        raise ConfigError(f"venue {name!r} is not configured (configured: {known})")


# Wrong-type errors get the value given and, for the usual TOML slips, how to write it.
_TYPE_ERRORS = {
    "float_type", "int_type", "bool_type", "string_type", "date_type", "tuple_type",
    "dict_type", "model_type", "literal_error", "int_from_float",
}
_TYPE_HINTS = {
    "float_type": " (write the number without quotes, e.g. 0.85)",
    "int_type": " (write the number without quotes, e.g. 3)",
    "bool_type": " (write true or false, without quotes)",
    "date_type": " (write the date without quotes, e.g. 2026-06-17)",
}


# The venues the program's seed names; counted when config.toml names none.
SEED_VENUES = ("CVPR", "NeurIPS", "ACL", "ICRA")


def _with_catalogue(raw: dict, path: Path) -> dict:
    """`raw` with [venues] built from the venue catalogue for [program] venues.

    Each listed venue takes its name, tracks and editions (conference and acceptance
    dates, published count as expected_papers) from the catalogue; a [venues.X] table in
    the file overrides those keys and an edition entry there overrides or adds per key.
    Without [program] venues, a file that defines [venues] keeps exactly those (older
    configs read as before) and one that defines none counts SEED_VENUES.

    Raises:
        ConfigError: a listed venue is neither in the catalogue nor defined in the file, or
            a venue is defined but not listed ("key program.venues: ...").
    """
    from papertally.catalogue import load_catalogue

    program = raw.get("program", {}) if isinstance(raw.get("program"), dict) else {}
    own = raw.get("venues", {}) if isinstance(raw.get("venues"), dict) else {}
    listed = program.get("venues")
    if listed is None:
        if own:
            return raw
        listed = SEED_VENUES
    if not isinstance(listed, list | tuple) or not all(isinstance(v, str) for v in listed):
        return raw  # the type error is reported by the model, with the key
    catalogue = load_catalogue()
    by_fold = {k.casefold(): k for k in own}
    merged: dict = {}
    for name in listed:
        known = catalogue.venue(name)
        mine = own.get(by_fold.get(name.casefold(), name), {})
        if known is None and not mine:
            raise ConfigError(
                f"{path}: key program.venues: {name!r} is not in the venue catalogue "
                f"(known: {', '.join(catalogue.venues)}) and {path.name} has no "
                f"[venues.{name}] with its editions; add one or remove it from the list"
            )
        venue: dict = {}
        if known is not None:
            venue = {
                "name": known.name,
                "tracks": list(known.tracks),
                "editions": {
                    str(year): {
                        k: v
                        for k, v in {
                            "conference_date": ed.conference.start,
                            "acceptance_date": ed.acceptance.date,
                            "expected_papers": ed.accepted.count,
                        }.items()
                        if v is not None
                    }
                    for year, ed in known.editions.items()
                },
            }
        if isinstance(mine, dict):
            editions = dict(venue.get("editions", {}))
            for year, ed in (mine.get("editions") or {}).items():
                editions[str(year)] = {**editions.get(str(year), {}), **ed} if isinstance(ed, dict) else ed
            venue = {**venue, **mine, "editions": editions}
        merged[known.key if known else name] = venue
    if "sources" in raw:
        raw = {**raw, "sources": _catalogue_ids(raw["sources"], listed, catalogue)}
    listed_fold = {n.casefold() for n in listed}
    for key in own:
        if key.casefold() not in listed_fold:
            raise ConfigError(
                f"{path}: key venues.{key}: defined but not in [program] venues "
                f"({', '.join(listed)}); add it there or remove the table"
            )
    return {**raw, "venues": merged}


def _catalogue_ids(sources: object, listed, catalogue) -> object:
    """[sources.X] venue_ids filled from the catalogue where a source cannot derive an
    edition's id itself: PMLR volumes ("CoRL 2025" = ["v305"]) and OpenReview venue ids of
    venues outside the "<VENUE>.cc/<YEAR>/Conference" pattern (CoRL). Ids set in the file
    win; a source without a [sources.X] table is left alone."""
    if not isinstance(sources, dict):
        return sources
    out = dict(sources)
    for name in listed:
        venue = catalogue.venue(name)
        if venue is None:
            continue
        for source, table in sources.items():
            if not isinstance(table, dict) or source not in venue.sources:
                continue
            pattern = venue.ids.get(source)
            derivable = source != "openreview" or pattern in (None, f"{venue.key}.cc/{{year}}/Conference")
            ids = dict(table.get("venue_ids") or {})
            for year, edition in venue.editions.items():
                found = edition.ids.get(source) or (None if derivable else venue.source_id(source, year))
                if found and f"{venue.key} {year}" not in ids:
                    ids[f"{venue.key} {year}"] = [found]
            if ids:
                out[source] = {**table, "venue_ids": ids}
    return out


def _where(loc: tuple) -> str:
    return ".".join(str(p) for p in loc if not str(p).startswith("function-after"))


def _message(err: dict) -> str:
    """A pydantic error's message as config errors say it."""
    if err["type"] == "extra_forbidden":
        return "unknown key (misspelt, or not supported by this version)"
    if err["type"] in _TYPE_ERRORS:
        return f"{err['msg']}, not {err['input']!r}" + _TYPE_HINTS.get(err["type"], "")
    return err["msg"].removeprefix("Value error, ")


def load_settings(path: str | Path) -> Settings:
    """Read and check a config file.

    Raises ConfigError naming the file, the key and the reason for every problem.
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: config file not found; pass --config PATH or set PAPERTALLY_CONFIG"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    raw = _with_catalogue(raw, path)
    try:
        return Settings.model_validate({**raw, "base_dir": path.resolve().parent})
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            if err["type"] == "source_options":  # already "key sources.NAME.KEY: ..."
                problems.append(err["ctx"]["problems"])
                continue
            key = _where(err["loc"]) or "(top level)"
            problems.append(f"key {key}: {_message(err)}")
        raise ConfigError(f"{path}: " + "; ".join(problems)) from None
