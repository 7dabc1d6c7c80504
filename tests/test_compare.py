"""Tests for the comparator: exact first, then ULP distance and a class."""

import numpy as np
import pytest

from rngsuite.core.compare import compare, digest, np_dtype, storable, to_json_values


def _one_ulp_up(a, i):
    b = a.copy()
    b[i] = np.nextafter(b[i], np.inf)
    return b


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_one_ulp_is_caught_and_classified(dtype):
    """A single element moved by one ULP is found, located and classed 'within N ULP'."""
    a = np.random.default_rng(0).random(100).astype(dtype)
    result = compare(a, _one_ulp_up(a, 37))
    assert not result.identical
    assert result.kind == "within-ulp"
    assert (result.n_diff, result.index, result.max_ulp, result.ulp_at_index) == (1, (37,), 1, 1)
    assert result.expected == a[37] and result.actual == np.nextafter(a[37], np.inf)
    assert "1 of 100 elements differ, max 1 ULP; first at index 37" in result.describe()


def test_far_values_are_different():
    """A value from another stream is classed 'different', with its ULP distance."""
    a = np.array([0.25, 0.5, 0.75])
    result = compare(a, np.array([0.25, 0.6, 0.75]))
    assert result.kind == "different" and result.index == (1,) and result.max_ulp > 8


def test_threshold_is_an_option():
    """The ULP threshold between 'within' and 'different' is the caller's."""
    a = np.float32([1.0])
    b = np.float32([1.0]) + 3 * np.finfo(np.float32).eps
    assert compare(a, b, ulp=2).kind == "different"
    assert compare(a, b, ulp=3).kind == "within-ulp"


def test_identical_is_bitwise():
    """Identical means the same bits: -0.0 against 0.0 is a difference."""
    assert compare(np.array([1.0, 2.0]), np.array([1.0, 2.0])).identical
    assert not compare(np.array([0.0]), np.array([-0.0])).identical


@pytest.mark.parametrize(("a", "b", "kind"), [
    (np.zeros(5, np.float32), np.zeros(5, np.float64), "dtype"),
    (np.zeros(5, np.int32), np.zeros(5, np.int64), "dtype"),
    (np.zeros(6), np.zeros((2, 3)), "shape"),
    (np.zeros(5), np.zeros(4), "shape"),
])
def test_dtype_and_shape_changes_are_caught(a, b, kind):
    """Same values under another dtype or shape are not conforming."""
    result = compare(a, b)
    assert result.kind == kind and not result.identical
    assert "recorded" in result.describe()


def test_integers_differ_without_ulp():
    """Integer draws are equal or different; ULP does not apply."""
    result = compare(np.arange(10), np.arange(10)[::-1].copy())
    assert result.kind == "different" and result.max_ulp is None and result.index == (0,)


def test_multidimensional_index():
    """The first difference of a 2-D draw is given as a full index."""
    a = np.zeros((3, 4))
    b = a.copy()
    b[2, 1] = 1.0
    assert compare(a, b).index == (2, 1)


def test_digest_is_of_little_endian_bytes():
    """The digest is the same whatever the array's byte order."""
    a = np.arange(10, dtype="<f8")
    assert digest(a) == digest(a.astype(">f8"))
    assert digest(a) != digest(a.astype("<f4"))
    assert digest(np.array([True, False])) == digest(np.array([1, 0], dtype=np.uint8))


def test_bfloat16_one_ulp_is_caught_and_classified():
    """bfloat16 (ml_dtypes' type) is compared by its bits; one step up is 1 ULP, far is not."""
    bf16 = np_dtype("bfloat16")
    a = np.float32([0.5, 1.0, -2.0, 3.0]).astype(bf16)
    bits = a.view(np.uint16).copy()
    bits[2] += 1  # -2.0 one step further from zero: sign-magnitude, so +1 on the pattern
    result = compare(a, bits.view(bf16))
    assert (result.kind, result.index, result.max_ulp) == ("within-ulp", (2,), 1)
    far = compare(a, np.float32([0.5, 1.0, -2.0, 3.5]).astype(bf16))
    assert far.kind == "different" and far.index == (3,) and far.max_ulp == 32
    assert not compare(np.float32([0.0]).astype(bf16), np.float32([-0.0]).astype(bf16)).identical


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_complex_differences_are_found_in_either_part(dtype):
    """A complex draw differs when its real or its imaginary part does; ULP of the worse part."""
    rng = np.random.default_rng(1)
    a = (rng.random(8) + 1j * rng.random(8)).astype(dtype)
    part = a.real.dtype.type
    b = a.copy()
    b[5] = complex(a[5].real, np.nextafter(part(a[5].imag), part(np.inf)))
    result = compare(a, b)
    assert (result.kind, result.n_diff, result.index, result.max_ulp) == ("within-ulp", 1, (5,), 1)
    c = a.copy()
    c[0] = complex(a[0].real + 0.25, a[0].imag)
    assert compare(a, c).kind == "different" and compare(a, c).index == (0,)
    assert compare(a, a.copy()).identical


def test_json_values_are_exact_for_every_float_kind():
    """complex values become [real, imaginary] pairs, bfloat16 its float value, both exact."""
    bf = np.float32([1.5, -0.0078125]).astype(np_dtype("bfloat16"))
    assert to_json_values(bf) == [1.5, -0.0078125]
    z = np.complex64([1 + 2j, -0.5j])
    assert to_json_values(z) == [[1.0, 2.0], [-0.0, -0.5]]
    assert storable(bf).dtype == np.uint16 and storable(z) is z
