"""Generated PDFs for the full-text tests and bench: small papers with known acknowledgements.

Every PDF is written here with fpdf2 (a test dependency) and the IPAexGothic font that
matplotlib-fontja ships (so Japanese text is real, embedded text). `CORPUS` lists the cases
with what the acknowledgement finder and the author-block reader must find in each.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

GRANT = "JPNP20006"
FUNDERS = ("New Energy and Industrial Technology Development Organization", "NEDO",
           "新エネルギー・産業技術総合開発機構")
PROGRAM_NAMES = ("Multimodal Foundation Models for Physical AI",)

BODY = (
    "We study vision-language-action models for mobile manipulation and report results on "
    "three benchmarks. Our method conditions a diffusion policy on a frozen multimodal "
    "encoder and improves the success rate over strong baselines by a wide margin. "
    "Experiments on real robots confirm the findings in simulation, and an ablation shows "
    "which components matter most for long-horizon tasks in cluttered homes. "
)


def font_path() -> str:
    import matplotlib_fontja

    return str(Path(matplotlib_fontja.__file__).parent / "fonts" / "ipaexg.ttf")


@dataclass(frozen=True)
class Case:
    name: str
    pdf: bytes
    acknowledged: bool  # the program's number is in the text
    funder_only: bool = False  # the funder is named without the number
    ack_page: int | None = None
    # Author name -> affiliation words that must appear in what the reader finds.
    affiliations: dict = field(default_factory=dict)
    domains: dict = field(default_factory=dict)
    problem: str | None = None  # the FullText problem expected ("encrypted", ...)


class _Writer:
    def __init__(self):
        from fpdf import FPDF

        self.pdf = FPDF(format="letter")
        self.pdf.set_auto_page_break(True, margin=20)
        self.pdf.add_font("ipa", fname=font_path())
        self.pdf.set_margins(20, 20, 20)

    def page(self):
        self.pdf.add_page()

    def title(self, text: str):
        self.pdf.set_font("ipa", size=16)
        self.pdf.multi_cell(w=0, text=text, align="C")
        self.pdf.ln(3)

    def marked_line(self, text: str, size: float = 11, x: float | None = None):
        """One line where `^{...}` is written as a smaller, raised superscript."""
        pdf = self.pdf
        if x is not None:
            pdf.set_x(x)
        for plain, sup in re.findall(r"([^^]*)(?:\^\{([^}]*)\})?", text):
            if plain:
                pdf.set_font("ipa", size=size)
                pdf.cell(text=plain)
            if sup:
                # fpdf2's own superscript: 70% size, lifted 40%, as a typesetter does.
                pdf.set_font("ipa", size=size)
                pdf.char_vpos = "SUP"
                pdf.cell(text=sup)
                pdf.char_vpos = "LINE"
        pdf.ln(size * 0.5)

    def grid(self, columns: list[list[str]], size: float = 11):
        """Author blocks side by side, each column its own lines (NeurIPS style)."""
        pdf = self.pdf
        width = (pdf.w - 40) / len(columns)
        for i in range(max(len(c) for c in columns)):
            y = pdf.get_y()
            for j, col in enumerate(columns):
                if i < len(col):
                    pdf.set_xy(20 + j * width, y)
                    pdf.set_font("ipa", size=size)
                    pdf.cell(w=width, text=col[i], align="C")
            pdf.set_y(y + size * 0.5)

    def text(self, text: str, size: float = 10):
        self.pdf.set_font("ipa", size=size)
        self.pdf.multi_cell(w=0, text=text)
        self.pdf.ln(2)

    def columns(self, paragraphs: list[str], size: float = 10):
        self.pdf.set_font("ipa", size=size)
        with self.pdf.text_columns(ncols=2, gutter=8) as cols:
            for p in paragraphs:
                cols.write(text=p + "\n\n")

    def bytes(self) -> bytes:
        return bytes(self.pdf.output())


def paper(
    *,
    authors: list[str] | None = None,
    affiliations: list[str] | None = None,
    grid: list[list[str]] | None = None,
    ack: str | None = None,
    pages: int = 3,
    two_column: bool = False,
    footnotes: list[str] | None = None,
    title: str = "Grounded Manipulation with Multimodal Foundation Models",
) -> bytes:
    """A small paper: title, author block, abstract, body pages, the acknowledgement last."""
    w = _Writer()
    w.page()
    w.title(title)
    if grid:
        w.grid(grid)
    else:
        for line in authors or ["Kazuki Sato^{1}, Hanako Suzuki^{2}"]:
            w.marked_line(line)
        default = [] if footnotes else ["^{1}The University of Tokyo  ^{2}RIKEN AIP"]
        for line in affiliations if affiliations is not None else default:
            w.marked_line(line, size=9)
    w.pdf.ln(4)
    w.text("Abstract", size=12)
    for line in footnotes or []:  # IEEE: affiliations as footnotes at the foot of page 1
        w.marked_line(line, size=8)
    paragraphs = [BODY * 3 for _ in range(pages * 2)]
    if ack:
        paragraphs.append("Acknowledgements. " + ack if not ack.startswith("謝辞") else ack)
    if two_column:
        w.columns(paragraphs)
    else:
        for i, p in enumerate(paragraphs):
            if i and i % 2 == 0:
                w.page()
            w.text(p)
    return w.bytes()


def scanned() -> bytes:
    """One page that is only a picture of text (no text layer), as a scanner makes."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    img = Image.new("L", (600, 800), 255)
    draw = ImageDraw.Draw(img)
    for i in range(30):
        draw.text((40, 40 + 24 * i), "This work was supported by NEDO JPNP20006.", fill=0)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(buf, x=10, y=10, w=190)
    return bytes(pdf.output())


def encrypted() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("ipa", fname=font_path())
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.add_page()
    pdf.set_font("ipa", size=11)
    pdf.multi_cell(w=0, text=BODY + "This work is supported by NEDO (JPNP20006).")
    return bytes(pdf.output())


def broken_encoding() -> bytes:
    """Text whose font has no Unicode map (the /ToUnicode entry renamed, offsets unchanged)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_compression(False)
    pdf.add_font("ipa", fname=font_path())
    pdf.add_page()
    pdf.set_font("ipa", size=11)
    pdf.multi_cell(w=0, text=BODY * 3 + "This work is supported by NEDO (JPNP20006).")
    data = bytes(pdf.output())
    assert b"/ToUnicode" in data
    return data.replace(b"/ToUnicode", b"/ToUnicodX")


def many_pages(n: int) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    for i in range(n):
        pdf.add_page()
        pdf.cell(text=f"Page {i + 1}. {BODY[:80]}")
    return bytes(pdf.output())


AUTHORS = ["Kazuki Sato", "Hanako Suzuki"]
AFFS = {"Kazuki Sato": ["University of Tokyo"], "Hanako Suzuki": ["RIKEN"]}


def corpus() -> list[Case]:
    """The generated corpus, with what must be found in each case."""
    cases = [
        Case(
            "number_in_acknowledgement",
            paper(ack=f"This paper is based on results obtained from a project, {GRANT}, "
                  "commissioned by the New Energy and Industrial Technology Development "
                  "Organization (NEDO)."),
            acknowledged=True, ack_page=4, affiliations=AFFS,
        ),
        Case(
            "number_split_across_lines",
            paper(ack="This work was supported by the project JPNP2000\n6 of NEDO. "
                  "We thank the reviewers."),
            acknowledged=True, ack_page=4, affiliations=AFFS,
        ),
        Case(
            "number_hyphenated_at_line_end",
            paper(ack="This work was supported by the project JPNP-\n20006 of NEDO."),
            acknowledged=True, ack_page=4, affiliations=AFFS,
        ),
        Case(
            "full_width_number",
            paper(ack="This work was supported by NEDO project ＪＰＮＰ２０００６ and by a "
                  "gift from a company."),
            acknowledged=True, ack_page=4, affiliations=AFFS,
        ),
        Case(
            "japanese_acknowledgement",
            paper(ack="謝辞 この成果は、国立研究開発法人新エネルギー・産業技術総合開発機構"
                  "（ＮＥＤＯ）の委託業務（ＪＰＮＰ２０００６）の結果得られたものです。"),
            acknowledged=True, ack_page=4, affiliations=AFFS,
        ),
        Case(
            "funder_name_only",
            paper(ack="We thank the New Energy and Industrial Technology Development "
                  "Organization (NEDO) for its support."),
            acknowledged=False, funder_only=True, ack_page=4, affiliations=AFFS,
        ),
        Case(
            "other_agencies_numbers",
            paper(ack="This work was supported by JST CREST Grant Number JPMJCR20G1, JSPS "
                  "KAKENHI Grant Numbers JP20H05556 and JP21K12345, and NEDO project "
                  "JPNP200061 (another project)."),
            acknowledged=False, funder_only=True, ack_page=4, affiliations=AFFS,
        ),
        Case(
            "no_acknowledgement",
            paper(ack=None),
            acknowledged=False, affiliations=AFFS,
        ),
        Case(
            "two_column_layout",
            paper(
                authors=["Kazuki Sato^{1,2}, Hanako Suzuki^{2}, John Smith^{3,*}"],
                affiliations=["^{1}The University of Tokyo  ^{2}RIKEN AIP  "
                              "^{3}Carnegie Mellon University  ^{*}Equal contribution",
                              "{sato,suzuki}@g.ecc.u-tokyo.ac.jp, jsmith@cs.cmu.edu"],
                ack=f"This paper is based on results obtained from a project, {GRANT}, "
                    "commissioned by NEDO.",
                two_column=True,
            ),
            acknowledged=True,
            affiliations={"Kazuki Sato": ["University of Tokyo", "RIKEN"],
                          "Hanako Suzuki": ["RIKEN"],
                          "John Smith": ["Carnegie Mellon"]},
            domains={"Kazuki Sato": "g.ecc.u-tokyo.ac.jp",
                     "Hanako Suzuki": "g.ecc.u-tokyo.ac.jp", "John Smith": "cs.cmu.edu"},
        ),
        Case(
            "author_grid_with_emails",
            paper(
                grid=[["Kazuki Sato", "Department of Informatics", "Kyoto University",
                       "ksato@i.kyoto-u.ac.jp"],
                      ["Taro Yamada", "Preferred Networks, Inc.", "Tokyo, Japan",
                       "yamada@preferred.jp"],
                      ["Mei Tanaka", "National Institute of Informatics", "Tokyo, Japan",
                       "mtanaka@nii.ac.jp"]],
                ack=None,
            ),
            acknowledged=False,
            affiliations={"Kazuki Sato": ["Kyoto University"],
                          "Taro Yamada": ["Preferred Networks"],
                          "Mei Tanaka": ["National Institute of Informatics"]},
            domains={"Kazuki Sato": "i.kyoto-u.ac.jp", "Taro Yamada": "preferred.jp",
                     "Mei Tanaka": "nii.ac.jp"},
        ),
        Case(
            "ieee_footnote_affiliations",
            paper(
                authors=["Kazuki Sato^{1}, Hanako Suzuki^{2} and John Smith^{1}"],
                footnotes=["^{1}K. Sato and J. Smith are with the Department of Informatics, "
                           "Kyoto University, Kyoto, Japan {sato,smith}@i.kyoto-u.ac.jp",
                           "^{2}H. Suzuki is with RIKEN AIP, Tokyo, Japan"],
                ack=None,
            ),
            acknowledged=False,
            affiliations={"Kazuki Sato": ["Kyoto University"], "Hanako Suzuki": ["RIKEN AIP"],
                          "John Smith": ["Kyoto University"]},
            domains={"Kazuki Sato": "i.kyoto-u.ac.jp", "John Smith": "i.kyoto-u.ac.jp"},
        ),
        Case("scanned_page", scanned(), acknowledged=False, problem="no text layer"),
        Case("encrypted", encrypted(), acknowledged=False, problem="encrypted"),
        Case("broken_encoding", broken_encoding(), acknowledged=False,
             problem="broken encoding"),
    ]
    full = paper(ack=f"Supported by NEDO {GRANT}.")
    cases.append(Case("truncated_file", full[: len(full) * 2 // 3], acknowledged=False,
                      problem="truncated or damaged"))
    return cases
