"""The physics rules alignn's forward pass adds to the model, shared by predict and the loss.

The short-bond penalty (and which lengths it reads: the bond length or the cutoff
envelope), whether it sits in the readout, the readout energy, alignn's ZBL repulsion of
the pure model, and when the energy ignores the bonds altogether. Energies in eV, bond
vectors r (E, 3) in Å.
"""

from __future__ import annotations

from typing import Any

import torch

from alignn_nb.config import is_pure


def zbl_active(model: torch.nn.Module, g: Any) -> bool:
    """Whether alignn's pure model adds ZBL repulsion on ``g``.

    It does when its resolved use_zbl is on, forces are computed and the graph carries
    atomic numbers ``Z``, which only alignn's pure_torch builder stores.
    """
    return zbl_switched_on(model) and "Z" in g.ndata


def zbl_switched_on(model: torch.nn.Module) -> bool:
    """Whether alignn's pure model would add ZBL repulsion to a graph with atomic numbers."""
    return is_pure(model) and bool(model.use_zbl) and bool(model.config.calculate_gradient)


def energy_ignores_bonds(conf: Any, zbl: bool = False) -> bool:
    """True when no layer, no penalty and no ZBL term reads the bonds.

    The energy then ignores positions, and alignn's force autograd raises instead of
    returning zero forces.
    """
    return conf.alignn_layers == 0 and conf.gcn_layers == 0 and not conf.use_penalty and not zbl


def penalised_lengths(conf: Any, r: torch.Tensor) -> torch.Tensor:
    """What alignn compares with penalty_threshold for each bond vector r (E, 3) in Å.

    Normally the bond length in Å. With use_cutoff_function on and multiply_cutoff off,
    alignn's DGL model overwrites the bond lengths with the smooth-cutoff envelope
    (between 0 and 1) before the penalty reads them, so the penalty compares the envelope
    instead; its pure twin keeps the lengths.
    """
    lengths = torch.linalg.norm(r, dim=1)
    if envelope_penalty(conf):
        from alignn.models.alignn_atomwise import cutoff_function_based_edges

        return cutoff_function_based_edges(
            lengths, inner_cutoff=conf.inner_cutoff, exponent=conf.exponent
        )
    return lengths


def envelope_penalty(conf: Any) -> bool:
    """Whether alignn's penalty reads the cutoff envelope instead of the bond lengths."""
    return conf.use_cutoff_function and not conf.multiply_cutoff and not is_pure(conf)


def penalty_in_readout(conf: Any) -> bool:
    """Whether alignn's forward has already added the short-bond penalty to its readout ``out``.

    With energy_mult_natoms off, alignn's DGL model differentiates ``out`` itself and adds
    the penalty to it in place: ``out``, and with it the graphwise loss, then holds the
    penalty of the whole batch, on every structure. Its pure twin adds the penalty to a
    copy, and with energy_mult_natoms on both add it to ``out`` × atoms, leaving ``out`` as is.
    """
    return bool(conf.use_penalty) and not conf.energy_mult_natoms and not is_pure(conf)


def readout_energy(
    out: torch.Tensor, natoms: torch.Tensor | int, conf: Any, batch_penalty: float
) -> torch.Tensor:
    """Each structure's energy from alignn's readout, without the short-bond penalty (eV).

    ``out`` is the readout of a batch, shape (B,); ``batch_penalty`` (eV) is the penalty of
    the whole batch, which `penalty_in_readout` says whether alignn has added to ``out``.
    The result is multiplied by ``natoms`` (B,) when energy_mult_natoms is on. Adding each
    structure's own penalty gives the energy alignn differentiates for that structure.
    """
    bare = out - batch_penalty if penalty_in_readout(conf) else out
    return bare * natoms if conf.energy_mult_natoms else bare


def penalty_per_edge(conf: Any, r: torch.Tensor) -> torch.Tensor:
    """alignn's short-bond penalty of each edge in eV: factor × (threshold − length) below it."""
    return _penalty(conf, r)[0]


def _penalty(conf: Any, r: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(E,) penalty per edge in eV and (E,) bool: the edges below penalty_threshold."""
    values = penalised_lengths(conf, r)
    short = values < conf.penalty_threshold
    return torch.where(short, conf.penalty_factor * (conf.penalty_threshold - values), 0.0), short


def short_bond_penalty(conf: Any, g: Any) -> tuple[float, int]:
    """alignn's short-bond penalty in eV on the bonds of ``g``, and the edges it acts on.

    (0.0, 0) when use_penalty is off. ``g`` is a DGL graph or a TorchGraph, one structure's
    or a batch's; its bond vectors are read in float64 (see `penalty_per_edge`).
    """
    if not conf.use_penalty:
        return 0.0, 0
    per_edge, short = _penalty(conf, g.edata["r"].detach().double())
    return float(per_edge.sum()), int(short.sum())


def bond_penalty(conf: Any, g: Any) -> float:
    """alignn's short-bond energy penalty in eV on the bonds of ``g`` (see `penalty_per_edge`)."""
    return short_bond_penalty(conf, g)[0]


def zbl_energy(model: torch.nn.Module, g: Any) -> float:
    """alignn's ZBL repulsion in eV that its pure model adds on ``g`` (0 when inactive)."""
    if not zbl_active(model, g):
        return 0.0
    from alignn.models.alignn_atomwise_pure import zbl_edge_energy

    r = g.edata["r"].detach()
    z = g.ndata["Z"].to(r.dtype)
    src, dst = _edge_index(g)
    lengths = torch.linalg.norm(r, dim=1)
    return float(zbl_edge_energy(z[src], z[dst], lengths, model.zbl_cutoff))


def _edge_index(g: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """(src, dst) of a DGL graph or a TorchGraph."""
    return (g.src, g.dst) if hasattr(g, "src") else g.edges()


def num_atoms(g: Any) -> int:
    """Nodes of a DGL graph or a TorchGraph."""
    return g.num_nodes() if callable(g.num_nodes) else int(g.num_nodes)
