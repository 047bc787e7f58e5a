"""Re-cut the illustrative samples in this folder from ../shared/data (run from the repo root)."""

import copy
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

D = str(Path(__file__).resolve().parents[2] / ".." / "shared" / "data") + "/"
# Affiliations that make a paper worth keeping: Japanese institutions, so an example roster
# can match something.
JP = re.compile(
    r"Tokyo|Kyoto|RIKEN|\bAIST\b|National Institute of Advanced Industrial|\bNTT\b|Sony|Preferred Networks|Toyota|Osaka|Tohoku|Nagoya|Keio|Waseda|Japan|Kyushu|Hokkaido|NAIST|Tsukuba|LINE Corp|CyberAgent|Fujitsu|Hitachi|\bNEC\b|Denso|Honda|Panasonic|Mitsubishi|National Institute of Informatics|Omron|OMRON",
    re.IGNORECASE,
)
KEEP = {
    "cvpr": ["title", "status", "track", "author", "aff", "site", "oa", "pdf", "arxiv"],
    "icra": [
        "id",
        "title",
        "track",
        "status",
        "author",
        "authorids",
        "aff",
        "aff_unique_index",
        "aff_unique_norm",
        "aff_unique_abbr",
        "aff_unique_url",
        "aff_country_unique_index",
        "aff_country_unique",
        "author_num",
        "site",
        "pdf",
    ],
    "nips": ["id", "title", "author", "status", "track", "site"],
}


def cut(name, keep, pick):
    d = json.loads(Path(D + f"paperlists/{name}.json").read_text(encoding="utf-8"))
    out = [{k: x[k] for k in keep if k in x} for x in pick(d)]
    return out


def cvpr_pick(d):
    jp = [x for x in d if JP.search(x.get("aff", ""))]
    other = [x for x in d if not JP.search(x.get("aff", ""))]
    sel = jp[:45] + other[:10]
    ent = [x for x in d if "&#" in x["author"] or "&#" in x["title"]]
    for x in ent[:2]:
        if x not in sel:
            sel.append(x)
    return [x for x in d if x in sel]  # file order


cv = cut("cvpr2024", KEEP["cvpr"], cvpr_pick)


def icra_pick(d):
    jp = [
        x
        for x in d
        if x.get("aff_country_unique") and "Japan" in x["aff_country_unique"]
    ]
    other = [x for x in d if x not in jp]
    sel = jp[:50] + other[:10]
    return [x for x in d if x in sel]


ic = cut("icra2023", KEEP["icra"], icra_pick)
names = set()
for x in cv:
    names.update(n.strip() for n in x["author"].split(","))
for x in ic:
    names.update(n.strip() for n in x["author"].split(";"))


def nips_pick(d):
    hit = [x for x in d if names & {n.strip() for n in x["author"].split(",")}]
    from collections import Counter

    c = Counter(x["title"].casefold() for x in d)
    dup = [x for x in d if c[x["title"].casefold()] > 1]
    sel = hit[:50] + [x for x in d[:8]] + dup
    return [x for x in d if x in sel]


ni = cut("nips2024", KEEP["nips"], nips_pick)
for fn, data in [
    ("paperlists_cvpr2024.json", cv),
    ("paperlists_icra2023.json", ic),
    ("paperlists_nips2024.json", ni),
]:
    with open("examples/sample/" + fn, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(fn, len(data))

tree = ET.parse(D + "acl-anthology/2024.acl.xml")
root = tree.getroot()
new = ET.Element("collection", root.attrib)
total = 0
for vol in root.findall("volume"):
    if vol.get("id") not in ("long", "short", "demos", "srw"):
        continue
    papers = vol.findall("paper")
    jp = [
        p for p in papers if any(JP.search(a.text or "") for a in p.iter("affiliation"))
    ]
    limit = {"long": 40, "short": 15, "demos": 8, "srw": 10}[vol.get("id")]
    fill = {"long": 8, "short": 4, "demos": 3, "srw": 2}[vol.get("id")]
    sel = jp[:limit] + [p for p in papers if p not in jp][:fill]
    sel = [p for p in papers if p in sel]
    nv = ET.SubElement(new, "volume", vol.attrib)
    nv.text = "\n    "
    for child in vol:
        if child.tag in ("meta", "frontmatter"):
            nv.append(copy.deepcopy(child))
    for p in sel:
        p = copy.deepcopy(p)
        for tag in (
            "abstract",
            "video",
            "attachment",
            "award",
            "revision",
            "erratum",
            "pwccode",
            "pwcdataset",
        ):
            for e in p.findall(tag):
                p.remove(e)
        nv.append(p)
    total += len(sel)
# No ET.indent: it would add whitespace inside mixed-content titles (<fixed-case>).
new.text = "\n  "
for v in new:
    v.tail = "\n  "
new[-1].tail = "\n"
ET.ElementTree(new).write(
    "examples/sample/acl-anthology_2024.acl.xml", encoding="UTF-8", xml_declaration=True
)
print("acl", total)
