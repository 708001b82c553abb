"""Undo and redo for the configs: `ConfigHistory` records every change as a step.

A step is one user edit (one field set), or everything changed inside
``with history.step("load config.json"):``, which is how a load, a preset or a reset
becomes a single step. Undoing and redoing change the configs but record nothing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from traitlets import All, Bool, HasTraits, Int, Undefined, Unicode

from alignn_nb.config.mirror import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.config.training_settings import TrainingSettings

#: Steps kept for undo; older ones are forgotten.
LIMIT = 50


@dataclass(frozen=True)
class Change:
    """One trait of one object going from ``old`` to ``new``."""

    owner: HasTraits
    name: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Step:
    """What one undo or redo applies: a description and the changes in the order made."""

    description: str
    changes: tuple[Change, ...]


def _merge(changes: Sequence[Change]) -> tuple[Change, ...]:
    """One change per trait, from its first old to its last new value; no-ops dropped."""
    merged: dict[tuple[int, str], Change] = {}
    for change in changes:
        key = (id(change.owner), change.name)
        first = merged.get(key, change)
        merged[key] = Change(change.owner, change.name, first.old, change.new)
    return tuple(c for c in merged.values() if c.old != c.new)


def _describe(change: Change) -> str:
    return f"{change.name} {change.old!r} → {change.new!r}"


def _assign(changes: Sequence[Change], new: bool) -> None:
    """Set every change's new (or old) value, holding each owner's notifications."""
    owners = {id(c.owner): c.owner for c in changes}
    for owner in owners.values():
        with owner.hold_trait_notifications():
            for change in changes:
                if change.owner is owner:
                    setattr(owner, change.name, change.new if new else change.old)


class ConfigHistory(HasTraits):
    """Undo/redo of the last `LIMIT` changes to a model config and its graph options.

    Every field change of ``cfg``, ``graph`` and the training ``settings`` if given (and
    of the ``extras``, pairs of an object and a trait name) is recorded as it happens.
    Outside `step`, each change is its own step; inside, all changes form one step.
    """

    can_undo = Bool(False, help="True when there is a step to undo.")
    can_redo = Bool(False, help="True when there is an undone step to redo.")
    undo_description = Unicode("", help="What `undo` would revert, or empty.")
    redo_description = Unicode("", help="What `redo` would re-apply, or empty.")
    limit = Int(LIMIT, read_only=True, help="How many steps are kept for undo.")

    def __init__(
        self,
        cfg: ALIGNNAtomWiseConfig,
        graph: GraphConfig,
        extras: Sequence[tuple[HasTraits, str]] = (),
        limit: int = LIMIT,
        settings: TrainingSettings | None = None,
    ) -> None:
        super().__init__()
        self.set_trait("limit", limit)
        self._undo: deque[Step] = deque(maxlen=limit)
        self._redo: list[Step] = []
        self._open: list[Change] | None = None
        self._replaying = False
        self._watched: list[tuple[HasTraits, Any]] = [(cfg, All), (graph, All)]
        self._watched += [] if settings is None else [(settings, All)]
        self._watched += [(owner, name) for owner, name in extras]
        for owner, names in self._watched:
            owner.observe(self._on_trait_changed, names=names)

    def __repr__(self) -> str:
        return f"ConfigHistory(undo: {len(self._undo)}, redo: {len(self._redo)})"

    def _on_trait_changed(self, change: Any) -> None:
        if self._replaying:
            return
        owner, name, old = change["owner"], change["name"], change["old"]
        if old is Undefined:  # a lazily made default, first set before it was read
            old = owner.trait_defaults(name)
        recorded = Change(owner, name, old, change["new"])
        if self._open is not None:
            self._open.append(recorded)
        else:
            self._push([recorded], None)

    def _push(self, changes: Sequence[Change], description: str | None) -> None:
        merged = _merge(changes)
        if not merged:
            return
        text = description if description is not None else _describe(merged[0])
        self._undo.append(Step(text, merged))
        self._redo.clear()
        self._refresh()

    def _refresh(self) -> None:
        with self.hold_trait_notifications():
            self.can_undo = bool(self._undo)
            self.can_redo = bool(self._redo)
            self.undo_description = self._undo[-1].description if self._undo else ""
            self.redo_description = self._redo[-1].description if self._redo else ""

    @contextmanager
    def _replay(self) -> Iterator[None]:
        self._replaying = True
        try:
            yield
        finally:
            self._replaying = False

    @contextmanager
    def step(self, description: str) -> Iterator[None]:
        """Group every change made inside into one step named ``description``.

        Nested groups join the outermost one. If the body raises, every change it made
        is reverted, nothing is recorded, and the exception propagates.
        """
        if self._open is not None:
            yield
            return
        self._open = []
        try:
            yield
        except BaseException:
            merged, self._open = _merge(self._open), None
            with self._replay():
                _assign(merged[::-1], new=False)
            raise
        changes, self._open = self._open, None
        self._push(changes, description)

    def undo(self) -> str:
        """Revert the last step; returns its description.

        Raises:
            ValueError: when there is nothing to undo.
        """
        if not self._undo:
            raise ValueError("nothing to undo")
        step = self._undo.pop()
        with self._replay():
            _assign(step.changes[::-1], new=False)
        self._redo.append(step)
        self._refresh()
        return step.description

    def redo(self) -> str:
        """Re-apply the last undone step; returns its description.

        Raises:
            ValueError: when there is nothing to redo.
        """
        if not self._redo:
            raise ValueError("nothing to redo")
        step = self._redo.pop()
        with self._replay():
            _assign(step.changes, new=True)
        self._undo.append(step)
        self._refresh()
        return step.description

    def clear(self) -> None:
        """Forget every step."""
        self._undo.clear()
        self._redo.clear()
        self._refresh()

    def close(self) -> None:
        """Stop recording changes."""
        for owner, names in self._watched:
            owner.unobserve(self._on_trait_changed, names=names)

    @property
    def undo_steps(self) -> list[str]:
        """Descriptions of the steps `undo` can revert, oldest first."""
        return [s.description for s in self._undo]
