"""Named queries behind the tallies: the links that may count, with paper and member context."""

from __future__ import annotations

import sqlite_utils

COUNTABLE_LINKS = """
SELECT l.link_id, l.status, l.score, l.decision_id, l.explanation, l.matcher_version,
       p.paper_id, p.title, p.venue, p.year, p.track, p.doi, p.url,
       m.person_id, m.family_name, m.given_name, m.name_ja, m.start_date, m.end_date,
       m.project_id, pr.theme_id,
       d.decided_by, d.decided_at, d.action AS decision_action, d.reason AS decision_reason
FROM links l
JOIN papers p USING (paper_id)
JOIN members m USING (person_id)
JOIN projects pr USING (project_id)
LEFT JOIN decisions d ON d.decision_id = l.decision_id
WHERE l.status IN ('confirmed', 'needs_review') AND m.active = 1
ORDER BY p.venue, p.year, p.paper_id, m.person_id
"""


def countable_links(db: sqlite_utils.Database) -> list[dict]:
    """Confirmed and pending links of active members (filters by venue-year, track and
    membership window are applied by papertally.report, which knows the config)."""
    return list(db.query(COUNTABLE_LINKS))
