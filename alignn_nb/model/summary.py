"""Parameter counts of a built model: the total and one row per module."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass(frozen=True)
class ModelSummary:
    """Parameter counts of a built model: the total and one row per module."""

    total: int
    trainable: int
    rows: tuple[tuple[str, int], ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, int]:
        """Module name to parameter count, in model order."""
        return dict(self.rows)

    def text(self) -> str:
        """A fixed-width table of the rows and the total."""
        width = max([len(name) for name, _ in self.rows] + [5])
        lines = [f"{name:<{width}}  {count:>10,}" for name, count in self.rows]
        lines.append(f"{'total':<{width}}  {self.total:>10,}")
        return "\n".join(lines)


def _module_rows(model: torch.nn.Module) -> list[tuple[str, int]]:
    rows = []
    for name, child in model.named_children():
        if isinstance(child, torch.nn.ModuleList):
            rows += [(f"{name}.{i}", _count(layer)) for i, layer in enumerate(child)]
        else:
            rows.append((name, _count(child)))
    return [(name, count) for name, count in rows if count]


def _count(module: torch.nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def model_summary(model: torch.nn.Module) -> ModelSummary:
    """Total and per-module parameter counts (embeddings, each layer, heads)."""
    return ModelSummary(
        total=_count(model),
        trainable=_count(model, trainable_only=True),
        rows=tuple(_module_rows(model)),
    )
