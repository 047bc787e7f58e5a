"""The author block on a paper's first page: each author's printed affiliations and e-mail domain.

`read_author_block(first_page, names)` takes page 1 as harvesters.fulltext marks it
(superscripts as `^{...}`, a wide gap between two columns of an author grid as a tab) and
the authors' names as the sources list them, and returns, per author found, what the PDF
prints next to them. Three layouts are read:

- markers: `Kazuki Sato^{1,2}, Hanako Suzuki^{2}` then `^{1}The University of Tokyo
  ^{2}RIKEN AIP` (footnote markers such as `*` for "equal contribution" are not
  affiliations);
- a grid (NeurIPS, CVPR): names side by side, each column's lines below its name;
- stacked: one name, then its lines, then the next name;
- IEEE footnotes at the page's foot: `^{1}K. Sato and J. Smith are with the Department of
  X, Univ. Y` for the markers the block leaves unexplained, and "K. Sato is with ..."
  sentences for an author with no marker and no line of their own.

E-mails are read as printed, `sato@x.ac.jp` or braced `{sato,suzuki}@x.ac.jp`; a local part
is given to the author whose name it spells (sato, ksato, kazuki.sato), else, in a grid or
stacked block, to the author whose lines it is on. Nothing is guessed beyond that.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

_END = re.compile(r"^\s*(abstract\b|a\s?b\s?s\s?t\s?r\s?a\s?c\s?t\b|概要|要旨|1\.?\s+introduction\b)", re.I)
_MAX_LINES = 60
_MAX_PAGE_LINES = 400
# IEEE footnotes: "¹K. Sato and J. Smith are with the Department of X, Univ. Y, Japan".
_IS_WITH = re.compile(r"^(?P<who>.*?)\b(?:is|are)\s+(?:also\s+)?(?:with|at)\s+(?:the\s+)?(?P<org>.+)$", re.S)
# An author's own lines under their name (department, organisation, address, e-mail).
_MAX_OWN_LINES = 5
_SUP = re.compile(r"\^\{([^}]*)\}")
_EMAIL = re.compile(
    r"(?:\{([^{}@]+)\}|\(([^()@]+)\)|([A-Za-z0-9._%+-]+))\s?@\s?([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
)
_NOTE = re.compile(
    r"equal(ly)? contribut|corresponding|work (was )?done|contact|project lead|"
    r"these authors|joint first|advis",
    re.I,
)


@dataclass(frozen=True)
class PrintedAuthor:
    """What page 1 prints for one author."""

    position: int  # 1-based position in the names given
    name: str
    markers: tuple[str, ...] = ()
    affiliations: tuple[str, ...] = ()
    email_domains: tuple[str, ...] = ()

    def explain(self) -> str:
        """E.g. `PDF p.1: "Kazuki Sato¹ ... ¹The University of Tokyo (u-tokyo.ac.jp)"`."""
        head = self.name + ",".join(_sup(m) for m in self.markers)
        if self.markers and len(self.affiliations) == len(self.markers):
            affs = "; ".join(_sup(m) + a for m, a in zip(self.markers, self.affiliations))
        else:
            affs = "; ".join(self.affiliations) or "no affiliation printed"
        doms = f" ({', '.join(self.email_domains)})" if self.email_domains else ""
        return f'PDF p.1: "{head} ... {affs}{doms}"'


_SUPERSCRIPTS = str.maketrans("0123456789abc", "⁰¹²³⁴⁵⁶⁷⁸⁹ᵃᵇᶜ")


def _sup(marker: str) -> str:
    return marker.translate(_SUPERSCRIPTS)


def _fold(text: str) -> str:
    """Letters only, accents folded, lower case: 'Ōta-Sato' -> 'otasato'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if ch.isalpha() and not unicodedata.combining(ch)).lower()


@dataclass
class _Cell:
    row: int
    col: int
    text: str  # with ^{...} markers
    plain: str  # markers removed


def _cells(first_page: str, *, whole_page: bool = False) -> list[list[_Cell]]:
    """The block's lines (up to the abstract) as cells; `whole_page`: every line of the
    page (IEEE papers print affiliations as footnotes at its foot)."""
    rows: list[list[_Cell]] = []
    for line in first_page.split("\n"):
        if not whole_page and _END.match(_SUP.sub("", line)):
            break
        if len(rows) >= (_MAX_PAGE_LINES if whole_page else _MAX_LINES):
            break
        parts = [p.strip() for p in line.split("\t")]
        parts = [p for p in parts if p]
        if not parts:
            continue
        r = len(rows)
        rows.append([_Cell(r, c, p, _SUP.sub(" ", p)) for c, p in enumerate(parts)])
    return rows


def _find_name(cell: _Cell, name: str) -> int | None:
    """Index in cell.text just after `name` (any case, accents, spacing), or None."""
    target = _fold(name)
    if not target:
        return None
    text = cell.text
    # Walk the cell's letters, keeping their indices, and look for the folded name in it.
    letters: list[str] = []
    index: list[int] = []
    i = 0
    while i < len(text):
        if text.startswith("^{", i):
            j = text.find("}", i)
            i = len(text) if j < 0 else j + 1
            continue
        for ch in unicodedata.normalize("NFKD", text[i]):
            if ch.isalpha() and not unicodedata.combining(ch):
                letters.append(ch.lower())
                index.append(i)
        i += 1
    joined = "".join(letters)
    pos = joined.find(target)
    while pos >= 0:
        end = pos + len(target)
        before_ok = pos == 0 or not text[index[pos] - 1].isalpha()
        after = index[end - 1] + 1
        after_ok = after >= len(text) or not text[after].isalpha()
        if before_ok and after_ok:
            return after
        pos = joined.find(target, pos + 1)
    return None


def _markers_after(text: str, at: int) -> tuple[str, ...]:
    m = re.match(r"\s*\^\{([^}]*)\}", text[at:])
    if not m:
        return ()
    return tuple(t for t in re.split(r"[,\s]+", m.group(1)) if t)


def _affiliation_entries(rows: list[list[_Cell]], name_rows: set[int]) -> dict[str, str]:
    """Marker -> affiliation text, from every `^{m}Text` on the block's lines without names."""
    out: dict[str, str] = {}
    for row in rows:
        if row[0].row in name_rows:
            continue
        for cell in row:
            for m in re.finditer(r"\^\{([^}]*)\}([^^]*)", cell.text):
                body = _EMAIL.sub("", m.group(2)).strip(" ,;")
                with_ = _IS_WITH.match(body)
                if with_:
                    body = with_.group("org").strip(" ,;.")
                if not body or not re.search(r"[A-Za-z\u3000-\u9fff]{3}", body):
                    continue
                for marker in re.split(r"[,\s]+", m.group(1)):
                    if marker and marker not in out:
                        out[marker] = body
    return out


def _emails(text: str) -> list[tuple[str, str]]:
    """(local part, domain) for every address in `text`, braces expanded."""
    out = []
    for m in _EMAIL.finditer(text):
        locals_ = m.group(1) or m.group(2) or m.group(3)
        domain = m.group(4).lower().rstrip(".")
        for local in re.split(r"[,;|\s]+", locals_):
            if local:
                out.append((local.lower(), domain))
    return out


def _spells(local: str, name: str) -> bool:
    """Whether an e-mail local part spells this name: sato, kazuki.sato, ksato, sato.k."""
    parts = [_fold(p) for p in name.split() if _fold(p)]
    if not parts:
        return False
    bits = [b for b in re.split(r"[._+-]", local) if b]
    squashed = "".join(bits)
    family, given = parts[-1], parts[0]
    if any(b in (family, given) for b in bits) and len(family) > 1:
        return True
    for fam, giv in ((family, given), (given, family)):
        if squashed in (giv[:1] + fam, fam + giv[:1], giv + fam, fam + giv):
            return True
    return False


def read_author_block(first_page: str, names: Sequence[str]) -> tuple[PrintedAuthor, ...]:
    """The affiliations and e-mail domains page 1 prints next to each of `names`.

    Args:
      first_page: page 1 marked by harvesters.fulltext (`^{...}` superscripts, tabs).
      names: the paper's authors as the sources list them, in byline order.
    Returns: one PrintedAuthor per name found on the page (position = index in `names` + 1);
    names not printed in the block are left out.
    """
    rows = _cells(first_page)
    if not rows:
        return ()
    found: dict[int, tuple[_Cell, int]] = {}
    for k, name in enumerate(names):
        for row in rows:
            for cell in row:
                at = _find_name(cell, name)
                if at is not None:
                    found[k] = (cell, at)
                    break
            if k in found:
                break
    if not found:
        return ()
    name_cells = {(c.row, c.col) for c, _ in found.values()}
    entries = _affiliation_entries(rows, {r for r, _ in name_cells})
    # Footnotes below the abstract (IEEE): markers the block itself does not explain.
    page_rows = _cells(first_page, whole_page=True)[len(rows):]
    for marker, body in _affiliation_entries(page_rows, set()).items():
        entries.setdefault(marker, body)
    all_emails = [
        (local, domain, cell)
        for row in rows + page_rows
        for cell in row
        for local, domain in _emails(cell.text)
    ]
    page_text = " ".join(c.plain for row in page_rows for c in row)
    result = []
    for k, (cell, at) in sorted(found.items()):
        name = names[k]
        markers = _markers_after(cell.text, at)
        affs: list[str] = []
        if markers and entries:
            affs = [entries[m] for m in markers if m in entries and not _NOTE.search(entries[m])]
        own_cells: list[_Cell] = []
        if not affs:
            own_cells = _lines_below(rows, cell, name_cells)
            text_lines = [_EMAIL.sub("", c.plain).strip(" ,;") for c in own_cells]
            text_lines = [t for t in text_lines if t and not _NOTE.search(t)]
            if text_lines:
                affs = [", ".join(" ".join(t.split()) for t in text_lines)]
        if not affs:
            affs = _is_with(page_text, name)
        domains = []
        for local, domain, ecell in all_emails:
            mine = _spells(local, name) or (
                ecell in own_cells
                and not any(_spells(local, names[j]) for j in found if j != k)
            )
            if mine and domain not in domains:
                domains.append(domain)
        result.append(
            PrintedAuthor(k + 1, name, markers, tuple(dict.fromkeys(affs)), tuple(domains))
        )
    return tuple(result)


def _is_with(text: str, name: str) -> list[str]:
    """'K. Sato is with the University of Tokyo' sentences naming this author's family name."""
    parts = [p for p in name.split() if _fold(p)]
    if not parts:
        return []
    family = _fold(parts[-1])
    out = []
    for sentence in re.split(r"(?<=[.;])\s+(?=[A-Z\^])", text):
        sentence = _SUP.sub(" ", sentence)
        m = _IS_WITH.match(sentence.strip())
        if not m or family not in {_fold(w) for w in re.split(r"[\s,]+", m.group("who"))}:
            continue
        org = _EMAIL.sub("", m.group("org")).strip(" ,;.")
        if org:
            out.append(" ".join(org.split()))
    return out


def _lines_below(rows: list[list[_Cell]], cell: _Cell, name_cells: set) -> list[_Cell]:
    """The cells under a name in its column, up to the next row that holds a name."""
    out = []
    width = len(rows[cell.row])
    for row in rows[cell.row + 1 :]:
        if len(out) >= _MAX_OWN_LINES or any((c.row, c.col) in name_cells for c in row):
            break
        if len(row) == width:
            out.append(row[cell.col])
        elif width == 1:
            out.extend(row)
        else:
            break
    return out
