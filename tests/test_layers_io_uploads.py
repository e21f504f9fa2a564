"""Parked uploads: each belongs to its uploader and its token is spent once, however many confirmations race."""

from __future__ import annotations

import io
import os
import threading
import time

import pytest

from layers.io.uploads import UPLOAD_MAX_AGE_S, UploadNotFound, UploadSpent, UploadStore


def _park(store: UploadStore, uploader: str = "alice") -> str:
    return store.save(io.BytesIO(b"parcel_id\nP9\n"), "in.csv", {"layer": "parcels", "mode": "append"},
                      limit_bytes=1024, uploader=uploader)


def test_an_upload_is_its_uploaders_and_nobody_elses(tmp_path):
    store = UploadStore(tmp_path)
    token = _park(store)
    path, options = store.get(token, uploader="alice")
    assert path.read_bytes() == b"parcel_id\nP9\n" and options["uploader"] == "alice"
    with pytest.raises(UploadNotFound) as other:
        store.get(token, uploader="bob")
    with pytest.raises(UploadNotFound) as unknown:
        store.get("0" * 32, uploader="bob")
    assert str(other.value) == str(unknown.value)  # the same answer: no hint that the token exists
    with pytest.raises(UploadNotFound):
        store.update_options(token, uploader="bob", mapping="x.yaml")
    with pytest.raises(UploadNotFound), store.claim(token, uploader="bob"):
        pass
    assert store.get(token, uploader="alice")[1].get("mapping") is None  # bob changed nothing


def test_racing_confirmations_spend_a_token_exactly_once(tmp_path):
    store = UploadStore(tmp_path)
    token = _park(store)
    barrier = threading.Barrier(8)
    entered, refused = [], []

    def confirm():
        barrier.wait(timeout=30)
        try:
            with store.claim(token, uploader="alice") as (path, options):
                entered.append(path.read_bytes())
                time.sleep(0.2)  # an import takes a while: the others arrive meanwhile
        except UploadSpent as exc:
            refused.append(exc.how)

    threads = [threading.Thread(target=confirm) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert entered == [b"parcel_id\nP9\n"] and refused == ["confirmed"] * 7
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{token}.spent"]  # the upload is gone
    with pytest.raises(UploadSpent, match="confirmed already"):
        store.get(token, uploader="alice")
    with pytest.raises(UploadNotFound):
        store.get(token, uploader="bob")  # spent or not, not bob's


def test_a_cancelled_token_says_so_and_a_dropped_one_leaves_nothing(tmp_path):
    store = UploadStore(tmp_path)
    cancelled, rejected = _park(store), _park(store)
    with store.claim(cancelled, uploader="alice", how="cancelled"):
        pass
    with pytest.raises(UploadSpent) as caught, store.claim(cancelled, uploader="alice"):
        pass
    assert caught.value.how == "cancelled"
    store.drop(rejected)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{cancelled}.spent"]


def test_cleanup_removes_old_uploads_claims_and_notes_and_keeps_recent_ones(tmp_path):
    store = UploadStore(tmp_path)
    old, spent, recent = _park(store), _park(store), _park(store)
    with store.claim(spent, uploader="alice"):
        pass
    (tmp_path / f"{'a' * 32}.claimed").mkdir()  # an import that died mid-way
    (tmp_path / "notes.txt").write_text("not ours")
    long_ago = time.time() - UPLOAD_MAX_AGE_S - 60
    for name in (old, f"{spent}.spent", f"{'a' * 32}.claimed", "notes.txt"):
        os.utime(tmp_path / name, (long_ago, long_ago))
    store.cleanup()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([recent, "notes.txt"])
