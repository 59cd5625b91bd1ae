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


# Whole records: duplicated, dropped, swapped, spliced from another project -----------

@pytest.fixture(scope="module")
def foreign_lines(tmp_path_factory):
    """The lines of another project of the same search (same oracle, objective and seed)."""
    path = _search(tmp_path_factory.mktemp("foreign"))
    with open(path, "rb") as f:
        return f.read().splitlines(keepends=True)


_operation = st.one_of(
    st.tuples(st.just("duplicate"), st.integers(0, 10**6), st.integers(0, 10**6)),
    st.tuples(st.just("drop"), st.integers(0, 10**6), st.just(0)),
    st.tuples(st.just("swap"), st.integers(0, 10**6), st.integers(0, 10**6)),
    st.tuples(st.just("splice"), st.integers(0, 10**6), st.integers(0, 10**6)),
)


def _operate(lines, foreign, operation):
    kind, i, j = operation
    lines = list(lines)
    if kind == "duplicate":  # line i copied to before line j (j == len: appended)
        lines.insert(j % (len(lines) + 1), lines[i % len(lines)])
    elif kind == "drop" and len(lines) > 1:
        del lines[i % len(lines)]
    elif kind == "swap":
        i, j = i % len(lines), j % len(lines)
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "splice":  # another project's line i inserted before line j
        lines.insert(j % (len(lines) + 1), foreign[i % len(foreign)])
    return lines


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(_operation, min_size=1, max_size=3))
def test_whole_records_out_of_place_are_refused_naming_the_first_line_out_of_place(
        tmp_path, pristine, foreign_lines, operations):
    original = pristine.splitlines(keepends=True)
    lines = original
    for operation in operations:
        lines = _operate(lines, foreign_lines, operation)
    damaged = b"".join(lines)
    project = tmp_path / "p"
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir()
    journal = project / "journal.jsonl"
    journal.write_bytes(damaged)
    first = next((n for n, (a, b) in enumerate(zip(lines, original), start=1) if a != b),
                 min(len(lines), len(original)) + 1)
    try:
        tuner = kt.FunctionTuner(lambda hp: 0.0, max_trials=6, seed=0, directory=tmp_path, project_name="p")
    except ProjectError as error:
        assert journal.read_bytes() == damaged  # refused: left untouched
        assert first == 1 or f"line {first} " in str(error).lower(), (first, str(error))
        return
    # Accepted only when what remains is the original's first lines (the last ones dropped,
    # which a crash before they were written leaves too), replayed as they were.
    assert pristine.startswith(damaged) and first > len(lines)
    original_project = kt.load(_copy(tmp_path, damaged))
    assert {k: t.get_state() for k, t in tuner.oracle.trials.items()} == {
        k: t.get_state() for k, t in original_project.trials.items()
    }
