"""Small-group suppression: a count of 1 to 4 respondents is never shown, nor its percentage.

Lives here: ``MIN_GROUP`` and ``Cell`` (a count that knows whether it may be shown), the one
rule every page, chart and export goes through. Must not query nor format for a language.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_GROUP = 5
SUPPRESSED_TEXT = "<5"


@dataclass(frozen=True)
class Cell:
    """A respondent count with its percentage of a base; hidden when 1 ≤ count < 5.

    ``count`` is the true count, for aggregating only: whatever is shown goes through
    ``shown_count``, ``text`` or ``percent`` (None when hidden or without a base). A cell whose
    base is itself 1–4 is hidden too, even at 0.
    """

    count: int
    base: int | None = None

    @property
    def suppressed(self) -> bool:
        """True when the count is 1 to 4 (or the base itself is 1 to 4)."""
        return 0 < self.count < MIN_GROUP or (self.base is not None and 0 < self.base < MIN_GROUP)

    @property
    def shown_count(self) -> int | None:
        """The count, or None when suppressed."""
        return None if self.suppressed else self.count

    @property
    def percent(self) -> float | None:
        """The share of the base in percent (0–100), or None when hidden or the base is 0."""
        if self.suppressed or not self.base:
            return None
        return 100.0 * self.count / self.base

    @property
    def text(self) -> str:
        """The count as text ("<5" when suppressed), for exports and charts."""
        return SUPPRESSED_TEXT if self.suppressed else str(self.count)


def is_small_group(count: int) -> bool:
    """True when a group of ``count`` respondents is too small to show (1 to 4)."""
    return 0 < count < MIN_GROUP
