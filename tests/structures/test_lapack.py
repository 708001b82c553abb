"""numpy's small LAPACK calls run on the calling thread inside `one_blas_thread`."""

from __future__ import annotations

import threading

import numpy as np
from threadpoolctl import threadpool_info

from alignn_nb.structures import one_blas_thread


def _numpy_blas_threads() -> int:
    numpy_libs = [
        info["num_threads"]
        for info in threadpool_info()
        if info["internal_api"] == "openblas" and "numpy" in info["filepath"]
    ]
    assert len(numpy_libs) == 1, threadpool_info()
    return numpy_libs[0]


def test_one_thread_inside_and_the_count_restored_after():
    before = _numpy_blas_threads()
    with one_blas_thread():
        assert _numpy_blas_threads() == 1
        with one_blas_thread():
            assert _numpy_blas_threads() == 1
        assert _numpy_blas_threads() == 1
    assert _numpy_blas_threads() == before


def test_a_3x3_inverse_has_the_same_bits_on_one_thread():
    rng = np.random.default_rng(7)
    cells = np.around(rng.normal(size=(500, 3, 3)) * rng.uniform(1, 20, (500, 1, 1)), 5)
    pooled = [np.linalg.inv(cell) for cell in cells]
    with one_blas_thread():
        single = [np.linalg.inv(cell) for cell in cells]
    assert all(np.array_equal(a, b) for a, b in zip(pooled, single, strict=True))


def test_overlapping_blocks_in_threads_restore_the_original_count():
    before = _numpy_blas_threads()
    start = threading.Barrier(8)
    cell = np.array([[5.43, 0.0, 0.0], [0.1, 5.43, 0.0], [0.0, 0.2, 5.43]])

    def work() -> None:
        start.wait()
        for _ in range(50):
            with one_blas_thread():
                np.linalg.inv(cell)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _numpy_blas_threads() == before
