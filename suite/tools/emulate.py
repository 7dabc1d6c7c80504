"""Emulate: run rngsuite for a NumPy/torch pair on aarch64, on an x86-64 Linux machine, through
QEMU user-mode emulation -- from packages only, changing nothing on the host.

What it builds, once, under ``--cache`` (default ``~/.cache/rngsuite/emulate``):

- ``sysroot/``: Debian bookworm's arm64 Python 3.11 and the libraries it loads, fetched with
  ``apt-get download`` through a private apt configuration (its own package lists, arm64 added
  there only: the host's dpkg and apt state are never touched) and unpacked with ``dpkg -x``;
- ``qemu/``: Debian trixie's ``qemu-user`` (QEMU 10, static binaries) for the host, unpacked
  the same way (bookworm's QEMU 7.2 crashes loading torch 2.15);
- ``site/numpy-X-torch-Y/``: PyPI's aarch64 wheels of NumPy, torch and rngsuite's other
  requirements, installed by uv into a folder (``uv pip install --target --python-platform
  aarch64-manylinux_2_28``: uv evaluates the wheels' markers for the target, where pip would
  ask for the x86-only CUDA packages).

Then it runs ``python -m rngsuite COMMAND...`` -- this rngsuite, through a link -- with
``QEMU_LD_PREFIX`` pointing at the sysroot and ``QEMU_CPU`` choosing the CPU: ``neon`` (no SVE:
torch's DEFAULT kernels, what Graviton2, Ampere Altra and Apple silicon run) or ``sve256``
(256-bit SVE: torch's SVE256 kernels, what Graviton3 runs). See docs/emulation.md.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from rngsuite.core.settings import BadInput, CannotRun

#: rngsuite's own package folder: the emulated Python imports it through a link named rngsuite.
PACKAGE = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = Path.home() / ".cache" / "rngsuite" / "emulate"
#: The Debian release whose arm64 Python is run (its python3.11 matches the wheels' cp311 tag).
DEBIAN = "bookworm"
#: The Debian release QEMU comes from: bookworm's QEMU 7.2 crashes loading torch 2.15's aarch64
#: library (SIGSEGV in torch._C); trixie's `qemu-user` (10.0, static binaries) runs it. A static
#: binary, it runs on any host.
QEMU_DEBIAN = "trixie"
PYTHON = "3.11"
#: The emulated CPUs: QEMU's ``max`` CPU without SVE, or with 256-bit vectors by default.
CPUS = {"neon": "max,sve=off", "sve256": "max,sve-default-vector-length=32"}
#: The Debian packages the sysroot is made of, besides what they depend on.
ROOTS = (f"python{PYTHON}", "libstdc++6", "libgomp1")
#: Packages of that closure that a Python process never loads (dpkg's own tools).
NOT_NEEDED = {"dpkg", "tar", "install-info", "perl-base", "debconf"}


@dataclass(frozen=True)
class Plan:
    """What one emulated run needs: the folders, and the pair of releases."""

    cache: Path
    numpy: str
    torch: str | None  # None: NumPy only (torch's backends say they are unavailable)
    cpu: str

    @property
    def site(self) -> Path:
        return self.cache / "site" / f"numpy-{self.numpy}-torch-{self.torch or 'none'}"

    @property
    def sysroot(self) -> Path:
        return self.cache / "sysroot"

    @property
    def qemu(self) -> Path:
        return self.cache / "qemu" / "usr" / "bin" / "qemu-aarch64"


def _run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(list(args), check=True, capture_output=True, text=True, **kwargs)
    except subprocess.CalledProcessError as exc:
        tail = (exc.stderr or exc.stdout or "").strip().splitlines()[-1:] or ["(no output)"]
        raise CannotRun(f"{' '.join(args[:3])} ... failed (exit {exc.returncode}): "
                        f"{tail[0]}") from None


def _needs(tool: str, how: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise CannotRun(f"emulate needs {tool} ({how})")
    return path


def check_host() -> None:
    """One line, exit 3, where this machine cannot build the emulated environment."""
    if platform.system() != "Linux":
        raise CannotRun(f"emulate runs on Linux (QEMU user mode); this is {platform.system()}")
    _needs("apt-get", "a Debian or Ubuntu host: it fetches Debian's packages")
    _needs("dpkg", "it unpacks Debian's packages with dpkg -x")


def _apt(folder: Path, suite: str, archs: list[str]) -> list[str]:
    """A private apt in ``folder``: its own lists and cache, one Debian suite, these
    architectures; the host's dpkg and apt state are never read or written."""
    (folder / "lists" / "partial").mkdir(parents=True, exist_ok=True)
    (folder / "archives" / "partial").mkdir(parents=True, exist_ok=True)
    keyring = "/usr/share/keyrings/debian-archive-keyring.gpg"
    signed = f" signed-by={keyring}" if Path(keyring).exists() else ""
    (folder / "sources.list").write_text(
        f"deb [arch={','.join(archs)}{signed}] http://deb.debian.org/debian {suite} main\n")
    options = ["-o", f"Dir::State::Lists={folder / 'lists'}", "-o", "Dir::State::status=/dev/null",
               "-o", f"Dir::Cache={folder}", "-o", f"Dir::Etc::SourceList={folder / 'sources.list'}",
               "-o", "Dir::Etc::SourceParts=/dev/null", "-o", "Debug::NoLocking=1",
               "-o", "APT::Sandbox::User=root"]
    options += [x for arch in archs for x in ("-o", f"APT::Architectures::={arch}")]
    _run("apt-get", *options, "update")
    return options


def build_sysroot(cache: Path) -> None:
    """Debian's arm64 Python and QEMU, unpacked under ``cache``: once."""
    done = cache / "sysroot" / f"usr/bin/python{PYTHON}"
    if done.exists() and (cache / "qemu/usr/bin/qemu-aarch64").exists():
        return
    check_host()
    host = _run("dpkg", "--print-architecture").stdout.strip()
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    if not done.exists():
        options = _apt(cache / "apt", DEBIAN, [host, "arm64"])
        depends = _run("apt-cache", *options, "depends", "--recurse", "--no-recommends",
                       "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces",
                       "--no-enhances", "--no-pre-depends",
                       *[f"{p}:arm64" for p in ROOTS]).stdout
        packages = sorted({line.strip() for line in depends.splitlines()
                           if line.strip().endswith(":arm64") and not line.startswith(" ")
                           and line.split(":")[0] not in NOT_NEEDED})
        _run("apt-get", *options, "download", *packages, cwd=debs)
        for deb in sorted(debs.glob("*_arm64.deb")):
            _run("dpkg", "-x", str(deb), str(cache / "sysroot"))
    if not (cache / "qemu/usr/bin/qemu-aarch64").exists():
        options = _apt(cache / "apt-qemu", QEMU_DEBIAN, [host])
        _run("apt-get", *options, "download", f"qemu-user:{host}", cwd=debs)
        for deb in sorted(debs.glob("qemu-user_*.deb")):
            _run("dpkg", "-x", str(deb), str(cache / "qemu"))
    if not done.exists():
        raise CannotRun(f"the arm64 python{PYTHON} is not in {cache / 'sysroot'} after unpacking")


def requirements() -> list[str]:
    """rngsuite's own requirements, NumPy and torch left out (the plan pins them)."""
    try:
        wanted = importlib.metadata.requires("rngsuite") or []
    except importlib.metadata.PackageNotFoundError:
        raise CannotRun("rngsuite is not installed (pip install -e . in a clone): emulate "
                        "reads its requirements from the installed metadata") from None
    out = []
    for spec in wanted:
        if "extra ==" in spec:
            continue
        name = re.split(r"[\s<>=!~;\[]", spec, maxsplit=1)[0].lower()
        if name not in ("numpy", "torch"):
            out.append(spec.split(";")[0].strip())
    return out


def _pin(version: str) -> str:
    """``2.4`` -> ``==2.4.*`` (the newest patch of a minor); ``2.4.6`` -> ``==2.4.6``."""
    if not re.fullmatch(r"\d+(\.\d+){1,2}", version):
        raise BadInput(f"--numpy/--torch {version!r}: a release like 2.4 or 2.4.6")
    return f"=={version}.*" if version.count(".") == 1 else f"=={version}"


def build_site(plan: Plan) -> None:
    """PyPI's aarch64 wheels for the pair, installed into ``plan.site`` by uv: once."""
    if (plan.site / ".complete").exists():
        return
    uv = _needs("uv", "pip install uv: it installs aarch64 wheels")
    pins = [f"numpy{_pin(plan.numpy)}"]
    if plan.torch is not None:
        pins.append(f"torch{_pin(plan.torch)}")
    if plan.site.exists():
        shutil.rmtree(plan.site)
    plan.site.mkdir(parents=True)
    _run(uv, "pip", "install", "--quiet", "--target", str(plan.site), "--python-platform",
         "aarch64-manylinux_2_28", "--python-version", PYTHON, "--only-binary", ":all:",
         *pins, *requirements())
    link = plan.site / "rngsuite"
    if link.exists() or link.is_symlink():
        link.unlink()
    link.symlink_to(PACKAGE, target_is_directory=True)
    (plan.site / ".complete").write_text("")


def command(plan: Plan, args: list[str]) -> tuple[list[str], dict[str, str]]:
    """The argv and environment that run ``python -m rngsuite ARGS`` emulated."""
    env = {**os.environ, "QEMU_LD_PREFIX": str(plan.sysroot), "QEMU_CPU": CPUS[plan.cpu],
           "PYTHONPATH": str(plan.site), "PYTHONNOUSERSITE": "1"}
    # Capability choices are the emulated CPU's (QEMU_CPU): the host's would not apply.
    env.pop("ATEN_CPU_CAPABILITY", None)
    python = plan.sysroot / "usr" / "bin" / f"python{PYTHON}"
    return [str(plan.qemu), str(python), "-m", "rngsuite", *args], env


def prepare(plan: Plan) -> None:
    """Everything the run needs, built where missing (minutes the first time)."""
    if plan.cpu not in CPUS:
        raise BadInput(f"--cpu {plan.cpu!r}: one of {', '.join(CPUS)}")
    for version in (plan.numpy, plan.torch):  # refused before minutes of downloads
        if version is not None:
            _pin(version)
    build_sysroot(plan.cache)
    build_site(plan)


def run(plan: Plan, args: list[str]) -> int:
    """Run ``python -m rngsuite ARGS`` for the plan's pair on the emulated CPU; its exit code."""
    prepare(plan)
    argv, env = command(plan, args)
    print(f"emulating aarch64 ({plan.cpu}: QEMU_CPU={CPUS[plan.cpu]}), numpy {plan.numpy}, "
          f"torch {plan.torch or '(none)'}: python -m rngsuite {' '.join(args)}", flush=True)
    return subprocess.call(argv, env=env)
