"""Any damage to a journal is refused or repaired, never silently accepted (property-based)."""

import os
import shutil

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

import tunecore as kt  # noqa: E402
from tunecore.errors import ProjectError  # noqa: E402


def _search(root):
    def fn(hp):
        return hp.Float("x", 0.0, 1.0) + hp.Int("n", 1, 4) + (hp.Choice("c", ["a", "b"]) == "b")

    kt.tune(fn, max_trials=6, seed=0, verbose=0, directory=root, project_name="p")
    return os.path.join(root, "p", "journal.jsonl")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    path = _search(tmp_path_factory.mktemp("pristine"))
    with open(path, "rb") as f:
        return f.read()


_damage = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**6), st.integers(1, 255)),
    st.tuples(st.just("cut"), st.integers(0, 10**6), st.integers(1, 200)),
    st.tuples(st.just("insert"), st.integers(0, 10**6), st.binary(min_size=1, max_size=40)),
    st.tuples(st.just("truncate"), st.integers(0, 10**6), st.just(0)),
)


def _apply(data, damage):
    kind, at, arg = damage
    at %= len(data)
    if kind == "flip":
        return data[:at] + bytes([data[at] ^ arg]) + data[at + 1:]
    if kind == "cut":
        return data[:at] + data[at + arg:]
    if kind == "insert":
        return data[:at] + arg + data[at:]
    return data[:at]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(damage=_damage)
def test_damage_is_refused_or_only_a_torn_tail_is_cut(tmp_path, pristine, damage):
    project = tmp_path / "p"
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir()
    damaged = _apply(pristine, damage)
    journal = project / "journal.jsonl"
    journal.write_bytes(damaged)
    try:
        tuner = kt.FunctionTuner(lambda hp: 0.0, max_trials=6, seed=0, directory=tmp_path, project_name="p")
    except ProjectError:
        assert journal.read_bytes() == damaged  # refused: left untouched
        return
    repaired = journal.read_bytes()
    # Accepted: what remains is whole records of the original, in order (a torn tail cut).
    assert pristine.startswith(repaired) and repaired.endswith(b"\n")
    kept = repaired.count(b"\n")
    original = kt.load(_copy(tmp_path, pristine[:len(repaired)]))
    assert {k: t.get_state() for k, t in tuner.oracle.trials.items()} == {
        k: t.get_state() for k, t in original.trials.items()
    }
    assert kept >= 1


def _copy(tmp_path, data):
    folder = tmp_path / "reference"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / "journal.jsonl").write_bytes(data)
    return folder
