"""Where a draw was made: library versions, Python, OS, CPU and its ISA level, device, GPU.

Every recording carries this record. Each backend names the fields its streams can depend on
(``provenance_keys``); those fields, joined, are the environment's label in the ledger.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import platform
import re
import shutil
import subprocess
import sys
from typing import Any, Iterable

import numpy as np

# x86-64 micro-architecture levels (the psABI's v2/v3/v4), by the CPU flags each one requires.
_X86_LEVELS = (
    ("x86-64-v4", {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}),
    ("x86-64-v3", {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "movbe", "xsave"}),
    ("x86-64-v2", {"cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3"}),
)


def _cpuinfo() -> dict[str, str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except OSError:
        return {}
    info: dict[str, str] = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        info.setdefault(key.strip(), value.strip())
    return info


#: What platform.machine() says on x86 (Linux/macOS, Windows, 32-bit).
X86_MACHINES = ("x86_64", "AMD64", "i686")

#: Why DataLoader worker processes are not started under emulation (the catalog's worker cases
#: and the DataLoader properties say it alike).
NO_WORKERS_EMULATED = ("DataLoader worker processes are not started under QEMU user-mode "
                       "emulation (a forked worker hangs there)")


def emulated(info: dict[str, str] | None = None) -> bool:
    """Whether this process runs under user-mode emulation (QEMU): /proc/cpuinfo is then the
    host's (an x86 CPU's ``vendor_id`` under another machine name: QEMU 7), or QEMU's own,
    whose ARM "CPU implementer" is 0x00, the code ARM reserves for software (QEMU 8 on)."""
    info = _cpuinfo() if info is None else info
    if platform.machine() in X86_MACHINES:
        return False
    return "vendor_id" in info or info.get("CPU implementer", "").lower() == "0x00"


#: ARM's "CPU implementer" codes (/proc/cpuinfo, the MIDR register) that name a vendor.
_ARM_IMPLEMENTERS = {"0x41": "ARM", "0x42": "Broadcom", "0x43": "Cavium", "0x46": "Fujitsu",
                     "0x48": "HiSilicon", "0x4e": "NVIDIA", "0x50": "AppliedMicro",
                     "0x51": "Qualcomm", "0x61": "Apple", "0xc0": "Ampere"}


def cpu_vendor() -> str | None:
    """Who made the CPU: ``GenuineIntel``/``AuthenticAMD`` (x86's CPUID vendor, which torch's
    cpuinfo reads), an ARM implementer's name, ``emulated`` under QEMU; None where unknown."""
    info = _cpuinfo()
    if emulated(info):
        return "emulated"
    if "vendor_id" in info:
        return info["vendor_id"]
    code = info.get("CPU implementer", "").lower()
    return _ARM_IMPLEMENTERS.get(code, f"implementer-{code}" if code else None)


def _blas(where: Any) -> str | None:
    """The first loaded BLAS library whose path ``where`` accepts, as
    ``internal_api-version-architecture`` (threadpoolctl reads it from the library)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    for pool in threadpool_info():
        if pool.get("user_api") == "blas" and where(str(pool.get("filepath", ""))):
            parts = [pool.get("internal_api"), pool.get("version"), pool.get("architecture")]
            return "-".join(str(p) for p in parts if p)
    return None


def numpy_blas() -> str | None:
    """NumPy's BLAS/LAPACK and the kernels it chose for this CPU, ``openblas-0.3.31-Haswell``;
    None where it cannot tell."""
    here = os.path.dirname(os.path.dirname(np.__file__))
    return (_blas(lambda path: path.startswith(here) and "numpy" in path)
            # NumPy linked to a system BLAS (a distribution's build)
            or _blas(lambda path: True))


def torch_blas(torch: Any) -> str | None:
    """torch's own BLAS/LAPACK: the OpenBLAS its aarch64 wheels bundle and the kernels it chose
    for this CPU (``openblas-0.3.25-armv8sve``), else ``mkl`` where torch was built with MKL
    (linked into libtorch_cpu, where threadpoolctl cannot see it)."""
    here = os.path.dirname(os.path.dirname(torch.__file__))
    return (_blas(lambda path: path.startswith(here) and "torch" in path)
            or ("mkl" if torch.backends.mkl.is_available() else None))


def isa_level() -> str:
    """The CPU's instruction-set level (``x86-64-v4``), or the machine name elsewhere."""
    machine = platform.machine()
    info = _cpuinfo()
    flags = set(info.get("flags", "").split())
    if machine in X86_MACHINES and flags:
        for level, needed in _X86_LEVELS:
            if needed <= flags:
                return level
        return "x86-64"
    return machine


#: The CPU flags torch's kernels of each capability execute (ATen's cpu/Utils checks).
_CAPABILITY_FLAGS = {"AVX512": ("avx512f", "avx512bw", "avx512vl", "avx512dq"),
                     "AVX2": ("avx2", "fma")}


def flags_lacking(capability: str) -> list[str]:
    """The CPU flags torch's kernels of ``capability`` (AVX512, AVX2) need that this CPU lacks
    (/proc/cpuinfo); none where it has them, or where there is no /proc/cpuinfo to ask."""
    flags = set(_cpuinfo().get("flags", "").split())
    return [f for f in _CAPABILITY_FLAGS.get(capability, ()) if flags and f not in flags]


def capability_problem() -> str | None:
    """Why torch's CPU kernels cannot run here, or None: ``ATEN_CPU_CAPABILITY`` can ask for
    kernels the CPU lacks (torch believes it), and the first draw then stops the interpreter
    with an illegal instruction instead of an error."""
    import importlib.util
    import os

    if platform.machine() not in X86_MACHINES or importlib.util.find_spec("torch") is None:
        return None
    flags = set(_cpuinfo().get("flags", "").split())
    if not flags:
        return None  # no /proc/cpuinfo: nothing to check against
    import torch

    capability = str(_torch_cpu_capability(torch) or "")
    missing = [f for f in _CAPABILITY_FLAGS.get(capability, ()) if f not in flags]
    if not missing:
        return None
    asked = os.environ.get("ATEN_CPU_CAPABILITY")
    why = f"ATEN_CPU_CAPABILITY={asked} asks for" if asked else "torch picked"
    return (f"{why} {capability} kernels, but this CPU lacks {', '.join(missing)} "
            "(/proc/cpuinfo): torch would stop with an illegal instruction; choose a capability "
            "the CPU has (avx2, default)")


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _torch_cpu_capability(torch: Any) -> str | None:
    """The ATen CPU kernels in use (what ATEN_CPU_CAPABILITY picks), as the release names them:
    AVX512, AVX2, and for the generic kernels "NO AVX" up to torch 2.8, "DEFAULT" since 2.9."""
    backends_cpu = getattr(torch.backends, "cpu", None)
    if backends_cpu is not None:
        return backends_cpu.get_cpu_capability()
    # Before torch.backends.cpu (torch 2.0), the build summary names the same kernels.
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage:" in line:
            return line.split(":", 1)[1].strip()
    return None


@functools.lru_cache(maxsize=None)
def environment(device: str = "cpu") -> dict[str, Any]:
    """The provenance record for draws made here on ``device``."""
    info = _cpuinfo()
    env: dict[str, Any] = {
        "numpy": np.__version__,
        "torch": None,
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "system": platform.system(),
        "os": platform.platform(),
        "machine": platform.machine(),
        # Under QEMU /proc/cpuinfo describes the host: say what is emulated instead.
        "cpu": (f"QEMU {os.environ.get('QEMU_CPU', 'max')}" if emulated(info)
                else info.get("model name") or platform.processor() or None),
        # Conditions only some cases' streams depend on (checks/conditions.py, conditions.toml).
        "cpu_vendor": cpu_vendor(),
        "torch_mkl": None,
        "torch_blas": None,
        "blas": numpy_blas(),
        "isa": isa_level(),
        "device": device,
        "torch_cpu_capability": None,
        "cuda": None,
        "gpu": None,
        "gpu_sms": None,
        "gpu_threads_per_sm": None,
        "pandas": _version("pandas"),
        # What Inductor builds its CPU kernels with (torch.compile backends' streams).
        "cxx": cxx_compiler(),
    }
    if _version("torch") is not None:
        import torch

        env["torch"] = torch.__version__
        env["cuda"] = torch.version.cuda
        env["torch_cpu_capability"] = _torch_cpu_capability(torch)
        env["torch_mkl"] = bool(torch.backends.mkl.is_available())
        env["torch_blas"] = torch_blas(torch)
        if device.startswith("cuda") and torch.cuda.is_available():
            props = torch.cuda.get_device_properties(torch.device(device))
            env["gpu"] = props.name
            env["gpu_sms"] = props.multi_processor_count
            # With the SM count, what sizes the launch grid of torch's sampling kernels.
            env["gpu_threads_per_sm"] = props.max_threads_per_multi_processor
    return env


@functools.lru_cache(maxsize=None)
def cxx_compiler() -> str | None:
    """The C++ compiler Inductor builds CPU code with, as ``g++-12.2.0``; None without one."""
    # Inductor runs $CXX if set, else the first of these it finds (torch/_inductor/cpp_builder.py).
    names = [os.environ["CXX"]] if os.environ.get("CXX") else ["g++", "c++", "clang++"]
    for name in names:
        path = shutil.which(name)
        if path is None:
            continue
        try:
            out = subprocess.run([path, "--version"], capture_output=True, text=True,
                                 timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        # "g++ (Debian 12.2.0-14) 12.2.0" -> "g++-12.2.0"
        words = out.splitlines()[0].split() if out.strip() else ["unknown"]
        return f"{os.path.basename(name)}-{words[-1]}"
    return None


#: Fields a row of conditions.toml may add to the label of the cases it matches.
CONDITION_FIELDS = ("cpu_vendor", "torch_mkl", "torch_blas", "blas")


def label(env: dict[str, Any], keys: Iterable[str]) -> str:
    """The environment's name in the ledger: the values of ``keys``, in order."""
    parts = []
    for key in keys:
        value = env.get(key)
        if key in ("numpy", "torch", "python", "pandas"):
            parts.append(f"{key}-{value}")
        elif key == "gpu_sms":
            parts.append(f"{value}SM")
        elif key == "torch_mkl":
            parts.append({True: "MKL", False: "no-MKL"}.get(value, str(value)))
        else:
            parts.append(str(value).replace(" ", "_"))
    return "/".join(parts)


#: Names one condition has had in different releases: torch calls its generic CPU kernels
#: "NO AVX" up to 2.8 and "DEFAULT" from 2.9 (the ledger keeps each release's own name).
CONDITION_ALIASES = {"NO_AVX": "DEFAULT"}


def split_label(label: str, package: str) -> tuple[str, str] | None:
    """``torch-2.13.0+cpu/AVX512/Linux/x86_64`` -> (``2.13.0+cpu``, ``AVX512/Linux/x86_64``):
    the package's version, and the other conditions under their current names."""
    parts = label.split("/")
    for i, part in enumerate(parts):
        if part.startswith(package + "-"):
            rest = [CONDITION_ALIASES.get(p, p) for p in parts[:i] + parts[i + 1:]]
            return part[len(package) + 1:], "/".join(rest)
    return None


def release(version: str | None):
    """``2.14.1+cu130`` -> Version("2.14.1"): builds of one release (CPU, CUDA) rank equal.
    The one version parser of rngsuite (packaging's); None for what is not a version."""
    from packaging.version import InvalidVersion, Version

    if version is None:
        return None
    try:
        return Version(str(version).split("+", 1)[0])
    except InvalidVersion:
        return None


def release_tuple(version: str | None) -> tuple[int, ...] | None:
    """``2.13.0+cpu`` -> ``(2, 13, 0)``: a release as the known-divergence conditions compare it
    (``torch < (2, 7)``)."""
    found = release(version)
    return found.release[:3] if found is not None else None


def installed_versions() -> dict[str, tuple[int, ...]]:
    """The installed NumPy, torch and Python as release tuples; a library that is not installed
    is left out, so that a condition on its version does not apply."""
    env = environment("cpu")
    found = {name: release_tuple(env[name]) for name in ("numpy", "torch", "python")}
    return {name: version for name, version in found.items() if version is not None}


def natural_key(text: str) -> tuple:
    """Natural order for environment labels and versions: torch-2.9 before torch-2.10."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", text))


def describe(env: dict[str, Any], keys: Iterable[str]) -> str:
    """A short human description of the fields that matter (``torch 2.13.0+cpu, AVX512``)."""
    return ", ".join(f"{k} {env.get(k)}" for k in keys)
