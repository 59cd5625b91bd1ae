"""Keras Tuner's own test suite, run against tunecore through a public-API shim.

tunecore promises that code written for Keras Tuner runs with
``import tunecore as kt`` as its only change. Keras Tuner's test suite is the
largest body of such code there is, but much of it tests Keras Tuner's
internals rather than its API. This script measures how much of the *public*
part passes on tunecore:

1. It extracts ``keras_tuner/**/*_test.py`` from a Keras Tuner checkout (a
   folder, or a git repository, bare or not, read with ``git show``) into a
   scratch folder (never into this repository).
2. It writes a shim package named ``keras_tuner`` beside them (see *The shim*).
3. It classifies every test function by static inspection (see *Which tests
   count*).
4. It runs pytest on each test file in its own process, with the shim first on
   ``sys.path``, a per-test and a per-file timeout, and records every test's
   outcome as it happens (so a file cut short by its timeout still reports the
   tests it ran, and names the ones it did not).
5. It prints per-file and total pass rates over the counted tests, the counted
   tests that fail with the first line of their error, and, for the tests that
   do not count, which private names excluded them (``report-tunecore.txt``,
   ``results-tunecore.json`` and per-file logs under ``--out``).

    python benchmarks/keras_tuner_parity.py \\
        --keras-tuner-src /path/to/keras-tuner [--out /tmp/kt_parity] \\
        [--files 'engine/*' ...] [--test-timeout 300] [--file-timeout 1800]

``--against keras-tuner`` runs the same tests, classified the same way, on the
checkout's own Keras Tuner package (copied into ``--out``, tests left out): a
reference run, in which every counted test should pass, so that a failure on
tunecore is tunecore's and not the harness's. Its per-file results stay in
``--out``; a later tunecore run marks the counted failures that fail on Keras
Tuner too (an environment problem, such as a download) and gives a second
total without them. Keras Tuner's test helpers import ``portpicker``, and its
EfficientNet tests download weights; put extra packages on ``PYTHONPATH`` (it
is kept, after the package under test).

The public API
--------------
Keras Tuner declares its public API with ``@keras_tuner_export("path", ...)``
decorators (the namex export paths that became the ``keras_tuner`` package of
1.4.8). The script reads them from the checkout's sources. A dotted name is
*public* when it is

* an export path (``keras_tuner.engine.hyperparameters.Int``) or a module on
  the way to one (``keras_tuner.engine``);
* the module that *defines* an exported object, and that object in it
  (``keras_tuner.tuners.randomsearch.RandomSearchOracle``,
  ``keras_tuner.engine.objective.Objective``): Keras Tuner's own tests reach
  public classes by these paths, which are the 1.4.x source layout. Such a
  module exposes only its exported objects (``objective.create_objective``
  stays private);
* an attribute of a public object that does not start with ``_``
  (``keras_tuner.HyperParameters.Int``, ``TrialStatus.RUNNING``);
* the framework passthrough ``keras_tuner.backend.keras`` (it *is* the
  ``keras`` package) and ``keras_tuner.backend.config.backend()`` /
  ``multi_backend()`` (which Keras backend runs). Tests build their models with
  these; they test Keras, not Keras Tuner. The rest of ``keras_tuner.backend``
  (``io``, ``ops``, ``random``) is private.

Everything else under ``keras_tuner`` is private: ``protos``, ``distribute``,
``test_utils``, ``utils``, ``config``, ``engine.tuner_utils``,
``engine.conditions``, ``engine.hyperparameters.hp_types``/``hp_utils``...
The legacy package name ``kerastuner`` is read as ``keras_tuner``.

The shim
--------
Every public module above is written as a module of the scratch ``keras_tuner``
package whose names resolve lazily (PEP 562 ``__getattr__``) to tunecore's
*public* names, by the same name, looked for in tunecore's module for the same
concept (``_TUNECORE_HOME``) and then at tunecore's top level (whose
``__getattr__`` resolves plugin tuners such as ``RandomSearch``). A name
tunecore lacks stays missing: using it raises ``AttributeError`` naming where
it was looked for, and the test fails. Private Keras Tuner modules import as
inert stand-ins whose every use raises ``KerasTunerPrivateError``, so that a
file importing one at its top still collects and its public tests still run.

Which tests count
-----------------
A test (a ``test_*`` function, or a ``test_*`` method of a ``Test*`` class)
counts unless the code it reaches uses a private name. "The code it reaches"
is the test function with its decorators, plus, transitively, every
module-level function, class and assignment it names, the fixtures it requests
and the module's autouse fixtures (and, for a method, its class's other
members). In that code, a use is private when

* a name imported from ``keras_tuner``, or an attribute chain rooted at one,
  resolves to a private dotted name (see *The public API*); an ``import`` or
  ``from ... import`` statement inside the reached code counts as a use;
* an attribute whose name starts with ``_`` (dunders excepted) is read on any
  object other than ``self``/``cls`` (``oracle._set_project_dir``,
  ``super()._populate_initial_space``); on ``self``/``cls`` it is private
  unless the test file itself assigns it (``self._first_trial = True``);
* a class that subclasses a Keras Tuner name defines a ``_``-prefixed method
  (overriding an internal such as ``Tuner._build_and_fit_model``);
* a string names a private attribute or path: ``patch.object(tuner,
  "_build_and_fit_model")``, ``mock.patch("keras_tuner.distribute...")``;
* an attribute name contains ``proto`` (``hp.to_proto()``,
  ``HyperParameters.from_proto``): protocol buffers exist for Keras Tuner's
  gRPC distribution layer, which tunecore does not copy.

Skipped tests (Keras Tuner marks some "too slow") are listed with their reason
and left out of the rates; tests that a file timeout stopped are listed as not
run. Files with no counted test are listed and not run.
"""

import argparse
import ast
import fnmatch
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path, PurePosixPath

#: tunecore's module for each Keras Tuner public module's concept. A name is
#: looked for there first, then at tunecore's top level.
_TUNECORE_HOME = {
    "keras_tuner": "tunecore",
    "keras_tuner.applications": "tunecore.applications",
    "keras_tuner.engine.base_tuner": "tunecore.tuners",
    "keras_tuner.engine.hypermodel": "tunecore.hypermodel",
    "keras_tuner.engine.hyperparameters": "tunecore.hyperparameters",
    "keras_tuner.engine.metrics_tracking": "tunecore.objective",
    "keras_tuner.engine.oracle": "tunecore.oracles",
    "keras_tuner.engine.trial": "tunecore.trial",
    "keras_tuner.engine.tuner": "tunecore.tuners",
    "keras_tuner.errors": "tunecore.errors",
    "keras_tuner.oracles": "tunecore.oracles",
    "keras_tuner.tuners": "tunecore.tuners",
}

#: The framework passthrough (see the module docstring): module -> public names.
_PASSTHROUGH = {
    "keras_tuner.backend": {"keras", "config"},
    "keras_tuner.backend.config": {"backend", "multi_backend"},
}
_OPAQUE = {"keras_tuner.backend.keras"}  # everything under it is Keras's own API

#: Run order: the framework-agnostic files first, then scikit-learn, then Keras.
_FRAMEWORK_FREE = (
    "engine/hyperparameters/*", "engine/objective_test.py", "engine/trial_test.py",
    "engine/oracle_test.py", "engine/conditions_test.py", "engine/metrics_tracking_test.py",
    "utils_test.py", "integration_tests/randomness_test.py",
)
_SKLEARN = ("tuners/sklearn_tuner_test.py", "engine/base_tuner_test.py")

_IDENTIFIER_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*\.py$")
_DOTTED = re.compile(r"^(keras_tuner|kerastuner)(\.[A-Za-z_][A-Za-z0-9_]*)+$")
_ROOTS = {"keras_tuner": "keras_tuner", "kerastuner": "keras_tuner"}
_MARKER = ".keras_tuner_parity"
_BY_NAME = ("getattr", "setattr", "hasattr", "delattr", "object")  # calls naming an attribute by string


# --------------------------------------------------------------------------
# Reading the checkout


def read_sources(src, rev="HEAD"):
    """``{path: text}`` for every ``keras_tuner/**/*.py`` of a checkout or git repository."""
    src = Path(src)
    if (src / "keras_tuner").is_dir():
        files = {
            str(PurePosixPath(p.relative_to(src))): p.read_text(encoding="utf-8")
            for p in (src / "keras_tuner").rglob("*.py")
        }
    else:
        listing = _git(src, "ls-tree", "-r", "--name-only", rev, "--", "keras_tuner")
        files = {
            path: _git(src, "show", f"{rev}:{path}")
            for path in listing.splitlines() if path.endswith(".py")
        }
    bad = [path for path in files if not _IDENTIFIER_PATH.match(path)]
    if bad:
        raise SystemExit(f"Refusing unexpected file names in {src}: {bad[:5]}")
    if not files:
        raise SystemExit(f"No keras_tuner/**/*.py found in {src} (a Keras Tuner checkout or git repository)")
    return files


def describe_checkout(src, rev="HEAD"):
    try:
        return _git(Path(src), "log", "-1", "--format=%H %cs", rev).strip()
    except (subprocess.CalledProcessError, FileNotFoundError):
        return str(src)


def _git(src, *args):
    return subprocess.run(
        ["git", "-C", str(src), *args], check=True, capture_output=True, text=True
    ).stdout


def _module_name(path):
    parts = list(PurePosixPath(path).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


# --------------------------------------------------------------------------
# The public API


class PublicApi:
    """Keras Tuner's public names, read from its ``@keras_tuner_export`` decorators.

    Attributes:
        exports: export path -> ``(defining module, name there)``.
        modules: public module -> the public names in it (objects and submodules).
        sources: public module -> ``{name: [export paths of that object]}``.
    """

    def __init__(self, sources):
        self.exports = {}
        for path, text in sources.items():
            if path.endswith("_test.py"):
                continue
            module = _module_name(path)
            for name, paths in _exported_objects(ast.parse(text)):
                for export in paths:
                    self.exports[export] = (module, name)
        if not self.exports:
            raise SystemExit("No @keras_tuner_export decorators found: is this Keras Tuner >= 1.4?")
        self.modules = defaultdict(set)
        self.sources = defaultdict(dict)
        by_object = defaultdict(list)
        for export, obj in self.exports.items():
            by_object[obj].append(export)
        for export, obj in self.exports.items():
            parent, _, name = export.rpartition(".")
            if not parent:  # the package itself ("keras_tuner")
                continue
            self._add_module(parent)
            self.modules[parent].add(name)
            self.sources[parent][name] = sorted(by_object[obj], key=lambda e: e != export)
        for (module, name), exports in by_object.items():  # defining modules
            self._add_module(module)
            self.modules[module].add(name)
            self.sources[module].setdefault(name, sorted(exports))
        self.modules["keras_tuner"].add("__version__")
        self.sources["keras_tuner"]["__version__"] = ["keras_tuner.__version__"]
        for module, names in _PASSTHROUGH.items():
            self._add_module(module)
            self.modules[module] |= names

    def _add_module(self, module):
        parts = module.split(".")
        for i in range(1, len(parts)):
            self.modules[".".join(parts[:i])].add(parts[i])
        self.modules.setdefault(module, set())

    def private_part(self, dotted):
        """The first private prefix of a dotted name, or None if it is public."""
        parts = dotted.split(".")
        parts[0] = _ROOTS.get(parts[0], parts[0])
        current = parts[0]
        for i, part in enumerate(parts[1:], start=1):
            if current in _OPAQUE:
                return None
            if current in self.modules:
                if part in self.modules[current] or _is_dunder(part):
                    current = f"{current}.{part}"
                    continue
                return f"{current}.{part}"
            for attribute in parts[i:]:  # ``current`` is a public object
                if _is_private_attribute(attribute):
                    return f"{current}.{attribute}"
                current = f"{current}.{attribute}"
            return None
        return None


def _exported_objects(tree):
    for node in ast.walk(tree):
        if not isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            continue
        for decorator in node.decorator_list:
            if isinstance(decorator, ast.Call) and _name_of(decorator.func).endswith("keras_tuner_export"):
                paths = []
                for arg in decorator.args:
                    items = arg.elts if isinstance(arg, (ast.List, ast.Tuple)) else [arg]
                    paths += [i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)]
                yield node.name, paths


def _name_of(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_name_of(node.value)}.{node.attr}"
    return ""


def _is_dunder(name):
    return name.startswith("__") and name.endswith("__")


def _is_private_attribute(name):
    return (name.startswith("_") and not _is_dunder(name)) or "proto" in name.lower()


# --------------------------------------------------------------------------
# Which tests count


def classify(text, api):
    """``{test id: sorted private uses}`` for one test file (an empty list: it counts).

    Test ids are ``test_name`` or ``TestClass::test_name``, as in pytest node ids.
    """
    tree = ast.parse(text)
    bindings = _keras_tuner_bindings(tree)
    own = _own_private_attributes(tree)
    defs = defaultdict(list)
    fixtures, autouse = {}, []
    for node in tree.body:
        for name in _bound_names(node):
            defs[name].append(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            fixture = _fixture_name(node)
            if fixture:
                fixtures[fixture] = node
                if _is_autouse(node):
                    autouse.append(node)
    results = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            results[node.name] = [node]
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            members = [m for m in node.body if not (isinstance(m, ast.FunctionDef) and m.name.startswith("test"))]
            context = members + node.decorator_list + node.bases
            for method in node.body:
                if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)) and method.name.startswith("test"):
                    results[f"{node.name}::{method.name}"] = [method, *context]
    return {
        test: sorted(_private_uses(_reach(roots + autouse, defs, fixtures), bindings, own, api))
        for test, roots in results.items()
    }


def _keras_tuner_bindings(tree):
    """Local name -> the dotted Keras Tuner name it was imported as."""
    bindings = {}
    for node in ast.walk(tree):
        for local, target in _imports(node):
            if target.split(".")[0] in _ROOTS:
                bindings[local] = target
    return bindings


def _imports(node):
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                yield alias.asname, alias.name
            else:
                root = alias.name.split(".")[0]
                yield root, root
    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
        for alias in node.names:
            if alias.name != "*":
                yield alias.asname or alias.name, f"{node.module}.{alias.name}"


def _imported_paths(node):
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
        return [f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*"]
    return []


def _own_private_attributes(tree):
    """``_x`` names the test file assigns on ``self``/``cls`` itself."""
    own = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
        ):
            own.add(node.attr)
    return own


def _bound_names(node):
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    return []


def _fixture_call(node):
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if _name_of(target).split(".")[-1] == "fixture":
            return decorator
    return None


def _fixture_name(node):
    decorator = _fixture_call(node)
    if decorator is None:
        return None
    for keyword in getattr(decorator, "keywords", []):
        if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
            return keyword.value.value
    return node.name


def _is_autouse(node):
    decorator = _fixture_call(node)
    return any(
        k.arg == "autouse" and isinstance(k.value, ast.Constant) and k.value.value
        for k in getattr(decorator, "keywords", [])
    )


def _reach(roots, defs, fixtures):
    """The nodes a test reaches: its own, and the module-level ones it names, transitively."""
    reached, queue, seen = [], list(roots), set()
    while queue:
        node = queue.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        reached.append(node)
        for inner in ast.walk(node):
            if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Load):
                queue += defs.get(inner.id, [])
            if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for arg in inner.args.args + inner.args.kwonlyargs:
                    if arg.arg in fixtures:
                        queue.append(fixtures[arg.arg])
            if isinstance(inner, ast.Call) and _name_of(inner.func).endswith("usefixtures"):
                queue += [fixtures[a.value] for a in inner.args if isinstance(a, ast.Constant) and a.value in fixtures]
    return reached


def _private_uses(nodes, bindings, own, api):
    uses = set()
    for root in nodes:
        for node in ast.walk(root):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for path in _imported_paths(node):
                    if path.split(".")[0] in _ROOTS:
                        _add(uses, api.private_part(path))
            elif isinstance(node, ast.Name) and node.id in bindings:
                _add(uses, api.private_part(bindings[node.id]))
            elif isinstance(node, ast.Attribute):
                chain = _chain(node)
                if chain and chain[0] in bindings:
                    _add(uses, api.private_part(".".join([bindings[chain[0]], *chain[1:]])))
                elif _is_private_attribute(node.attr):
                    is_self = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
                    if not (is_self and node.attr in own and "proto" not in node.attr.lower()):
                        uses.add(f".{node.attr}")
            elif isinstance(node, ast.ClassDef) and _subclasses_keras_tuner(node, bindings):
                for member in node.body:
                    is_method = isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef))
                    if is_method and _is_private_attribute(member.name):
                        uses.add(f"override .{member.name}")
            elif isinstance(node, ast.Call) and _name_of(node.func).split(".")[-1] in _BY_NAME:
                for arg in node.args[1:2]:  # getattr(obj, "_x"), patch.object(obj, "_x")
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        if _is_private_attribute(arg.value):
                            uses.add(f".{arg.value}")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _DOTTED.match(node.value):
                _add(uses, api.private_part(node.value))
    return uses


def _add(uses, private):
    if private:
        uses.add(private)


def _chain(node):
    """``a.b.c`` as ``["a", "b", "c"]``; None unless rooted at a plain name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(parts)]


def _subclasses_keras_tuner(node, bindings):
    for base in node.bases:
        chain = _chain(base)
        if chain and chain[0] in bindings:
            return True
    return False


# --------------------------------------------------------------------------
# The shim

_SHIM_RUNTIME = '''\
"""Runtime of the generated Keras Tuner -> tunecore shim (see keras_tuner_parity.py)."""

import importlib
import importlib.abc
import importlib.machinery
import sys
import types


class KerasTunerPrivateError(LookupError):
    """A private Keras Tuner name was used; the shim maps public names only."""


class _Private:
    def __init__(self, path):
        self._path = path

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return _Private(f"{self._path}.{name}")

    def __call__(self, *args, **kwargs):
        raise KerasTunerPrivateError(f"{self._path} is private to Keras Tuner (not mapped onto tunecore)")

    def __repr__(self):
        return f"<private Keras Tuner name {self._path}>"


class _PrivateModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return _Private(f"{self.__name__}.{name}")


class _PrivateFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports any keras_tuner.* module the shim does not define as an inert stand-in."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.startswith("keras_tuner."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _PrivateModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


if not any(isinstance(f, _PrivateFinder) for f in sys.meta_path):
    sys.meta_path.append(_PrivateFinder())


def bind(module_name, table, submodules):
    """PEP 562 ``__getattr__`` / ``__dir__`` for one public module.

    Args:
        table: name -> candidate ``"tunecore.module:name"`` strings, tried in order.
        submodules: names of public child modules, imported on first use.
    """

    def __getattr__(name):
        module = sys.modules[module_name]
        if name in submodules:
            return importlib.import_module(f"{module_name}.{name}")
        if name not in table:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r} (not Keras Tuner public API)")
        tried = []
        for candidate in table[name]:
            where, _, attribute = candidate.partition(":")
            try:
                value = getattr(importlib.import_module(where), attribute)
            except (ImportError, AttributeError) as exc:
                first = (str(exc).splitlines() or [""])[0]
                tried.append(f"{candidate} ({type(exc).__name__}: {first})")
                continue
            setattr(module, name, value)
            return value
        raise AttributeError(
            f"tunecore has no public equivalent of {module_name}.{name}; looked for " + "; ".join(tried)
        )

    def __dir__():
        return sorted(set(table) | set(submodules))

    return __getattr__, __dir__
'''

_BACKEND_INIT = '''\
"""Framework passthrough: keras_tuner.backend.keras is the keras package itself."""

import sys

import keras

sys.modules[__name__ + ".keras"] = keras

from keras_tuner.backend import config  # noqa: E402
'''

_BACKEND_CONFIG = '''\
"""Which Keras backend runs (passthrough to keras)."""

import keras


def multi_backend():
    return keras.version().startswith("3.")


def backend():
    return keras.config.backend() if multi_backend() else "tensorflow"
'''


def _candidates(api, module, name):
    found = []
    for export in api.sources[module].get(name, []):
        parent, _, exported_name = export.rpartition(".")
        home = _TUNECORE_HOME.get(parent)
        if home:
            found.append(f"{home}:{exported_name}")
    found.append(f"tunecore:{name}")
    return list(dict.fromkeys(found))


def write_shim(api, directory):
    """Write the ``keras_tuner`` shim package under ``directory``; returns its root."""
    root = Path(directory) / "keras_tuner"
    root.mkdir(parents=True)
    (root / "_shim_runtime.py").write_text(_SHIM_RUNTIME)
    for module, names in sorted(api.modules.items()):
        if module in _PASSTHROUGH or module in _OPAQUE:
            continue
        submodules = sorted(n for n in names if f"{module}.{n}" in api.modules)
        table = {n: _candidates(api, module, n) for n in sorted(names) if n not in submodules}
        folder = Path(directory, *module.split("."))
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "__init__.py").write_text(
            f'"""Keras Tuner\'s public {module}, mapped onto tunecore (generated)."""\n\n'
            "from keras_tuner._shim_runtime import bind\n\n"
            f"_TABLE = {json.dumps(table, indent=4)}\n\n"
            f"_SUBMODULES = {submodules!r}\n\n"
            "__getattr__, __dir__ = bind(__name__, _TABLE, _SUBMODULES)\n"
        )
    backend = root / "backend"
    backend.mkdir(exist_ok=True)
    (backend / "__init__.py").write_text(_BACKEND_INIT)
    (backend / "config.py").write_text(_BACKEND_CONFIG)
    return root


# --------------------------------------------------------------------------
# Running

_CONFTEST = '''\
"""Harness conftest: Keras Tuner's seeding, a per-test timeout, outcomes as JSON lines."""

import json
import os
import random
import signal
import sys

import numpy as np
import pytest

import keras_tuner

_PACKAGE = os.environ["KT_PARITY_PACKAGE"]
assert os.path.realpath(keras_tuner.__file__).startswith(os.path.realpath(_PACKAGE)), keras_tuner.__file__
_RESULTS = os.environ["KT_PARITY_RESULTS"]
_TIMEOUT = int(os.environ.get("KT_PARITY_TEST_TIMEOUT", "300"))


def _emit(**record):
    with open(_RESULTS, "a") as f:
        f.write(json.dumps(record) + "\\n")


@pytest.fixture(autouse=True)
def set_seeds_before_tests():
    """What Keras Tuner's conftest does: seed 0 everywhere, channels_last."""
    if "keras" in sys.modules:
        keras = sys.modules["keras"]
        keras.utils.set_random_seed(0)
        keras.backend.set_image_data_format("channels_last")
    else:
        random.seed(0)
        np.random.seed(0)
    yield


class HarnessTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise HarnessTimeout(f"test exceeded the harness per-test timeout of {_TIMEOUT}s")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(_TIMEOUT)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def pytest_collection_finish(session):
    _emit(kind="collected", nodeids=[item.nodeid for item in session.items])


def pytest_collectreport(report):
    if report.failed:
        _emit(kind="collect_error", nodeid=report.nodeid, error=_first_error_line(report))


def pytest_runtest_logreport(report):
    if report.when == "call" or report.failed or report.skipped:
        if report.skipped:
            outcome = "skipped"
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            error = reason
            if hasattr(report, "wasxfail"):
                outcome, error = "xfailed", report.wasxfail
        elif report.failed:
            outcome = "failed" if report.when == "call" else "error"
            error = _first_error_line(report)
        else:
            outcome, error = "passed", None
        _emit(kind="test", nodeid=report.nodeid, when=report.when, outcome=outcome,
              error=error, duration=round(report.duration, 3))


def _first_error_line(report):
    """The error's first line; when that says little (a regex that did not match,
    a bare assert), the next two lines joined to it with " | "."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None and crash.message:
        lines = [line.strip() for line in crash.message.splitlines() if line.strip()]
    else:
        text = str(report.longrepr).splitlines()
        lines = [line[1:].strip() for line in text if line.startswith("E ")] or [
            line.strip() for line in text[-1:] if line.strip()]
    if not lines:
        return ""
    if len(lines[0]) < 60:
        return " | ".join(line[:160] for line in lines[:3])
    return lines[0][:400]
'''


def write_tests(sources, directory):
    """Write the test files (and the harness conftest); returns ``{relative path: text}``."""
    tests = {}
    for path, text in sorted(sources.items()):
        if path.endswith("_test.py"):
            relative = str(PurePosixPath(path).relative_to("keras_tuner"))
            target = Path(directory, relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            tests[relative] = text
    Path(directory, "conftest.py").write_text(_CONFTEST)
    Path(directory, "pytest.ini").write_text("[pytest]\naddopts = --import-mode=importlib\n")
    return tests


def run_file(relative, tests_dir, package_dir, results_dir, test_timeout, file_timeout):
    """Run one test file in its own pytest process, ``package_dir`` first on ``sys.path``.

    Returns its records, wall time, whether it timed out, and pytest's exit status.
    """
    results = Path(results_dir, relative.replace("/", "__") + ".jsonl")
    results.unlink(missing_ok=True)
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(package_dir), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        KT_PARITY_PACKAGE=str(package_dir), KT_PARITY_RESULTS=str(results),
        KT_PARITY_TEST_TIMEOUT=str(test_timeout), PYTHONDONTWRITEBYTECODE="1",
        TF_CPP_MIN_LOG_LEVEL="3", KERAS_BACKEND="tensorflow", CUDA_VISIBLE_DEVICES="",
        OMP_NUM_THREADS="1", TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="1",
    )
    command = [
        sys.executable, "-m", "pytest", relative, "-p", "no:cacheprovider", "-q",
        f"--junitxml={results.with_suffix('.xml')}",
    ]
    start = time.monotonic()
    process = subprocess.Popen(
        command, cwd=tests_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )
    timed_out = False
    try:
        output, _ = process.communicate(timeout=file_timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
    Path(results_dir, relative.replace("/", "__") + ".log").write_text(output or "")
    records = []
    if results.exists():
        records = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
    return records, time.monotonic() - start, timed_out, process.returncode


def outcomes(relative, static, records, timed_out, returncode):
    """``{node id: (outcome, error line)}`` for one file, every statically found test included."""
    result = {}
    collected = [n for r in records if r["kind"] == "collected" for n in r["nodeids"]]
    for nodeid in collected:
        result[nodeid] = ("not run", "file timeout" if timed_out else f"pytest exited {returncode} before it")
    for record in records:
        if record["kind"] == "test":
            previous = result.get(record["nodeid"], ("not run", None))[0]
            if previous in ("failed", "error") and record["outcome"] == "error":
                continue  # a teardown error after a failure: keep the failure
            result[record["nodeid"]] = (record["outcome"], record["error"])
    collect_errors = [r for r in records if r["kind"] == "collect_error"]
    seen = {_test_id(n) for n in result}
    for test in static:
        if test not in seen:
            if collect_errors:
                error = ("error", "collection: " + (collect_errors[0]["error"] or ""))
            elif timed_out:
                error = ("not run", "file timeout before collection finished")
            else:
                error = ("not run", f"not collected (pytest exited {returncode})")
            result[f"{relative}::{test}"] = error
    return result


def _test_id(nodeid):
    return re.sub(r"\[.*\]$", "", nodeid.split(".py::", 1)[1])


# --------------------------------------------------------------------------
# Reporting


def _rate(passed, total):
    return f"{100 * passed / total:.0f}%" if total else "-"


def reference_outcomes(results_dir):
    """``{node id: outcome}`` recorded by earlier ``--against keras-tuner`` runs (empty if none)."""
    outcomes_by_id = {}
    for path in sorted(Path(results_dir).glob("*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if record["kind"] == "test":
                previous = outcomes_by_id.get(record["nodeid"])
                if previous not in ("failed", "error"):
                    outcomes_by_id[record["nodeid"]] = record["outcome"]
    return outcomes_by_id


def report(per_file, classification, skipped_files, seconds, checkout, against, out, reference=None):
    """The text report (also written to ``report-<against>.txt``).

    Args:
        reference: ``{node id: outcome}`` on Keras Tuner itself; counted tests
            that fail there too are marked, and a second total leaves them out.
    """
    reference = reference or {}
    on = "tunecore through the public-API shim" if against == "tunecore" else "Keras Tuner itself (reference run)"
    lines = [f"Keras Tuner {checkout}: its tests on {on}", ""]
    columns = ("tests", "count", "pass", "fail", "skip", "norun", "rate")
    header = f"{'file':52} " + " ".join(f"{c:>5}" for c in columns) + f" {'secs':>6}"
    lines += [header, "-" * len(header)]
    totals = Counter()
    failing, skipped, not_run = [], [], []
    for relative in sorted(per_file, key=_order):
        results = per_file[relative]
        counts = Counter()
        for nodeid, (outcome, error) in results.items():
            counts["tests"] += 1
            if classification[relative].get(_test_id(nodeid)):
                continue
            counts["counted"] += 1
            if outcome in ("passed", "xfailed"):
                counts["passed"] += 1
            elif outcome in ("failed", "error"):
                counts["failed"] += 1
                failing.append((nodeid, error))
            elif outcome == "skipped":
                counts["skipped"] += 1
                skipped.append((nodeid, error))
            else:
                counts["not run"] += 1
                not_run.append((nodeid, error))
        totals.update(counts)
        ran = counts["passed"] + counts["failed"]
        lines.append(
            f"{relative:52} {counts['tests']:5} {counts['counted']:5} {counts['passed']:5} {counts['failed']:5} "
            f"{counts['skipped']:5} {counts['not run']:5} {_rate(counts['passed'], ran):>5} {seconds[relative]:6.0f}"
        )
    ran = totals["passed"] + totals["failed"]
    both = [nodeid for nodeid, _ in failing if reference.get(nodeid) in ("failed", "error")]
    lines.append("-" * len(header))
    lines.append(
        f"{'TOTAL':52} {totals['tests']:5} {totals['counted']:5} {totals['passed']:5} {totals['failed']:5} "
        f"{totals['skipped']:5} {totals['not run']:5} {_rate(totals['passed'], ran):>5} {sum(seconds.values()):6.0f}"
    )
    lines.append("rate = passed / (passed + failed) over counted tests; skipped and not-run tests are listed below.")
    if reference:
        lines.append(
            f"Leaving out the {len(both)} counted tests that fail on Keras Tuner itself too (reference run): "
            f"{totals['passed']}/{ran - len(both)} = {_rate(totals['passed'], ran - len(both))}."
        )
    if skipped_files:
        lines += ["", "Not run, no counted test in the file:"]
        lines += [f"  {relative} ({n} tests)" for relative, n in skipped_files]
    for title, rows in (("Counted tests that fail", failing), ("Counted tests skipped", skipped),
                        ("Counted tests not run", not_run)):
        if rows:
            lines += ["", f"{title} ({len(rows)}):"]
            lines += [
                f"  {nodeid}{'   [fails on Keras Tuner too]' if nodeid in both else ''}\n      {error}"
                for nodeid, error in rows
            ]
    lines += ["", "Why the other tests do not count (tests using each private name; a test may use several):"]
    census, sole = Counter(), Counter()
    for relative, tests in classification.items():
        for uses in tests.values():
            census.update(uses)
            if len(uses) == 1:
                sole.update(uses)
    for name, n in census.most_common():
        lines.append(f"  {n:4}  {name}" + (f"   (the only reason for {sole[name]})" if sole[name] else ""))
    text = "\n".join(lines)
    Path(out, f"report-{against}.txt").write_text(text + "\n")
    return text


def _order(relative):
    for rank, patterns in enumerate((_FRAMEWORK_FREE, _SKLEARN)):
        if any(fnmatch.fnmatch(relative, p) for p in patterns):
            return (rank, relative)
    return (2, relative)


_GENERATED = ("shim", "reference", "tests", "results-tunecore", "results-keras-tuner")


def _prepare(out, regenerated):
    """Create ``out``, or reuse one this script made: it only ever deletes its own outputs."""
    out = Path(out)
    if any((out / g).exists() for g in _GENERATED) and not (out / _MARKER).exists():
        raise SystemExit(
            f"{out} holds folders this script did not write ({', '.join(_GENERATED)}); choose another --out"
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / _MARKER).write_text("written by benchmarks/keras_tuner_parity.py\n")
    for g in regenerated:
        assert g in _GENERATED
        shutil.rmtree(out / g, ignore_errors=True)
    return out


def write_reference(sources, directory):
    """Keras Tuner's own package (tests left out), for a reference run of the same tests."""
    for path, text in sources.items():
        if not path.endswith("_test.py") and PurePosixPath(path).name != "conftest.py":
            target = Path(directory, path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keras-tuner-src", required=True, help="Keras Tuner checkout or git repository")
    parser.add_argument("--rev", default="HEAD", help="revision to read from a git repository")
    parser.add_argument("--out", default="/tmp/kt_parity", help="scratch folder (default /tmp/kt_parity)")
    parser.add_argument("--files", nargs="*", default=None,
                        help="glob(s) of test files to run, relative to keras_tuner/ (default: all)")
    parser.add_argument("--test-timeout", type=int, default=300, help="seconds per test (default 300)")
    parser.add_argument("--file-timeout", type=int, default=1800, help="seconds per file (default 1800)")
    parser.add_argument("--run-uncounted", action="store_true", help="also run files with no counted test")
    parser.add_argument("--dry-run", action="store_true", help="write the shim and tests, classify, run nothing")
    parser.add_argument("--against", choices=("tunecore", "keras-tuner"), default="tunecore",
                        help="run on tunecore through the shim (default), or on the checkout's own Keras Tuner "
                             "(a reference run: the counted tests should pass there)")
    args = parser.parse_args()

    package_dir = "shim" if args.against == "tunecore" else "reference"
    out = _prepare(args.out, (package_dir, "tests"))
    sources = read_sources(args.keras_tuner_src, args.rev)
    checkout = describe_checkout(args.keras_tuner_src, args.rev)
    api = PublicApi(sources)
    package_dir, tests_dir, results_dir = out / package_dir, out / "tests", out / f"results-{args.against}"
    if args.against == "tunecore":
        write_shim(api, package_dir)
    else:
        write_reference(sources, package_dir)
    tests = write_tests(sources, tests_dir)
    results_dir.mkdir(exist_ok=True)  # per-file results of earlier runs stay until their file runs again
    classification = {relative: classify(text, api) for relative, text in tests.items()}

    per_file, seconds, skipped_files = {}, {}, []
    for relative in sorted(tests, key=_order):
        if args.files is not None and not any(fnmatch.fnmatch(relative, p) for p in args.files):
            continue
        static = classification[relative]
        if args.dry_run:
            for test, uses in static.items():
                print(f"{relative}::{test}: {'COUNTED' if not uses else ', '.join(uses)}")
            continue
        if not args.run_uncounted and static and all(static.values()):
            skipped_files.append((relative, len(static)))
            continue
        print(f"running {relative} ({sum(not u for u in static.values())}/{len(static)} counted)...", flush=True)
        records, elapsed, timed_out, returncode = run_file(
            relative, tests_dir, package_dir, results_dir, args.test_timeout, args.file_timeout
        )
        per_file[relative] = outcomes(relative, static, records, timed_out, returncode)
        seconds[relative] = elapsed
        print(f"    {elapsed:.0f}s{' (file timeout)' if timed_out else ''}", flush=True)

    Path(out, f"results-{args.against}.json").write_text(json.dumps({
        "checkout": checkout,
        "against": args.against,
        "classification": classification,
        "outcomes": {f: {n: list(o) for n, o in r.items()} for f, r in per_file.items()},
        "seconds": seconds,
    }, indent=1))
    print()
    reference = reference_outcomes(out / "results-keras-tuner") if args.against == "tunecore" else None
    print(report(per_file, classification, skipped_files, seconds, checkout, args.against, out, reference))


if __name__ == "__main__":
    main()
