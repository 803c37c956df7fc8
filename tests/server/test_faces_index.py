"""The in-memory face index: exact nearest faces, writes applied in revision order only, and searches and
writes from many threads at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from server.faces_index import FaceIndex, Shelf


def unit(rng: np.random.Generator, count: int, dimension: int = 128) -> np.ndarray:
    vectors = rng.standard_normal((count, dimension)).astype(np.float32)
    normed: np.ndarray = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return normed


def test_a_search_returns_exactly_the_nearest_faces_within_the_distance() -> None:
    rng = np.random.default_rng(1)
    vectors = unit(rng, 500)
    shelf = Shelf(0, [f"f{i}" for i in range(500)], vectors)
    probe = vectors[7] + 0.05 * unit(rng, 1)[0]
    probe /= np.linalg.norm(probe)
    distances = 1.0 - vectors @ probe
    hits = shelf.search(probe, limit=5, max_distance=2.0)
    assert [h.face_id for h in hits] == [f"f{i}" for i in np.argsort(distances)[:5]]
    assert hits[0].face_id == "f7" and np.isclose(hits[0].distance, distances[7], atol=1e-5)
    assert [h.face_id for h in shelf.search(probe, limit=5, max_distance=0.5)] == ["f7"]
    assert shelf.search(probe[:64], limit=5, max_distance=2.0) == []  # another model's descriptor finds nothing


def test_writes_apply_in_revision_order_and_a_shelf_left_behind_is_forgotten() -> None:
    rng = np.random.default_rng(2)
    vectors = unit(rng, 40)
    index = FaceIndex(max_faces=1000)
    index.put(("t", "c"), Shelf(0, [], np.zeros((0, 0), np.float32)))
    index.apply(("t", "c"), 1, [(f"f{i}", vectors[i]) for i in range(30)], [])
    index.apply(("t", "c"), 2, [], ["f0", "f5", "f29", "unknown"])
    shelf = index.get(("t", "c"), 2)
    assert shelf is not None and len(shelf) == 27
    for i in (1, 6, 28):
        assert shelf.search(vectors[i], limit=1, max_distance=0.01)[0].face_id == f"f{i}"
    assert shelf.search(vectors[5], limit=1, max_distance=0.01) == []
    index.apply(("t", "c"), 4, [("late", vectors[35])], [])  # revision 3 was written elsewhere: behind now
    assert index.get(("t", "c"), 2) is None and index.get(("t", "c"), 4) is None


def test_loaded_shelves_are_bounded_and_the_least_recently_used_go_first() -> None:
    rng = np.random.default_rng(3)
    index = FaceIndex(max_faces=100)
    for name in ("a", "b", "c"):
        index.put(("t", name), Shelf(0, [f"{name}{i}" for i in range(40)], unit(rng, 40)))
        assert index.get(("t", "a"), 0) is not None or name == "c"
    assert index.get(("t", "a"), 0) is not None and index.get(("t", "b"), 0) is None  # b was used least recently
    assert index.get(("t", "c"), 0) is not None


def test_many_threads_search_while_others_add_and_remove() -> None:
    rng = np.random.default_rng(4)
    vectors = unit(rng, 2000)
    shelf = Shelf(0, [f"f{i}" for i in range(1000)], vectors[:1000])
    revision = iter(range(1, 10_000))
    committing = threading.Lock()  # the database's writer: one commit at a time, in revision order

    def write(batch: int) -> bool:
        added = [(f"f{i}", vectors[i]) for i in range(1000 + batch * 50, 1050 + batch * 50)]
        removed = [f"f{i}" for i in range(batch * 50, batch * 50 + 25)]
        with committing:
            return shelf.apply(next(revision), added, removed)

    def search(i: int) -> bool:
        hits = shelf.search(vectors[500 + i], limit=1, max_distance=0.01)
        return len(hits) <= 1 and all(h.face_id == f"f{500 + i}" for h in hits)

    with ThreadPoolExecutor(8) as threads:
        writes = threads.map(write, range(20))
        searches = threads.map(search, range(200))
        assert all(searches)
        assert all(writes)
    assert shelf.revision == 20 and len(shelf) == 1000 + 20 * 50 - 20 * 25
    ids = shelf.search(vectors[1999], limit=3000, max_distance=2.0)
    removed = {f"f{b * 50 + k}" for b in range(20) for k in range(25)}
    assert {h.face_id for h in ids} == {f"f{i}" for i in range(2000)} - removed
