"""OpenReview API v2 author profiles: a pure parser into frozen records and a thin batched fetcher.

The format, as documented (docs.openreview.net "Profile > Fields", openreview-py's
`Client.get_profile`/`search_profiles`): a `/profiles` answer is `{"profiles": [...]}`; each
profile has `id` (`~Given_Family1`) and `content` with `names[]` (`fullname`, `username`,
`preferred`), `history[]` (`position`, `start`, `end`, `institution{name, domain, country}`),
`emailsConfirmed[]` (shown to the public as `****@domain`), `orcid`, `dblp`, `gscholar`
(links). Every field is optional here: profiles are filled in by their owners.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from harvesters.base import json_kind, parse_json, unusable
from harvesters.http import Fetched, HttpClient
from matching.enriched import ProfileFacts, Stint
from matching.text import normalise_dblp_pid, normalise_orcid
from papertally.errors import ParseError

SOURCE = "openreview"
PROFILE_BATCH = 50  # profile ids per /profiles call


@dataclass(frozen=True)
class Position:
    """One entry of a profile's education and career history."""

    institution: str  # name as the owner entered it
    domain: str | None = None  # lower case, e.g. u-tokyo.ac.jp
    country: str | None = None  # as entered (OpenReview asks for a country, usually ISO-2)
    position: str | None = None  # "PhD student", "Associate Professor", ...
    start: int | None = None  # year; None = not given
    end: int | None = None  # year; None = open (current)

    def covers(self, year: int) -> bool:
        """True when the entry includes `year` (a missing start or end is open)."""
        return (self.start is None or self.start <= year) and (
            self.end is None or self.end >= year
        )


@dataclass(frozen=True)
class Profile:
    """What papertally uses of one OpenReview profile."""

    profile_id: str  # the profile's `id`, e.g. ~Taro_Yamada1
    usernames: tuple[str, ...]  # every ~id that reaches the profile, `profile_id` first
    names: tuple[str, ...]  # full names, the preferred one first
    history: tuple[Position, ...]
    email_domains: tuple[str, ...]  # domains of confirmed e-mail addresses only
    orcid: str | None = None  # bare
    dblp_pid: str | None = None  # bare, when the dblp link names a pid
    gscholar: str | None = None  # the link as given

    def positions_in(self, year: int) -> tuple[Position, ...]:
        """The history entries that cover `year`."""
        return tuple(p for p in self.history if p.covers(year))

    def facts(self) -> ProfileFacts:
        """What the matcher reads of this profile (matching.enriched)."""
        return ProfileFacts(
            profile_id=self.profile_id,
            stints=tuple(
                Stint(p.institution, p.start, p.end, p.position, p.domain) for p in self.history
            ),
            email_domains=self.email_domains,
            orcid=self.orcid,
            dblp_pid=self.dblp_pid,
        )


@dataclass(frozen=True)
class ProfilesResult:
    """Parsed profiles, and one line per entry that could not be read (index and why)."""

    profiles: tuple[Profile, ...]
    skipped: tuple[str, ...] = ()

    def by_username(self) -> dict[str, Profile]:
        """Each profile under every ~id that reaches it (a paper may name an older one)."""
        found: dict[str, Profile] = {}
        for profile in self.profiles:
            for username in profile.usernames:
                found.setdefault(username, profile)
        return found


def _value(field: object) -> object:
    """A content field's value, tolerating the `{"value": ...}` wrapping notes use."""
    return field.get("value") if isinstance(field, dict) and "value" in field else field


def _text(value: object) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _year(value: object) -> int | None:
    """A history year: an int, or a string of digits ("2019"); anything else is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1900 <= value <= 2200 else None
    if isinstance(value, str) and value.strip().isdigit():
        return _year(int(value.strip()))
    return None


def _domain(email: object) -> str | None:
    """`u-tokyo.ac.jp` from `****@u-tokyo.ac.jp` (or a full address)."""
    text = _text(email).lower()
    if "@" not in text:
        return None
    domain = text.rsplit("@", 1)[1].strip(".")
    return domain if "." in domain else None


def _positions(history: object) -> tuple[Position, ...]:
    found = []
    for entry in history if isinstance(history, list) else []:
        if not isinstance(entry, dict):
            continue
        institution = entry.get("institution")
        institution = institution if isinstance(institution, dict) else {}
        name = _text(institution.get("name"))
        domain = _text(institution.get("domain")).lower() or None
        if not name and not domain:
            continue
        found.append(
            Position(
                institution=name or domain or "",
                domain=domain,
                country=_text(institution.get("country")) or None,
                position=_text(entry.get("position")) or None,
                start=_year(entry.get("start")),
                end=_year(entry.get("end")),
            )
        )
    return tuple(found)


def history_of(data: dict) -> tuple[Position, ...]:
    """The history entries of one profile object (with or without its id)."""
    content = data.get("content")
    return _positions(_value(content.get("history")) if isinstance(content, dict) else None)


def parse_profile(data: dict) -> Profile:
    """One profile object as a Profile.

    Raises:
        ParseError: the object has no `~` id.
    """
    profile_id = _text(data.get("id"))
    if not profile_id.startswith("~"):
        raise ParseError(f"profile id {profile_id or 'missing'!r} is not a ~ id")
    content = data.get("content")
    content = content if isinstance(content, dict) else {}
    names_field = _value(content.get("names"))
    names = [n for n in names_field if isinstance(n, dict)] if isinstance(names_field, list) else []
    names.sort(key=lambda n: not n.get("preferred"))  # stable: the preferred name first
    usernames = [profile_id] + [_text(n.get("username")) for n in names]
    full = [
        _text(n.get("fullname"))
        or " ".join(p for p in (_text(n.get(k)) for k in ("first", "middle", "last")) if p)
        for n in names
    ]
    confirmed = _value(content.get("emailsConfirmed"))
    domains = [_domain(e) for e in confirmed] if isinstance(confirmed, list) else []
    orcid, dblp, gscholar = (
        _value(content.get(k)) for k in ("orcid", "dblp", "gscholar")
    )
    return Profile(
        profile_id=profile_id,
        usernames=tuple(dict.fromkeys(u for u in usernames if u.startswith("~"))),
        names=tuple(dict.fromkeys(n for n in full if n)),
        history=history_of(data),
        email_domains=tuple(dict.fromkeys(d for d in domains if d)),
        orcid=normalise_orcid(orcid if isinstance(orcid, str) else None),
        dblp_pid=normalise_dblp_pid(dblp if isinstance(dblp, str) else None),
        gscholar=_text(gscholar) or None,
    )


def parse_profiles(text: str | dict) -> ProfilesResult:
    """Parse a `/profiles` answer (or a JSON array of profile objects).

    Args:
        text: the response body, or the body already decoded.

    Returns:
        ProfilesResult: one Profile per readable entry, in order; entries that are not an
        object or have no `~` id are listed in `skipped`.

    Raises:
        ParseError: not JSON (with line and column), or no `profiles` array.
    """
    data = parse_json(text, "an OpenReview /profiles response") if isinstance(text, str) else text
    entries = data.get("profiles") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise ParseError(
            f"no 'profiles' array (got a JSON {json_kind(data)}"
            + (f" with keys {', '.join(sorted(data))[:120]}" if isinstance(data, dict) else "")
            + "): expected an OpenReview API v2 /profiles response"
        )
    profiles, skipped = [], []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            skipped.append(f"profiles[{index}]: a JSON {json_kind(entry)}, not a profile")
            continue
        try:
            profiles.append(parse_profile(entry))
        except ParseError as exc:
            skipped.append(f"profiles[{index}]: {exc}")
    return ProfilesResult(tuple(profiles), tuple(skipped))


def profile_ids(values: Iterable[str | None]) -> list[str]:
    """The distinct `~` ids among author ids (e-mail author ids have no public profile)."""
    return list(dict.fromkeys(v.strip() for v in values if v and v.strip().startswith("~")))


def fetch_profiles(
    client: HttpClient,
    base_url: str,
    ids: Iterable[str],
    *,
    what: str = "profiles",
    batch: int = PROFILE_BATCH,
    conditional: bool = False,
) -> Iterator[Fetched]:
    """Yield one `/profiles` answer per batch of ids (`GET /profiles?ids=~A1,~B2`).

    `conditional`: revalidate against the cached copy (the harvest re-reads the same
    profiles every night). With `batch=1` each profile is asked for alone (`GET /profiles?id=~A1`), the form
    openreview-py's `get_profile` uses, should a server refuse the `ids` list.

    Raises:
        HarvestError: a call failed (from the client), or an answer is not a profiles list
            (truncated, or the API changed), naming the URL.
    """
    wanted = profile_ids(ids)
    base = base_url.rstrip("/")
    size = max(1, batch)
    for start in range(0, len(wanted), size):
        chunk = wanted[start : start + size]
        params = {"id": chunk[0]} if size == 1 else {"ids": ",".join(chunk)}
        page = client.get(
            f"{base}/profiles", params=params, source=SOURCE, what=what, conditional=conditional
        )
        try:
            document = json.loads(page.text)
            if not isinstance(document["profiles"], list):
                raise TypeError("'profiles' is not a list")
        except (ValueError, KeyError, TypeError) as exc:
            raise unusable(
                what, "the /profiles answer is not a profiles list", exc,
                source=SOURCE, url=page.url,
            ) from None
        yield dataclasses.replace(page, document=document)


def get_profiles(
    client: HttpClient, base_url: str, ids: Iterable[str], *, batch: int = PROFILE_BATCH
) -> tuple[dict[str, Profile], list[str], list[str]]:
    """Fetch and parse the profiles of `ids`.

    Returns:
        (profiles by every username, ids asked for that no profile answers, skipped lines).
    """
    wanted = profile_ids(ids)
    found: dict[str, Profile] = {}
    skipped: list[str] = []
    for page in fetch_profiles(client, base_url, wanted, batch=batch):
        result = parse_profiles(page.document)
        found.update(result.by_username())
        skipped.extend(f"{page.url}: {line}" for line in result.skipped)
    return found, [i for i in wanted if i not in found], skipped
