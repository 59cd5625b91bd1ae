import pytest

import tunecore as kt


@pytest.fixture
def small_big_space():
    """A choice of "small" (x active) or "big" (x, y and z active): the tests' conditional space."""
    hp = kt.HyperParameters()
    hp.Choice("kind", ["small", "big"], ordered=False)
    hp.Float("x", 0.0, 1.0)
    with hp.conditional_scope("kind", ["big"]):
        hp.Float("y", 0.0, 1.0)
        hp.Float("z", 0.0, 1.0)
    return hp
