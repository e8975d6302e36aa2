"""Files are written atomically by one function, ``io.write_atomic``, and get the mode any new file gets
(0o666 less the umask): a sweep's and a multirun's files are never owner-only."""

import json
import stat

import numpy as np
import pytest
from conftest import MULTIRUN_OF_SWEEPS, SWEEP, UMASK

from xorjax import summary
from xorjax.experiments.sweep import chunk_store
from xorjax.output import io


def modes(root):
    """{path relative to root: permission bits} of every file below root."""
    return {str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode) for p in root.rglob("*") if p.is_file()}


def test_write_atomic_gives_the_usual_mode_replaces_whole_and_leaves_no_temporary_file(tmp_path):
    expected = 0o666 & ~io._UMASK
    io.write_atomic(tmp_path / "a.txt", "first")
    io.write_atomic(tmp_path / "a.txt", b"second")
    io.write_json(tmp_path / "b.json", {"x": [1.5, None]})
    atlas = {
        "settings": "net",
        "statuses": list(summary.STATUSES),
        "configs": [
            {
                "hidden": [2],
                "lr": 0.1,
                "init_scale": 1.0,
                "seeds": 4,
                "success_rate": 0.5,
                "ci95": [0.1, 0.9],
                "median_steps": 12.0,
                "outcomes": {"solved": 2, "plateau": 2},
                "classes": [],
                "families": [],
            }
        ],
    }
    (tmp_path / "job").mkdir()
    io.write_json(tmp_path / "job" / "atlas.json", atlas)
    assert summary.build(tmp_path)  # summary.csv, .md and .png
    chunk_store.ChunkFiles(tmp_path / "chunks").save(0, 3, {"status": np.arange(3), "keys": np.ones((3, 3))})
    assert (tmp_path / "a.txt").read_text() == "second"
    assert json.loads((tmp_path / "b.json").read_text()) == {"x": [1.5, None]}
    chunk = chunk_store.ChunkFiles(tmp_path / "chunks").load(0, 3)
    assert chunk["keys"].dtype == np.int8 and list(chunk["status"]) == [0, 1, 2]
    assert set(modes(tmp_path).values()) == {expected}
    assert sorted(modes(tmp_path)) == [
        "a.txt",
        "b.json",
        "chunks/0000000000-0000000003.npz",
        "job/atlas.json",
        "summary.csv",
        "summary.md",
        "summary.png",
    ]


def test_a_write_that_fails_leaves_the_old_file_and_no_temporary_one(tmp_path):
    io.write_atomic(tmp_path / "a.json", "old")
    with pytest.raises(TypeError):
        io.write_json(tmp_path / "a.json", {"not json": object()})
    with pytest.raises(TypeError):
        io.write_atomic(tmp_path / "a.json", 12)
    assert (tmp_path / "a.json").read_text() == "old" and list(tmp_path.iterdir()) == [tmp_path / "a.json"]


@pytest.mark.slow
def test_no_file_of_a_sweep_or_a_multirun_of_sweeps_is_owner_only(shared_run):
    # A sweep (with its pictures) and a multirun of sweeps, both run by conftest.shared_run under the umask UMASK
    # (not the usual 0o022, so that a mode fixed in the code, 0o644, would be caught too); test_sweep and
    # test_summary read them too.
    files = {}
    for i, args in enumerate((SWEEP, MULTIRUN_OF_SWEEPS)):
        r, root = shared_run(*args)
        assert r.returncode == 0, r.stderr
        files.update({f"{i}/{name}": mode for name, mode in modes(root / "outputs").items()})
    written = {name.rsplit("/", 1)[-1] for name in files}
    # atlas.json, atlas.md and the settings by io.write_json / write_atomic, the chunks by ChunkFiles (48 starts in
    # the sweep, 16 in each job of the multirun), the summary (csv, md and its picture) by the multirun's
    # callback; Hydra's own files by plain open()
    assert {
        "atlas.json",
        "atlas.md",
        "settings.json",
        "0000000000-0000000048.npz",
        "0000000000-0000000016.npz",
        "summary.csv",
        "summary.md",
        "summary.png",
        "config.yaml",
    } <= written
    assert not [name for name in files if name.endswith(".tmp")]
    assert {name: oct(mode) for name, mode in files.items() if mode != 0o666 & ~UMASK} == {}
