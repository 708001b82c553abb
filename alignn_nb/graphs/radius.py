"""alignn's ``radius_graph`` neighbour rule, vectorised.

It follows alignn's ``radius_graph``: float32 coordinates, the float32 image window,
``torch.cdist`` distances and the ``cutoff_extra`` growth loop. Lengths in Å.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from alignn_nb.graphs.geometry import (
    MAX_GROWTH_ROUNDS,
    Geometry,
    NeighborResult,
    fmt_image,
    jarvis_distances,
    note_isolated,
    search_pairs,
)

RADIUS_IMAGE_PAD = 0.5
"""Å; alignn's ``radius_graph`` widens its periodic-image window by this much."""
RADIUS_SELF_ATOL = 1e-5
"""Å; alignn's ``radius_graph`` drops pairs whose float32 distance is within this of 0."""


_RADIUS_MARGIN = 1e-2
"""Å; extra search radius so vesin never misses a pair float32 rounding pulls inside."""


def _radius_window(geom: Geometry, radius: float) -> tuple[torch.Tensor, ...]:
    """alignn radius_graph's float32 image grid and its translation vectors."""
    dtype = torch.get_default_dtype()
    lattice = torch.tensor(geom.lattice).type(dtype)
    frac = torch.tensor(geom.frac).type(dtype)
    recip = 2 * math.pi * torch.linalg.inv(lattice).T
    recip_len = torch.sqrt(torch.sum(recip**2, dim=1))
    reach = torch.ceil((radius + RADIUS_IMAGE_PAD) * recip_len / (2 * math.pi))
    low = torch.floor(torch.min(frac, dim=0)[0]) - reach
    high = torch.ceil(torch.max(frac, dim=0)[0]) + reach
    ranges = [torch.arange(a, b, dtype=dtype) for a, b in zip(low, high, strict=True)]
    grid = torch.cartesian_prod(*ranges)
    return grid, grid @ lattice, low.to(torch.int64), high.to(torch.int64)


def _radius_candidates(geom: Geometry, radius: float, pair_limit: float):
    """Pairs alignn's radius_graph keeps at ``radius``: i, j, image, r (float32 arrays)."""
    i, j, image = search_pairs(geom, radius + _RADIUS_MARGIN, pair_limit)
    dtype = torch.get_default_dtype()
    cart = torch.tensor(geom.cart).type(dtype)
    if geom.periodic:
        _grid, shifts, low, high = _radius_window(geom, radius)
        low_np, high_np = low.numpy(), high.numpy()
        inside = np.all((image >= low_np) & (image < high_np), axis=1)
        i, j, image = i[inside], j[inside], image[inside]
        span = high_np - low_np
        rel = image - low_np
        row = torch.from_numpy((rel[:, 0] * span[1] + rel[:, 1]) * span[2] + rel[:, 2])
        target = shifts[row] + cart[torch.from_numpy(j)]
    else:
        target = cart[torch.from_numpy(j)]
    origin = cart[torch.from_numpy(i)]
    dist = torch.cdist(
        origin[:, None, :], target[:, None, :], compute_mode="donot_use_mm_for_euclid_dist"
    )[:, 0, 0]
    zero = torch.tensor([0]).type(dtype)
    keep = ((dist <= radius) & ~torch.isclose(dist, zero, atol=RADIUS_SELF_ATOL)).numpy()
    r = (target - origin)[torch.from_numpy(keep)].float().numpy()
    return i[keep], j[keep], image[keep], r, (i, j, image, dist.numpy())


def radius_edges(
    geom: Geometry, cutoff: float, cutoff_extra: float, pair_limit: float
) -> NeighborResult:
    """alignn's ``radius_graph`` edges: every pair within the cutoff, in float32.

    alignn grows the cutoff by ``cutoff_extra`` Å until its DGL graph has N nodes, i.e.
    until the highest-index atom has a bond; other atoms may stay isolated.
    """
    n = geom.n_atoms
    notes: list[str] = []
    radius = float(cutoff)
    for _ in range(MAX_GROWTH_ROUNDS):
        i, j, image, r, raw = _radius_candidates(geom, radius, pair_limit)
        if n == 0 or (len(i) and max(i.max(), j.max()) == n - 1):
            break
        if not geom.periodic and radius > _molecule_extent(geom):
            notes.append(
                f"atom {n - 1} has no neighbour at any distance; alignn's radius_graph would "
                "loop forever here, so growth stopped."
            )
            break
        notes.append(
            f"cutoff grown from {radius:g} Å to {radius + cutoff_extra:g} Å because atom "
            f"{n - 1} (the highest index, the only one alignn checks) had no neighbour."
        )
        radius += cutoff_extra
    if len(i) == 0 and n:
        raise ValueError(f"no bonds found within {radius:g} Å")
    _note_radius_rounding(geom, radius, raw, i, notes)
    note_isolated(n, i, notes)
    return NeighborResult(
        src=i,
        dst=j,
        images=image,
        alignn_images=image,
        r=r.astype(np.float64),
        cutoff_used=radius,
        notes=notes,
    )


def _molecule_extent(geom: Geometry) -> float:
    return float(np.linalg.norm(np.ptp(geom.cart, axis=0))) if geom.n_atoms else 0.0


def _note_radius_rounding(geom, radius, raw, kept_i, notes: list[str]) -> None:
    """Pairs whose float64 distance and alignn's float32 decision disagree."""
    i, j, image, dist32 = raw
    if geom.periodic:
        d64 = jarvis_distances(geom, i, j, image)
    else:
        d64 = np.sum((geom.cart[j] - geom.cart[i]) ** 2, axis=-1) ** 0.5
    in32 = dist32 <= np.float32(radius)
    in64 = d64 <= radius
    for a, b, img, d, kept in zip(
        i[in32 != in64],
        j[in32 != in64],
        image[in32 != in64],
        d64[in32 != in64],
        in32[in32 != in64],
        strict=True,
    ):
        verb = "kept" if kept else "dropped"
        notes.append(
            f"float32 rounding {verb} atom {int(a)}'s neighbour {int(b)} at image "
            f"{fmt_image(img)}: {d:.10f} Å against the {radius:g} Å cutoff."
        )
