"""The log-odds weights that both the printed evidence (matching.kinds) and the evidence
from enrichment (matching.enriched) use: one place, so a page-1 affiliation weighs what a
source's per-author affiliation does and an identifier from OpenAlex what a printed one does.
"""

from __future__ import annotations

W_AFF_MATCH = 3.0
# A different printed affiliation sends only a rare full name to review (a member who
# moved, a misprinted institute); a common one is rejected.
W_AFF_MISMATCH = -1.1
W_AFF_RELATED = 1.0  # sister entity (Sony AI for Sony Group): review, never confirm
W_ID_AGREE = 6.0
W_ID_DISAGREE = -6.0
