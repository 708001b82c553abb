"""Datasets: structures with energy, force and stress targets in the units alignn's heads
use, read from alignn's id_prop files, extxyz files, folders of structure files or
`ase.Atoms`; whole datasets on disk listed entry by entry (a bad entry fails alone); and
the examples alignn-nb ships (`EXAMPLES`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alignn_nb.lazy import lazy_package

if TYPE_CHECKING:
    from alignn_nb.datasets.dataset import (
        Dataset,
        EnergyConvention,
        Sample,
        Skipped,
        StressConvention,
        empty_dataset,
    )
    from alignn_nb.datasets.entries import (
        ID_KEY,
        Entry,
        entry_id,
        extxyz_frames,
        frame_id,
        json_entry,
        read_entry,
        read_sample,
    )
    from alignn_nb.datasets.example_data import (
        EXAMPLE_DATASETS,
        EXAMPLES,
        default_dataset,
        example_dataset_path,
    )
    from alignn_nb.datasets.files import DatasetFiles, open_dataset
    from alignn_nb.datasets.frames import atoms_sample, from_atoms, read_extxyz
    from alignn_nb.datasets.id_prop import read_id_prop
    from alignn_nb.datasets.loading import load_dataset
    from alignn_nb.datasets.raw_entries import (
        extxyz_atoms,
        json_blocks,
        json_item,
        split_extxyz,
        split_json_array,
    )
    from alignn_nb.datasets.stream import (
        DatasetSource,
        Shard,
        iter_entries,
        open_binary,
        open_source,
    )

__all__, __getattr__, __dir__ = lazy_package(__name__, __file__, globals())
