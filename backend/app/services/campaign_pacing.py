"""Pacing sends under a platform's rate limit: an async token bucket that slows down when told to.

Lives here: ``PlatformLimit`` (a limit as the platform states it: N calls per window) and
``AdaptiveRateLimiter``. The bucket refills at ``headroom`` x the limit (divided among the
dispatchers sharing it) and holds at most a quarter of the remaining headroom as a burst, so
no window of the platform's length sees more calls than the limit, with room left for the
platform counting calls a little later than they left (network and server jitter). A
rate-limit answer (``slow_down``) pauses every send of that platform for a quarter of its
window (at most ``pause_seconds``) and cuts the rate by 10 %; the rate climbs back by 5 % of
the target every ``recover_seconds`` (1 s) without such an answer. A stray rate-limit answer
thus costs a fraction of a second, while a platform that really allows less (or the bot's own
replies sharing the quota) keeps the rate down where it is accepted. Members are never failed
for a rate limit. Must not talk HTTP nor touch the database.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class PlatformLimit:
    """A platform's send limit: ``calls`` per ``window_seconds``."""

    calls: int
    window_seconds: float

    @property
    def per_second(self) -> float:
        """The limit as calls per second."""
        return self.calls / self.window_seconds


class AdaptiveRateLimiter:
    """An asyncio token bucket with multiplicative slow-down and additive recovery."""

    def __init__(
        self,
        limit: PlatformLimit,
        *,
        headroom: float = 0.95,
        share: int = 1,
        pause_seconds: float = 1.0,
        recover_seconds: float = 1.0,
        decrease: float = 0.9,
        recover_step: float = 0.05,
        min_fraction: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self._share = max(1, share)
        self._target = limit.per_second * min(max(headroom, 0.05), 1.0) / self._share
        self._capacity = max(1.0, limit.calls * (1.0 - min(headroom, 1.0)) / 4.0 / self._share)
        self._pause_seconds = min(pause_seconds, limit.window_seconds / 4.0)
        self._recover_seconds = recover_seconds
        self._decrease = decrease
        self._recover_step = recover_step
        self._min_fraction = min_fraction
        self._clock = clock
        self._fraction = 1.0
        self._tokens = min(self._capacity, max(1.0, self._target * 0.05))
        self._last = clock()
        self._paused_until = 0.0
        self._last_slow_down = -1e18
        self._last_recovery = self._last
        self._lock = asyncio.Lock()
        self.slow_downs = 0

    @property
    def rate(self) -> float:
        """The current rate in calls per second."""
        return self._target * self._fraction

    @property
    def target_rate(self) -> float:
        """The rate aimed at without rate-limit answers."""
        return self._target

    def _refill(self, now: float) -> None:
        if now - self._last_slow_down >= self._recover_seconds and self._fraction < 1.0:
            steps = int((now - max(self._last_recovery, self._last_slow_down)) // self._recover_seconds)
            if steps > 0:
                self._fraction = min(1.0, self._fraction + self._recover_step * steps)
                self._last_recovery = now
        elapsed = max(0.0, now - max(self._last, self._paused_until))
        self._tokens = min(self._capacity, self._tokens + elapsed * self.rate)
        self._last = max(now, self._last)

    async def acquire(self) -> None:
        """Waits until one call may go out (callers are served in arrival order)."""
        async with self._lock:
            while True:
                now = self._clock()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                self._refill(now)
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                await asyncio.sleep((1.0 - self._tokens) / self.rate)

    def slow_down(self) -> None:
        """Reacts to a rate-limit answer: pause every call for a moment and cut the rate."""
        now = self._clock()
        if now - self._last_slow_down < min(self._pause_seconds, 1.0):
            return  # one burst of rate-limit answers counts once
        self.slow_downs += 1
        self._last_slow_down = now
        self._last_recovery = now
        self._fraction = max(self._min_fraction, self._fraction * self._decrease)
        self._paused_until = now + self._pause_seconds
        self._tokens = 0.0
        self._last = now
