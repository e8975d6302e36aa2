"""One sweep over many jobs: ``sweep.parts=N sweep.part=K`` trains one block of the starts, and the parts merged
(by the multirun callback, or ``python -m xorjax.summary --merge``) are exactly the sweep run in one job, timing
aside; a missing or unfinished part is named in one line with the command that runs it."""

import json
import shlex
import shutil
from io import BytesIO

import numpy as np
import pytest
from conftest import PARTS_SWEEP, SPLIT_BY_JOBLIB, SPLIT_BY_SUBMITIT, job_dir
from hydra import compose, initialize_config_dir

from xorjax import run, summary
from xorjax.core import descent, parts, tally
from xorjax.experiments import sweep
from xorjax.experiments.sweep import part_files

# 48 seeds x 3 learning rates = 144 starts: the 4 parts' blocks 0..35, 36..71, 72..107, 108..143 cross the
# settings' boundaries at 48 and 96 (and 2 parts' 0..71, 72..143 cross both too). Chunks of 16 starts: every chunk of
# the whole sweep and of the parts has the same shape, so the program compiled once is the one every job loads from
# the compilation cache. (conftest: the same sweep split by joblib and by submitit_local, as test_launchers reads.)
SMALL = list(PARTS_SWEEP)
BLOCKS = [(0, 36), (36, 72), (72, 108), (108, 144)]


def settings(*overrides):
    with initialize_config_dir(config_dir=run.CONFIG_DIR, version_base="1.3"):
        return run.settings(compose("config", overrides=list(overrides)))


def results(folder) -> dict:
    """What must equal the sweep run in one job: atlas.json but its timing, atlas.md but its timing line, and
    every solution's weights file."""
    atlas = json.loads((folder / "atlas.json").read_text())
    del atlas["timing"]
    md = [line for line in (folder / "atlas.md").read_text().splitlines() if not line.startswith("Trained ")]
    weights = {p.name: p.read_text() for p in (folder / "solutions").glob("*.json")}
    assert weights
    return {"atlas": atlas, "atlas.md": md, "solutions": weights}


def roundtrip(tallies, firsts):
    """A part's tallies through its file, as the merge reads them."""
    buf = BytesIO()
    np.savez_compressed(buf, **parts.to_arrays(tallies, firsts))
    buf.seek(0)
    with np.load(buf) as f:
        return parts.from_arrays({k: f[k] for k in f.files})


# --- the blocks, and the merge of tallies (pure) ------------------------------------------------------------


@pytest.mark.parametrize("n, of", [(144, 4), (10, 3), (7, 7), (1000003, 100)])
def test_the_blocks_cover_every_start_once_in_order_and_nearly_equal(n, of):
    blocks = [parts.block(n, of, k) for k in range(of)]
    assert blocks[0][0] == 0 and blocks[-1][1] == n
    assert all(hi == lo for (_, hi), (lo, _) in zip(blocks, blocks[1:]))
    assert max(hi - lo for lo, hi in blocks) - min(hi - lo for lo, hi in blocks) <= 1
    assert parts.block(144, 4, 1) == BLOCKS[1]


def test_tallies_of_parts_add_up_to_the_tally_of_all_their_starts():
    # two settings of 500 starts each, with a stop criterion: outcomes, medians of both kinds, families
    rng = np.random.default_rng(0)
    n, per = 1000, 500
    status = rng.integers(0, len(descent.STATUSES), n).astype(np.int8)
    solved_at = np.where(status == 0, rng.integers(0, 400, n), -1)
    stopped_at = np.where(status == 0, rng.integers(-1, 900, n), -1)
    keys = rng.integers(0, 5, (n, 3))

    def tallies_of(lo, hi):
        out = [tally.Tally(), tally.Tally()]
        for g, t in enumerate(out):
            i = np.arange(max(lo, g * per), min(hi, (g + 1) * per))
            if len(i):
                t.add(i, status[i], solved_at[i], stopped_at[i], keys[i])
        return out

    whole = tallies_of(0, n)
    cuts = [0, 1, 333, 500, 501, 999, 1000]  # a part of one start; parts wholly inside one setting
    pieces = [roundtrip(tallies_of(lo, hi), {}) for lo, hi in zip(cuts, cuts[1:])]
    merged, firsts = parts.merge(pieces[::-1])  # in any order
    for m, w in zip(merged, whole):
        assert m.statistics() == w.statistics() and "median_stop_step" in m.statistics()
        assert m.found == w.found
    assert firsts == {}


def test_a_familys_first_start_and_its_weights_are_the_earliest_of_the_parts():
    w = {k: np.full(3, k, np.float32) for k in (4, 9, 20)}
    late = ([tally.Tally()], {(0, (1, 2)): (20, {"b1": w[20]}), (0, (3, 4)): (9, {"b1": w[9]})})
    early = ([tally.Tally()], {(0, (1, 2)): (4, {"b1": w[4]})})
    _, firsts = parts.merge([roundtrip(*late), roundtrip(*early)])
    assert firsts.keys() == {(0, (1, 2)), (0, (3, 4))}
    assert firsts[(0, (1, 2))][0] == 4 and firsts[(0, (3, 4))][0] == 9
    np.testing.assert_array_equal(firsts[(0, (1, 2))][1]["b1"], w[4])
    assert firsts[(0, (1, 2))][1]["b1"].dtype == np.float32  # the solutions' files, digit for digit


# --- the settings ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["sweep.parts=4", "sweep.part=5"], "sweep.part=5 is not allowed: must be in 0..3 (sweep.parts=4)"),
        (["sweep.part=-1"], "sweep.part=-1 is not allowed: must be in 0..0 (sweep.parts=1)"),
        (["sweep.parts=0"], "sweep.parts=0 is not allowed: must be an integer >= 1"),
        (
            ["sweep.seeds=10", "sweep.lrs=[0.1,1.0]", "sweep.parts=21"],
            "sweep.parts=21 is not allowed: must be at most the sweep's 20 starts (sweep.seeds x learning rates x "
            "init scales), so that no part is empty",
        ),
    ],
)
def test_bad_parts_are_refused_in_one_line_naming_the_setting(overrides, message):
    assert run.check_overrides(["experiment=sweep", *overrides]) == message


def test_parts_are_settings_of_the_sweeps_only():
    problem = run.check_overrides(["experiment=train", "sweep.parts=2"])
    assert problem.startswith("sweep.parts is not read by experiment=train") and "\n" not in problem
    assert run.check_overrides(["experiment=rhw1986", "sweep.parts=2", "sweep.part=1"]) is None


def test_a_multirun_over_more_parts_than_allowed_is_refused_before_any_job():
    problem = run.check_overrides(["-m", "experiment=sweep", "sweep.parts=4", "sweep.part=range(5)"])
    assert problem == "sweep.part=4 is not allowed: must be in 0..3 (sweep.parts=4)"


# --- parts written and merged, in this process --------------------------------------------------------------


@pytest.fixture(scope="module")
def whole_sweep(tmp_path_factory):
    """The sweep run in one job (``sweep.run``, as a job runs it, here in this process on its one CPU device, as
    each part below has one): its folder. Every merge below must give its results."""
    folder = tmp_path_factory.mktemp("whole")
    sweep.run(settings(*SMALL, "logger.plots=false"), folder)
    return folder


@pytest.fixture(scope="module")
def whole(whole_sweep):
    return results(whole_sweep)


def test_parts_merged_write_the_files_of_the_sweep_run_in_one_job(tmp_path, whole):
    for k, (lo, hi) in enumerate(BLOCKS):
        out = tmp_path / f"part{k}"
        out.mkdir()
        atlas = sweep.run(settings(*SMALL, "logger.plots=false", "sweep.parts=4", f"sweep.part={k}"), out)
        assert atlas["part"] == {"part": k, "of_parts": 4, "starts": [lo, hi], "of_starts": 144}
        assert sum(c["seeds"] for c in atlas["configs"]) == hi - lo  # its own starts, its settings only
        assert (
            f"Part {k} of 4 of a split sweep: starts {lo}..{hi - 1} of its 144 only" in (out / "atlas.md").read_text()
        )
    merged = tmp_path / "merged"
    merged.mkdir()
    pieces = [part_files.load_part(tmp_path / f"part{k}") for k in (2, 0, 3, 1)]
    part_files.finish_parts(settings(*SMALL, "logger.plots=false", "sweep.parts=4"), pieces, merged)
    assert results(merged) == whole
    timing = json.loads((merged / "atlas.json").read_text())["timing"]
    assert timing["parts"] == 4 and timing["starts"] == 144

    # parts of another sweep (here: other steps) are never mixed in: each sweep lacks the other's parts
    record = json.loads((tmp_path / "part3" / part_files.PART).read_text())
    record["settings"]["steps"] = 302
    (tmp_path / "part3" / part_files.PART).write_text(json.dumps(record))
    written, problems = summary.merge([tmp_path])
    assert written == [] and len(problems) == 4
    assert problems[0].startswith(f"{tmp_path / 'merged' / '0'}: part 3 of 4 (starts 108..143) is missing; run it")
    assert [p.split(": part ")[1][:6] for p in problems[1:]] == ["0 of 4", "1 of 4", "2 of 4"]
    # these folders have no .hydra: the command gives every setting that decides a result, and it is valid
    command = shlex.split(problems[0].split("run it with: ")[1])
    assert command[-1] == "sweep.part=3" and {"sweep.parts=4", "steps=301"} <= set(command)
    assert run.check_overrides(command[3:]) is None


def test_merge_of_a_folder_without_parts_is_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        summary.main(["--merge", str(tmp_path)])
    err = capsys.readouterr().err
    assert e.value.code == 2 and err == f"xorjax: {tmp_path}: no part of a split sweep (sweep.parts=N) is below it\n"


# --- end to end: the launchers run the parts, the callback merges them ---------------------------------------


@pytest.fixture(scope="module")
def split(shared_run):
    """The same sweep in 4 parts, a joblib multirun (conftest.SPLIT_BY_JOBLIB): its folder (copy it to change it)."""
    r, folder = shared_run(*SPLIT_BY_JOBLIB)
    assert r.returncode == 0, r.stderr
    assert "the parts of a split sweep, merged: " in r.stdout + r.stderr
    (multirun,) = (folder / "outputs" / "multirun").glob("*/*")
    return multirun


@pytest.mark.slow
def test_four_parts_through_joblib_merge_into_the_sweep_run_in_one_job(split, whole):
    assert results(split / "merged" / "0") == whole
    for k, (lo, hi) in enumerate(BLOCKS):
        assert json.loads((job_dir(split, k) / "atlas.json").read_text())["part"]["starts"] == [lo, hi]
    md = (split / "summary.md").read_text()
    assert "| merged/0 | [2] | 0.5 | 1 | 48 |" in md and "| 1 | [2] | 0.5 | 1 | 12 |" in md  # part 1: 12 + 24


@pytest.mark.slow
def test_two_parts_through_submitit_merge_into_the_sweep_run_in_one_job(shared_run, whole):
    r, root = shared_run(*SPLIT_BY_SUBMITIT)  # 2 parts through submitit_local (test_launchers reads it too)
    assert r.returncode == 0, r.stderr
    (folder,) = (root / "outputs" / "multirun").glob("*/*")
    assert len(list(folder.glob(".submitit/*/*_log.out"))) == 2  # each part a process of its own
    assert results(folder / "merged" / "0") == whole
    assert (folder / "merged" / "0" / "solutions.png").stat().st_size > 1000  # logger.plots on, as in the parts


@pytest.mark.slow
def test_a_missing_part_is_named_with_its_command_and_partial_says_what_it_lacks(split, whole, tmp_path, capsys):
    copy = shutil.copytree(split, tmp_path / "copy")
    shutil.rmtree(copy / "merged")
    elsewhere = tmp_path / "elsewhere"  # as if that part ran on another machine
    elsewhere.mkdir()
    shutil.move(job_dir(copy, 2), elsewhere / job_dir(copy, 2).name)
    with pytest.raises(SystemExit) as e:
        summary.main(["--merge", str(copy)])
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("\n") == 1 and not (copy / "merged").exists()
    head = f"xorjax: {copy / 'merged' / '0'}: part 2 of 4 (starts 72..107) is missing; run it with: "
    assert err.startswith(head + "python -m xorjax.run ")
    command = shlex.split(err[len(head) :])
    assert command[-1] == "sweep.part=2" and "sweep.parts=4" in command and run.check_overrides(command[3:]) is None

    summary.main(["--merge", "--partial", str(copy)])  # merged all the same, and says what it lacks
    atlas = json.loads((copy / "merged" / "0" / "atlas.json").read_text())
    assert atlas["missing"] == {"parts": [2], "of_parts": 4, "starts": [[72, 108]], "of_starts": 144}
    assert [c["seeds"] for c in atlas["configs"]] == [48, 24, 36]  # 72..95 and 96..107 are missing
    md = (copy / "merged" / "0" / "atlas.md").read_text()
    assert "Partial: merged without part(s) 2 of 4 (starts 72..107 of 144)" in md

    summary.main(["--merge", str(copy), str(elsewhere)])  # the parts gathered from two places: the whole sweep
    assert results(copy / "merged" / "0") == whole


@pytest.mark.slow
def test_an_unfinished_part_is_named_with_the_command_that_finishes_it(
    split, whole, tmp_path, run_xorjax, capsys, monkeypatch
):
    copy = shutil.copytree(split, tmp_path / "copy")
    shutil.rmtree(copy / "merged")
    part = job_dir(copy, 1)
    for name in (part_files.PART, part_files.TALLIES, "atlas.json"):  # as if killed after its first chunk
        (part / name).unlink()
    (first, *rest) = sorted((part / "chunks").glob("*.npz"))
    for chunk in rest:
        chunk.unlink()
    with pytest.raises(SystemExit):
        summary.main(["--merge", str(copy)])
    err = capsys.readouterr().err
    head = f"xorjax: {copy / 'merged' / '0'}: part 1 of 4 (starts 36..71) is unfinished in {part}; finish it with: "
    assert err.startswith(head) and err.count("\n") == 1
    command = shlex.split(err[len(head) :])
    assert command[-2:] == ["sweep.part=1", f"sweep.resume={part}"]
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # one device, as the part had: its compiled chunk is in the cache
    r = run_xorjax(*command[3:])
    assert r.returncode == 0, r.stderr
    kept = int(first.stem[11:]) - int(first.stem[:10])
    assert f"resuming: {kept} of 36 starts were finished" in r.stdout + r.stderr
    summary.main(["--merge", str(copy)])
    assert results(copy / "merged" / "0") == whole


# --- damaged parts: checked before they are added up ----------------------------------------------------------


def test_a_damaged_part_is_named_with_the_command_that_writes_it_again(tmp_path, whole, capsys):
    for k in range(2):
        (tmp_path / f"part{k}").mkdir()
        sweep.run(settings(*SMALL, "logger.plots=false", "sweep.parts=2", f"sweep.part={k}"), tmp_path / f"part{k}")
    part0, part1 = tmp_path / "part0", tmp_path / "part1"
    tallies = (part1 / part_files.TALLIES).read_bytes()
    (part1 / part_files.TALLIES).write_bytes(tallies[: len(tallies) // 2])  # cut short, as a full disk leaves it
    with pytest.raises(SystemExit) as e:
        summary.main(["--merge", str(tmp_path)])
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("\n") == 1 and not (tmp_path / "merged" / "0" / "atlas.json").exists()
    head = (
        f"xorjax: {tmp_path / 'merged' / '0'}: part 1 of 2: {part1 / part_files.TALLIES} is damaged (not readable: "
        "BadZipFile: File is not a zip file); write it again with: "
    )
    assert err.startswith(head)
    command = shlex.split(err[len(head) :])
    assert command[-1] == f"sweep.resume={part1}" and run.check_overrides(command[3:]) is None
    sweep.run(settings(*command[3:]), part1)  # from its chunks: nothing trained again
    summary.main(["--merge", str(tmp_path)])
    assert results(tmp_path / "merged" / "0") == whole

    # numbers that do not fit its settings, and a part.json overwritten
    arrays = dict(np.load(part1 / part_files.TALLIES))
    arrays["outcomes"][0, 0] += 1
    np.savez_compressed(part1 / part_files.TALLIES, **arrays)
    (part0 / part_files.PART).write_text("{")
    shutil.rmtree(tmp_path / "merged")
    written, problems = summary.merge([tmp_path])
    assert written == [] and len(problems) == 2
    assert problems[0].startswith(f"{tmp_path / 'merged' / '0'}: part 0 of 2: {part0 / part_files.PART} is damaged (")
    assert problems[1].startswith(
        f"{tmp_path / 'merged' / '0'}: part 1 of 2: {part1 / part_files.TALLIES} is damaged (its outcomes count 73 "
        "starts, the part trained 72); write it again with: "
    )
    assert all(p.endswith(f"sweep.resume={f}") for p, f in zip(problems, (part0, part1)))
