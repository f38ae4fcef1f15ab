"""The one base every core model shares.

Core values are frozen: a step returns new values instead of changing the ones
it was given, so a retried step after a lost compare-and-set race starts from
exactly what was loaded.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """An immutable pydantic model."""

    model_config = ConfigDict(frozen=True)
