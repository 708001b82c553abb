"""Traitlets mirrors of alignn's model configs and of its graph options.

`ALIGNNAtomWiseConfig` mirrors both flavours of alignn's ALIGNN-atomwise model, chosen by
``name``: the DGL model ``alignn_atomwise`` (its 37 fields of the design table plus
``link``) and its pure-torch twin ``alignn_atomwise_pure``, whose five extra fields are
tagged ``"pure only"``. The twin's block calls its triplet cutoff ``three_body_cutoff``,
like the graph option of the same name; here it is ``model_three_body_cutoff`` so that
both can be edited side by side, and `alignn_nb.config.alignn_io` maps it back.

One default differs between the flavours: alignn's ``penalty_factor`` is 0.1 eV/Å for
``alignn_atomwise`` and 0.5 eV/Å for ``alignn_atomwise_pure``. The mirror keeps 0.1;
loading a pure block that leaves it out fills in 0.5 and says so (see `PURE_DEFAULTS`).

`GraphConfig` holds the graph options alignn keeps at the top level of a training
config. Each field is tagged with its section, unit, bounds and the places alignn
2026.8.11 reads it (``effect``); `alignn_nb.widgets.ConfigForm` is generated from those tags.
"""

from __future__ import annotations

from alignn_nb.config.fields import (
    ARCH,
    ATOM_FEATURES,
    BASIC,
    CONV_TYPES,
    DGL_MODEL,
    FORWARD,
    GRAPH,
    GRAPHOPT,
    LOSS,
    MISC,
    MODEL_NAMES,
    NEIGHBOR_STRATEGIES,
    NOWHERE,
    OUTPUT,
    PENALTY,
    PHYSICS,
    PURE,
    PURE_ONLY,
    SHAPE,
    _bool,
    _float,
    _int,
    _tag,
)
from alignn_nb.config.traits import StrictBool, StrictEnum, StrictFloat, StrictInt, StrictTraits


class ALIGNNAtomWiseConfig(StrictTraits):
    """The model block of an alignn ``config.json`` for ``alignn_atomwise``, as traits.

    Assigning a wrong type, an out-of-bounds value or an unknown field raises
    `traitlets.TraitError` and keeps the previous value.
    """

    SECTIONS = (BASIC, ARCH, OUTPUT, PHYSICS, GRAPHOPT, PENALTY, MISC, PURE)

    name = StrictEnum(
        MODEL_NAMES,
        default_value=DGL_MODEL,
        help="The alignn model: alignn_atomwise (DGL) or its pure-torch twin alignn_atomwise_pure.",
    ).tag(**_tag(BASIC, (SHAPE,)))

    alignn_layers = _int(
        2,
        "ALIGNN blocks: each updates atoms, bonds and bond angles together.",
        ARCH,
        (SHAPE,),
        minimum=0,
    )
    gcn_layers = _int(
        2,
        "Edge-gated graph convolutions on the atom graph after the ALIGNN blocks.",
        ARCH,
        (SHAPE,),
        minimum=0,
    )
    atom_input_features = _int(
        1,
        "Length of each atom's input vector; must match the chosen atom_features set.",
        ARCH,
        (SHAPE,),
        minimum=1,
    )
    edge_input_features = _int(
        80,
        "Radial basis functions that expand each bond length (0 to 8 Å); at least 2.",
        ARCH,
        (SHAPE,),
        minimum=2,
    )
    triplet_input_features = _int(
        40,
        "Radial basis functions that expand each bond-angle cosine (-1 to 1); at least 2.",
        ARCH,
        (SHAPE,),
        minimum=2,
    )
    embedding_features = _int(
        64,
        "Width of the intermediate layer that embeds bond and angle expansions.",
        ARCH,
        (SHAPE,),
        minimum=1,
    )
    hidden_features = _int(
        64,
        "Width of every atom, bond and angle feature vector inside the network.",
        ARCH,
        (SHAPE,),
        minimum=1,
    )
    output_features = _int(
        1,
        "Size of the graph-level output; 1 for a total energy in eV.",
        ARCH,
        (SHAPE,),
        minimum=1,
    )

    atomwise_output_features = _int(
        0,
        "Per-atom output size (e.g. charges); 0 switches the per-atom head off.",
        OUTPUT,
        (SHAPE,),
        minimum=0,
    )
    graphwise_weight = _float(
        1.0, "Weight of the energy error in the training loss.", OUTPUT, (LOSS,), minimum=0.0
    )
    gradwise_weight = _float(
        1.0,
        "Weight of the force error in the loss; 0 makes alignn skip forces altogether.",
        OUTPUT,
        (LOSS, FORWARD),
        minimum=0.0,
    )
    stresswise_weight = _float(
        0.0,
        "Weight of the stress error in the loss; stress is only computed when it is > 0.",
        OUTPUT,
        (LOSS, FORWARD),
        minimum=0.0,
    )
    atomwise_weight = _float(
        0.0,
        "Weight of the per-atom output error in the loss; the head runs only when > 0.",
        OUTPUT,
        (LOSS, FORWARD),
        minimum=0.0,
    )
    calculate_gradient = _bool(
        True,
        "Differentiate the energy to get forces (eV/Å) and, if weighted, stress.",
        OUTPUT,
        (FORWARD,),
    )

    grad_multiplier = _int(
        -1,
        "Sign and scale applied to dE/dr to give forces; -1 gives F = -dE/dr.",
        PHYSICS,
        (FORWARD,),
    )
    force_mult_natoms = _bool(
        False,
        "Multiply the bond-wise force contributions by the number of atoms.",
        PHYSICS,
        (FORWARD,),
    )
    energy_mult_natoms = _bool(
        True,
        "Treat the readout as eV/atom and multiply by the atom count for the total energy.",
        PHYSICS,
        (FORWARD,),
    )
    include_pos_deriv = _bool(
        False,
        "Take forces from derivatives w.r.t. atom positions instead of bond vectors.",
        PHYSICS,
        (FORWARD,),
    )
    stress_multiplier = _float(
        1.0,
        "Factor applied to the predicted stress (GPa) before it enters the loss.",
        PHYSICS,
        (FORWARD,),
    )
    add_reverse_forces = _bool(
        True,
        "Add the reaction of every bond force on its source atom (Newton's third law).",
        PHYSICS,
        (FORWARD,),
    )

    use_cutoff_function = _bool(
        False, "Smoothly damp bond features to zero at inner_cutoff.", GRAPHOPT, (FORWARD,)
    )
    inner_cutoff = _float(
        3.0,
        "Bond length (Å) for the smooth cutoff and, with lighten_edges, for angle triplets.",
        GRAPHOPT,
        (FORWARD, GRAPH),
        "Å",
        exclusive_minimum=0.0,
    )
    lighten_edges = _bool(
        True,
        "Keep only angle triplets whose two bonds are both within inner_cutoff.",
        GRAPHOPT,
        (GRAPH,),
    )
    backtracking = _bool(
        True,
        "Keep u→v→u triplets, where a bond pairs with its own reverse (cosine +1).",
        GRAPHOPT,
        (GRAPH,),
    )
    lg_on_fly = _bool(
        True,
        "Recompute the angle cosines inside the forward pass, so forces include them.",
        GRAPHOPT,
        (FORWARD,),
    )
    batch_stress = _bool(
        True,
        "Compute stress per structure of a batch, each with its own cell volume.",
        GRAPHOPT,
        (FORWARD,),
    )
    multiply_cutoff = _bool(
        False,
        "Multiply the bond embedding by the cutoff envelope instead of damping lengths.",
        GRAPHOPT,
        (FORWARD,),
    )

    use_penalty = _bool(
        True,
        "Add an energy penalty for bonds shorter than penalty_threshold.",
        PENALTY,
        (FORWARD,),
    )
    exponent = _int(
        5,
        "Exponent of the smooth cutoff envelope (read only when use_cutoff_function is on).",
        PENALTY,
        (FORWARD,),
        minimum=1,
    )
    penalty_factor = _float(
        0.1,
        "Penalty slope in eV/Å for each bond shorter than penalty_threshold.",
        PENALTY,
        (FORWARD,),
        "eV/Å",
        minimum=0.0,
    )
    penalty_threshold = _float(
        1.0,
        "Bond length (Å) below which the short-bond penalty applies.",
        PENALTY,
        (FORWARD,),
        "Å",
        minimum=0.0,
    )

    extra_features = _int(
        0,
        "Size of an extra per-atom descriptor joined before the readout; 0 for none.",
        MISC,
        (SHAPE,),
        minimum=0,
    )
    zero_inflated = _bool(
        False,
        "Declared by alignn for zero-inflated targets; no alignn code reads it.",
        MISC,
        (NOWHERE,),
    )
    classification = _bool(
        False,
        "Predict two class log-probabilities instead of a number.",
        MISC,
        (SHAPE, FORWARD, LOSS),
    )
    additional_output_features = _int(
        0,
        "Size of a second graph-level output head; 0 switches it off.",
        MISC,
        (SHAPE,),
        minimum=0,
    )
    additional_output_weight = _float(
        0.0, "Weight of the second output's error in the loss.", MISC, (LOSS,), minimum=0.0
    )
    link = StrictEnum(
        ("identity", "log", "logit"),
        default_value="identity",
        help="Function applied to the output: identity, exp (log link) or sigmoid (logit link).",
    ).tag(**_tag(MISC, (FORWARD,)))

    conv_type = StrictEnum(
        CONV_TYPES,
        default_value="alignn",
        help="Layers: alignn's edge-gated conv, n_alignn node attention, t_alignn self-attention.",
    ).tag(**_tag(PURE, (PURE_ONLY, SHAPE, FORWARD)))
    num_heads = _int(
        1,
        "Attention heads of n_alignn and t_alignn; hidden_features must be a multiple of it.",
        PURE,
        (PURE_ONLY, SHAPE),
        minimum=1,
    )
    use_zbl = StrictBool(
        None,
        allow_none=True,
        help="Add ZBL repulsion (eV) below zbl_cutoff; None: on exactly when forces are computed.",
    ).tag(**_tag(PURE, (PURE_ONLY, FORWARD)))
    zbl_cutoff = _float(
        0.9,
        "Bond length (Å) where the ZBL repulsion is smoothly switched off.",
        PURE,
        (PURE_ONLY, FORWARD),
        "Å",
        exclusive_minimum=0.0,
    )
    model_three_body_cutoff = _float(
        3.5,
        "The model block's three_body_cutoff (Å), read by its TorchScript/LAMMPS forward.",
        PURE,
        (PURE_ONLY, GRAPH),
        "Å",
        exclusive_minimum=0.0,
    )


class GraphConfig(StrictTraits):
    """The graph options of an alignn training config (top-level keys, not the model block)."""

    SECTIONS = ("Graph",)

    cutoff = StrictFloat(8.0, help="Neighbour search radius in Å.").tag(
        **_tag("Graph", (GRAPH,), "Å", exclusive_minimum=0.0)
    )
    max_neighbors = StrictInt(
        12, allow_none=True, help="Neighbours kept per atom; ties at the last distance are kept."
    ).tag(**_tag("Graph", (GRAPH,), minimum=1))
    neighbor_strategy = StrictEnum(
        NEIGHBOR_STRATEGIES,
        default_value="k-nearest",
        help="alignn's builder: k-nearest, radius_graph, or pure_torch (the pure model's own).",
    ).tag(**_tag("Graph", (GRAPH,)))
    atom_features = StrictEnum(
        ATOM_FEATURES,
        default_value="atomic_number",
        help="Per-atom input vector from jarvis: Z alone, or the cgcnn, basic or cfid sets.",
    ).tag(**_tag("Graph", (GRAPH,)))
    use_canonize = StrictBool(
        True, help="Store each bond once per direction, as alignn's canonical edge list does."
    ).tag(**_tag("Graph", (GRAPH,)))
    cutoff_extra = StrictFloat(
        3.0, help="Å added to cutoff by radius_graph when an atom would have no neighbour."
    ).tag(**_tag("Graph", (GRAPH,), "Å", minimum=0.0))
    three_body_cutoff = StrictFloat(
        None,
        allow_none=True,
        help="pure_torch only: bonds longer than this (Å) join no triplet; None for cutoff.",
    ).tag(**_tag("Graph", (GRAPH,), "Å", exclusive_minimum=0.0))

    def triplet_cutoff(self) -> float:
        """The bond length in Å up to which pure_torch joins bonds into triplets."""
        return self.cutoff if self.three_body_cutoff is None else self.three_body_cutoff


#: Fields only alignn's pure-torch model has (tagged "pure only"), in declaration order.
PURE_ONLY_FIELDS = tuple(
    n
    for n in ALIGNNAtomWiseConfig.field_names()
    if PURE_ONLY in ALIGNNAtomWiseConfig.field_trait(n).metadata["effect"]
)
