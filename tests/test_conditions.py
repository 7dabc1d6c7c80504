"""CPU conditions in labels (suite/data/conditions.toml): exactly the cases and releases whose
code path reads a condition carry it in their label; and the emulation recipe's pieces."""

from __future__ import annotations

import dataclasses

import pytest

from rngsuite.backends import registry
from rngsuite.checks import conditions
from rngsuite.core import provenance as prov
from rngsuite.core.catalog import CatalogError, parse_case
from rngsuite.tools import emulate

BACKENDS = registry(["cpu"])


def _env(**fields):
    base = {"torch": "2.6.0+cu124", "numpy": "2.4.6", "python": "3.11.7", "system": "Linux",
            "machine": "x86_64", "torch_cpu_capability": "AVX2", "cpu_vendor": "GenuineIntel",
            "torch_mkl": True, "blas": "openblas-0.3.31-Haswell"}
    return {**base, **fields}


def _label(case_id: str, env: dict) -> str:
    case = parse_case(case_id)
    return prov.label(env, conditions.label_keys(case, BACKENDS[case.backend], env))


@pytest.mark.parametrize("case_id", [
    "torch:cpu:exponential_(20)@17", "torch.Generator:cpu:exponential_strided(1000)@17",
    "torch:cpu:Exponential_sample(1.5,(5,))@17", "torch:cpu:multinomial(ones(10),5)@17",
    "torch:cpu:Categorical_sample(ones(10),())@17"])
def test_a_vendor_dependent_case_s_label_changes_with_the_vendor(case_id):
    """Before torch 2.7, with MKL, exponential_ and what draws through it carry the vendor."""
    intel, amd = _label(case_id, _env()), _label(case_id, _env(cpu_vendor="AuthenticAMD"))
    assert intel != amd
    assert intel.endswith("/GenuineIntel") and amd.endswith("/AuthenticAMD")


@pytest.mark.parametrize("case_id", [
    "torch:cpu:rand(5)@17", "torch:cpu:randn(20)@17", "torch:cpu:bernoulli_(20,p=0.3)@17",
    "torch:cpu:dropout(ones(64),0.5)@17",
    "torch:cpu:multinomial(ones(10),20,replacement=True)@17"])
def test_a_vendor_independent_case_s_label_does_not(case_id):
    """Cases whose path never reads the vendor keep one label on Intel and AMD (bernoulli_'s
    MKL path draws the same masks on both: seen under QEMU, conditions.toml)."""
    assert _label(case_id, _env()) == _label(case_id, _env(cpu_vendor="AuthenticAMD"))


@pytest.mark.parametrize("env", [_env(torch="2.7.1+cu126"), _env(torch="2.13.0+cpu"),
                                 _env(torch_mkl=False, machine="aarch64")],
                         ids=["torch-2.7", "torch-2.13", "no-MKL"])
def test_the_vendor_is_not_in_the_label_where_the_mkl_path_is_gone(env):
    """From torch 2.7 (pytorch#146174), or without MKL, exponential_ does not read the vendor."""
    case_id = "torch:cpu:exponential_(20)@17"
    assert _label(case_id, env) == _label(case_id, {**env, "cpu_vendor": "AuthenticAMD"})


def test_mkl_paths_are_labelled_by_mkl_before_torch_2_7():
    """bernoulli_ with a number p, dropout, exponential_ and multinomial of one sample or without
    replacement carry MKL before 2.7, and not from 2.7 on."""
    for case_id in ("torch:cpu:bernoulli_(20,p=0.3)@17", "torch.Generator:cpu:bernoulli_(ones(5),"
                    "0.3)@17", "torch:cpu:dropout(ones(64),0.5)@17",
                    "torch:cpu:feature_alpha_dropout(ones(1,5,2),0.5,training=True)@17",
                    "torch:cpu:exponential_(20)@17", "torch:cpu:multinomial(ones(10),5)@17",
                    "torch:cpu:multinomial(ones(10),1,replacement=True)@17",
                    "torch:cpu:Categorical_sample(ones(10),())@17"):
        assert _label(case_id, _env()) != _label(case_id, _env(torch_mkl=False)), case_id
        assert _label(case_id, _env(torch="2.7.1")) == \
            _label(case_id, _env(torch="2.7.1", torch_mkl=False)), case_id
    for case_id in ("torch.compile[aot_eager]:cpu:dropout(ones(64),0.5)@17",
                    "torch.compile[inductor,fallback_random]:cpu:exponential_(20)@17",
                    "torch.Generator:cpu:WeightedRandomSampler(arange(1000),100,"
                    "replacement=False)@17"):
        assert _label(case_id, _env()) != _label(case_id, _env(torch_mkl=False)), case_id
    for case_id in ("torch:cpu:multinomial(ones(10),20,replacement=True)@17",
                    "torch.compile[inductor]:cpu:dropout(ones(64),0.5)@17",  # its own kernels
                    "torch.Generator:cpu:WeightedRandomSampler([0.1,0.2,0.3,0.4],5)@17",
                    "torch:cpu:Categorical_sample(ones(10),(5,))@17",
                    "torch.Generator:cpu:bernoulli(full((20,),0.3))@17"):  # a tensor of p
        assert _label(case_id, _env()) == _label(case_id, _env(torch_mkl=False)), case_id


def test_multivariate_normal_is_labelled_by_numpy_s_blas_and_nothing_else_is():
    """NumPy's multivariate_normal (LAPACK) carries the BLAS; its other calls do not."""
    other = _env(blas="openblas-0.3.31-Zen")
    for backend in ("numpy.random", "numpy.RandomState", "numpy.default_rng"):
        mvn = f"{backend}:multivariate_normal([0.0,0.0],[[1.0,0.5],[0.5,1.0]],5)@17"
        assert _label(mvn, _env()) != _label(mvn, other)
        assert _label(f"{backend}:normal(0.0,1.0,5)@17", _env()) == \
            _label(f"{backend}:normal(0.0,1.0,5)@17", other)


def test_every_row_matches_a_catalog_case_and_names_its_source():
    """No row is stale: each matches some catalog case, in a release it names."""
    from rngsuite.core.catalog import load_catalog

    cases = load_catalog()
    for row in conditions.rows():
        assert row.source.startswith("https://"), row.where_in_file
        assert any(row.matches(c) for c in cases), f"{row.where_in_file} matches no case"


def test_a_bad_row_is_refused_naming_the_file_and_the_row(tmp_path):
    """A field conditions cannot add, or an unknown argument test, is one line of bad input."""
    path = tmp_path / "conditions.toml"
    path.write_text('[[condition]]\nfield = "colour"\nbackends = ["torch:cpu"]\n'
                    'calls = ["rand"]\nsource = "https://example.org"\n')
    with pytest.raises(CatalogError, match=r"conditions.toml \[\[condition\]\] #1: field 'colour'"):
        conditions.load(path)
    path.write_text('[[condition]]\nfield = "blas"\nbackends = ["numpy.*"]\ncalls = ["normal"]\n'
                    'where = "on tuesdays"\nsource = "https://example.org"\n')
    with pytest.raises(CatalogError, match=r"#1: where 'on tuesdays'"):
        conditions.load(path)


def test_doctor_accepts_labels_with_a_condition_s_field():
    """A label made of the backend's fields and a condition's is a label doctor accepts."""
    b = BACKENDS["torch:cpu"]
    env = _env()
    accepted = {prov.label(env, keys) for keys in conditions.possible_keys(b)}
    assert prov.label(env, b.provenance_keys()) in accepted
    assert prov.label(env, (*b.provenance_keys(), "torch_mkl", "cpu_vendor")) in accepted
    assert prov.label(env, (*b.provenance_keys(), "blas")) not in accepted  # NumPy's only


def test_provenance_says_emulated_where_cpuinfo_is_the_host_s(monkeypatch):
    """Under QEMU user mode /proc/cpuinfo is the x86 host's (QEMU 7) or QEMU's own (implementer
    0x00, QEMU 8 on): the record says the CPU was emulated."""
    monkeypatch.setattr(prov.platform, "machine", lambda: "aarch64")
    monkeypatch.setattr(prov, "_cpuinfo", lambda: {"vendor_id": "AuthenticAMD",
                                                   "model name": "AMD EPYC"})
    assert prov.emulated() and prov.cpu_vendor() == "emulated"
    monkeypatch.setattr(prov, "_cpuinfo", lambda: {"CPU implementer": "0x00"})  # QEMU 8 on
    assert prov.emulated() and prov.cpu_vendor() == "emulated"
    monkeypatch.setattr(prov, "_cpuinfo", lambda: {"CPU implementer": "0x41"})
    assert not prov.emulated() and prov.cpu_vendor() == "ARM"


def test_the_emulated_command_chooses_the_cpu_and_the_sysroot(tmp_path, monkeypatch):
    """emulate runs this rngsuite under qemu-aarch64 with the plan's CPU, sysroot and wheels."""
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "avx2")  # the host's choice must not leak in
    plan = emulate.Plan(tmp_path, "2.4", "2.7", "sve256")
    argv, env = emulate.command(plan, ["verify"])
    assert argv[0].endswith("qemu-aarch64") and argv[-3:] == ["-m", "rngsuite", "verify"]
    assert env["QEMU_CPU"] == "max,sve-default-vector-length=32"
    assert env["QEMU_LD_PREFIX"] == str(tmp_path / "sysroot")
    assert env["PYTHONPATH"] == str(tmp_path / "site" / "numpy-2.4-torch-2.7")
    assert "ATEN_CPU_CAPABILITY" not in env
    assert dataclasses.replace(plan, torch=None).site.name == "numpy-2.4-torch-none"
    assert not any(r.split("=")[0].split(">")[0].strip() in ("numpy", "torch")
                   for r in emulate.requirements())


def test_emulate_refuses_a_bad_release_or_cpu_in_one_line(tmp_path):
    """A release that is not one, or a CPU it cannot emulate, exits 2 before anything is built."""
    from rngsuite.cli import main

    assert main(["emulate", "--numpy", "two", "--cache", str(tmp_path), "--", "list"]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["emulate", "--numpy", "2.4", "--cpu", "x86", "--cache", str(tmp_path)])
    assert exc.value.code == 2
    assert not (tmp_path / "site").exists()


def test_a_long_draw_is_labelled_by_its_call_s_conditions():
    """A long draw of a call a conditions.toml row is about (Wishart: torch's BLAS, the CPU
    vendor) carries those fields in its label, as the call's catalog cases do; a bare deep
    stream carries none."""
    from rngsuite.core.catalog import parse_deep_id

    env = {"torch": "2.13.0+cpu", "torch_mkl": True}
    long = parse_deep_id("torch:cpu:Wishart_sample(3.0,eye(2),({n},))(10**6)@17")
    assert set(conditions.extra_fields(long, env)) == {"torch_blas", "cpu_vendor"}
    assert conditions.extra_fields(parse_deep_id("torch:cpu:rand(10**6)@17"), env) == ()
