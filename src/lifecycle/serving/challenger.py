"""The registry's `challenger`, as one worker holds it: loaded, checked, or refused.

It follows the alias on every registry check the champion gets (ServedModel.refresh, so the
poll and POST /admin/reload alike): a new challenger is loaded, a removed one dropped, and one
that became champion (the alias names the champion's version) is no longer a challenger.
A challenger that does not fit the service (another task, input columns or classes than the
champion) is refused once per version: a warning, a count, and the champion serves alone.
When the alias moves, the challenger held so far is dropped before the new one loads: it is
no longer the challenger, whether or not the new one loads. A version that fails to load for
another reason (the store is down, an artifact is missing) is retried at most once every
RETRY_SECONDS, not on every check (each holds ServedModel's lock while it loads).
"""

from __future__ import annotations

import logging
import time
from typing import Protocol, runtime_checkable

from lifecycle.serving.champion import Champion
from lifecycle.serving.prometheus import ServingMetrics

log = logging.getLogger("lifecycle.serving")
RETRY_SECONDS = 60.0  # a version that failed to load is tried again after this long


@runtime_checkable
class ChallengerSource(Protocol):
    """A model source that also names a challenger (the registry; a Bento has none)."""

    def challenger(self) -> str | None:
        """The version the `challenger` alias points at now; None when there is none."""
        ...

    def load(self, version: str) -> Champion:
        """Load one version with its lineage (ValueError: it does not fit the service)."""
        ...


class Challenger:
    """The challenger this worker holds (`current`), swapped whole like the champion."""

    def __init__(
        self, source: ChallengerSource, metrics: ServingMetrics, retry: float = RETRY_SECONDS
    ) -> None:
        self.source, self.metrics, self.retry = source, metrics, retry
        self.current: Champion | None = None
        self.detail = "not checked yet"
        self._refused: dict[str, str] = {}  # version -> why, so a bad one is loaded only once
        self._failed: dict[str, tuple[float, str]] = {}  # version -> (monotonic time, why)

    def follow(self, champion: Champion) -> None:
        """Re-read the alias; load, drop or refuse the challenger (slow: off the request path)."""
        version = self.source.challenger()
        if version is None or version == champion.info.version:
            why = "no challenger alias" if version is None else f"v{version} is the champion"
            self._drop(why)
            return
        if self.current is not None and self.current.info.version == version:
            return
        if version in self._refused:
            self._drop(self._refused[version], quiet=True)
            return
        if self.current is not None:  # the alias moved on: the old one is no challenger now
            self._drop(f"the alias moved to v{version}")
        failed = self._failed.get(version)
        if failed is not None and time.monotonic() - failed[0] < self.retry:
            self._drop(failed[1], quiet=True)
            return
        self._load(version, champion)

    def _load(self, version: str, champion: Champion) -> None:
        """Load `version`: the challenger, refused (ValueError), or failed (retried later)."""
        try:
            loaded = self.source.load(version)
            _check_fits(loaded, champion)
        except ValueError as err:  # another task or schema: refused, the champion serves alone
            self._refuse(version, str(err))
            return
        except Exception as err:  # the store, an artifact: maybe passing, so tried again later
            why = f"challenger v{version} failed to load ({err!r}), next try in {self.retry:g} s"
            self._failed[version] = (time.monotonic(), why)
            log.warning("%s; the champion serves alone, no shadow or canary", why)
            self._drop(why, quiet=True)
            return
        self._failed.pop(version, None)
        self.current, self.detail = loaded, f"challenger v{version}"
        log.warning("challenger v%s loaded next to champion v%s", version, champion.info.version)

    def _drop(self, why: str, quiet: bool = False) -> None:
        if self.current is not None:
            log.warning("challenger v%s dropped: %s", self.current.info.version, why)
        elif why != self.detail and not quiet:
            log.info("no challenger to shadow or canary (%s): the champion serves alone", why)
        self.current, self.detail = None, why

    def _refuse(self, version: str, why: str) -> None:
        self._refused[version] = f"challenger v{version} refused: {why}"
        log.warning("%s; the champion serves alone, no shadow or canary", self._refused[version])
        self.metrics.challenger_refused.inc()
        self._drop(self._refused[version], quiet=True)


def _check_fits(challenger: Champion, champion: Champion) -> None:
    """ValueError unless the challenger answers in the champion's shape (same classes)."""
    if challenger.classes != champion.classes:
        raise ValueError(
            f"it predicts classes {list(challenger.classes) or 'none (regression)'}, the champion "
            f"v{champion.info.version} {list(champion.classes) or 'none (regression)'}"
        )
