"""The live engine behind the dashboard: a `LiveSession` recomputes only the stages a
change touches (graph, model, forward, loss), on a worker thread joined at exit, and
publishes each round as a `LiveResult`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alignn_nb.lazy import lazy_package

if TYPE_CHECKING:
    from alignn_nb.live.session import LiveSession
    from alignn_nb.live.stages import LiveResult, StageError

__all__, __getattr__, __dir__ = lazy_package(__name__, __file__, globals())
