"""The project lock: a ``lock`` that is a link is refused and what it points at
left alone; the Windows branch (``msvcrt.locking``) keeps the holder readable.

The kill/refuse scenarios across processes are in test_project_safety.py.
"""

import copy
import errno
import gc
import os
import pickle
import socket
import stat

import pytest

import tunecore as kt
from tunecore.errors import ProjectError
from tunecore.storage import lock as lock_module
from tunecore.storage.lock import ProjectLock


def _search(root):
    return kt.tune(lambda hp: hp.Float("x", 0, 1), max_trials=1, directory=str(root), project_name="p",
                   verbose=0)


@pytest.fixture
def outside(tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    return target


@pytest.fixture
def project(tmp_path):
    (tmp_path / "root" / "p").mkdir(parents=True)
    return tmp_path / "root"


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="symlinks need privileges on Windows")
def test_a_lock_that_is_a_symlink_is_refused_and_its_target_untouched(project, outside):
    (project / "p" / "lock").symlink_to(outside)
    with pytest.raises(ProjectError, match=r"The project lock '.*lock' is a link; .*Remove it"):
        _search(project)
    assert outside.read_text() == "keep me"


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="symlinks need privileges on Windows")
def test_a_dangling_symlink_lock_creates_nothing(project, tmp_path):
    (project / "p" / "lock").symlink_to(tmp_path / "created-outside")
    with pytest.raises(ProjectError, match="is a link"):
        _search(project)
    assert not (tmp_path / "created-outside").exists()


def test_a_lock_hard_linked_to_another_file_is_refused_and_that_file_untouched(project, outside):
    os.link(outside, project / "p" / "lock")
    with pytest.raises(ProjectError, match="is a hard link to a file that has other names"):
        _search(project)
    assert outside.read_text() == "keep me"


def test_a_lock_that_is_a_windows_reparse_point_is_refused(project, monkeypatch):
    path = str(project / "p" / "lock")
    lstat = os.lstat

    class _ReparsePoint:
        def __init__(self, info):
            self.st_mode, self.st_file_attributes = info.st_mode, stat.FILE_ATTRIBUTE_REPARSE_POINT

    (project / "p" / "lock").write_text("")
    monkeypatch.setattr(os, "lstat", lambda p, *a, **k: _ReparsePoint(lstat(p)) if str(p) == path else lstat(p))
    with pytest.raises(ProjectError, match="is a link"):
        ProjectLock(str(project / "p")).acquire()


class _FakeMsvcrt:
    """``msvcrt.locking``'s contract, in one process: a byte range locked through
    one descriptor cannot be locked through another; LK_NBLCK fails at once."""

    LK_UNLCK, LK_NBLCK = 0, 2

    def __init__(self):
        self.locked = {}  # (device, inode, offset) -> descriptor

    def locking(self, fd, mode, nbytes):
        assert nbytes == 1
        info, offset = os.fstat(fd), os.lseek(fd, 0, os.SEEK_CUR)
        key = (info.st_dev, info.st_ino, offset)
        if mode == self.LK_NBLCK:
            if self.locked.get(key, fd) != fd:
                raise OSError(errno.EACCES, "Permission denied")
            self.locked[key] = fd
        elif mode == self.LK_UNLCK:
            if self.locked.pop(key, None) != fd:
                raise OSError(errno.EACCES, "Permission denied")


def test_on_windows_the_lock_is_exclusive_and_its_holder_readable(tmp_path, monkeypatch):
    msvcrt = _FakeMsvcrt()
    monkeypatch.setattr(lock_module, "_os_lock", lock_module._MsvcrtLocking(msvcrt))
    first, second = ProjectLock(str(tmp_path)), ProjectLock(str(tmp_path))
    first.acquire()
    holder_line = (tmp_path / "lock").read_bytes()
    assert [offset for _, _, offset in msvcrt.locked] == [lock_module._MsvcrtLocking.OFFSET]
    assert lock_module._MsvcrtLocking.OFFSET > len(holder_line)  # Windows locks are mandatory

    with pytest.raises(ProjectError, match=rf"in use by another search \(pid {os.getpid()} on "
                                           rf"{socket.gethostname()}, since "):
        second.acquire()
    assert not second.held

    first.release()
    assert msvcrt.locked == {}
    second.acquire()
    assert second.held
    second.release()


class _Tuner(kt.BaseTuner):
    def run_trial(self, trial):
        return trial.hyperparameters.Float("x", 0, 1)


def test_an_oracle_driven_outside_search_and_dropped_frees_its_project(tmp_path):
    def drive():
        oracle = kt.oracles.RandomSearch(objective="loss", max_trials=3, seed=0)
        _Tuner(oracle, directory=str(tmp_path), project_name="p")
        oracle.create_trial("me")  # takes the lock; never closed

    drive()
    gc.collect()
    tuner = _Tuner(kt.oracles.RandomSearch(objective="loss", max_trials=3, seed=0), directory=str(tmp_path),
                   project_name="p")
    tuner.search(verbose=0)
    assert len(tuner.oracle.trials) == 3


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_a_forked_child_dropping_its_copy_keeps_the_parents_lock(project):
    held = ProjectLock(str(project / "p"))
    held.acquire()
    pid = os.fork()
    if pid == 0:  # the child drops its copy of the held lock, then exits without cleanup
        del held
        gc.collect()
        os._exit(0)
    assert os.waitpid(pid, 0)[1] == 0
    with pytest.raises(ProjectError, match="in use by another search"):
        ProjectLock(str(project / "p")).acquire()
    held.release()
    ProjectLock(str(project / "p")).acquire()


def test_a_copy_of_a_held_lock_is_not_held_and_dropping_it_keeps_the_project(project):
    held = ProjectLock(str(project / "p"))
    held.acquire()
    copies = [copy.copy(held), copy.deepcopy(held), pickle.loads(pickle.dumps(held))]
    assert not any(c.held for c in copies)
    del copies
    gc.collect()
    with pytest.raises(ProjectError, match="in use by another search"):
        ProjectLock(str(project / "p")).acquire()
    held.release()
