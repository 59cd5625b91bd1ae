"""A search opens no network port, in process or on the local process pool.

The driver talks to its local workers through pipes and Unix sockets. A TCP
port, even on localhost, would trip firewalls and sandboxes and be reachable
by other users of a shared machine.
"""

import os
import socket

import psutil
import pytest

import tunecore

_INET = (socket.AF_INET, socket.AF_INET6)


@pytest.fixture
def socket_calls(monkeypatch):
    """Every ``(call, family, args)`` made on a socket in this process during the test."""
    calls = []
    for name in ("bind", "listen", "connect", "connect_ex"):
        original = getattr(socket.socket, name)

        def spy(self, *args, _name=name, _original=original):
            calls.append((_name, self.family, args))
            return _original(self, *args)

        monkeypatch.setattr(socket.socket, name, spy)
    return calls


def _inet(calls):
    return [call for call in calls if call[1] in _INET]


def _inet_connections(root_pid):
    """The inet sockets of a process and of all its descendants."""
    root = psutil.Process(root_pid)
    found = []
    for process in [root, *root.children(recursive=True)]:
        try:
            found += [(process.pid, conn) for conn in process.net_connections(kind="inet")]
        except psutil.NoSuchProcess:
            pass
    return found


def _inet_seen_by_a_trial(hp, driver_pid):
    """Counts the inet sockets of the driver and its helpers while this trial runs."""
    x = hp.Float("x", 0.0, 1.0)
    return {"loss": x, "inet": float(len(_inet_connections(driver_pid)))}


def _space():
    space = tunecore.HyperParameters()
    space.Float("x", 0.0, 1.0)  # known up front, so that trials run side by side at once
    return space


def test_a_search_in_process_opens_no_network_port(tmp_path, socket_calls):
    before = set(_inet_connections(os.getpid()))

    tunecore.tune(lambda hp: hp.Float("x", 0, 1), max_trials=3, verbose=0)
    tuner = tunecore.FunctionTuner(_inet_seen_by_a_trial, objective="loss", max_trials=3,
                                   directory=tmp_path)
    tuner.search(os.getpid(), verbose=0)

    assert _inet(socket_calls) == []
    assert [t.metrics.get_last_value("inet") for t in tuner.oracle.trials.values()] == [
        float(len(before))] * 3
    assert set(_inet_connections(os.getpid())) <= before


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="multiprocessing uses named pipes")
def test_a_search_on_the_process_pool_opens_no_network_port(tmp_path, socket_calls):
    before = set(_inet_connections(os.getpid()))

    tuner = tunecore.tune(_inet_seen_by_a_trial, os.getpid(), objective="loss", max_trials=4,
                          hyperparameters=_space(), executor="process", max_parallel_trials=2,
                          verbose=0)

    # Each trial looked while the fork server, the manager and its worker were up.
    assert [t.metrics.get_last_value("inet") for t in tuner.oracle.trials.values()] == [
        float(len(before))] * 4
    assert _inet(socket_calls) == []
    # The driver did reach its fork server and its manager: over Unix sockets.
    assert {family for call, family, _ in socket_calls if call == "connect"} == {socket.AF_UNIX}
    assert set(_inet_connections(os.getpid())) <= before
