"""A user's value as the ledger stores it: named arrays.

People check what *their* code draws -- a batch, a model's ``state_dict``, a mask, a list of
augmentation parameters, the rows ``DataFrame.sample`` picked -- so a value is an array, a
tensor, a number, bytes, a pandas Series or DataFrame (its index and columns), or a dict, list
or tuple of them, nested. :func:`flatten` turns it into leaves, each a name (the path from the top:
``['fc.weight']``, ``[0][1]``) and a NumPy array of a dtype the ledger knows, in an order that
does not depend on how a dict was built (keys sorted). Anything else -- an object array, a
string, a generator, ``None`` -- is refused with the path of the first such leaf, so nothing half
of a value is ever recorded.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rngsuite.core.compare import DTYPES, np_dtype

#: What a value may be made of, said in every refusal.
ACCEPTED = ("arrays, tensors, numbers, bytes, pandas Series/DataFrames, and dicts, lists or "
            "tuples of them (a batch, a state_dict)")


class NotStorable(ValueError):
    """A value (or part of one) the ledger cannot store: the message names its path."""


def _is_tensor(x: Any) -> bool:
    # Duck-typed, so that this layer never imports torch: a torch.Tensor has these three.
    return type(x).__module__.startswith("torch") and hasattr(x, "detach") and hasattr(x, "dtype")


def tensor_array(t: Any) -> np.ndarray:
    """A torch tensor's values on the CPU, as NumPy holds them (bfloat16 as ml_dtypes'
    bfloat16: the same 16 bits)."""
    t = t.detach().cpu()
    if str(t.dtype) == "torch.bfloat16":
        import torch

        return t.view(torch.int16).numpy().view(np_dtype("bfloat16"))
    if t.is_conj():
        t = t.resolve_conj()
    return t.numpy()


def _leaf(x: Any, path: str) -> np.ndarray:
    if _is_tensor(x):
        try:
            a = tensor_array(x)
        except (TypeError, RuntimeError) as exc:
            raise NotStorable(f"{path or 'the value'} is a {x.dtype} tensor that NumPy cannot "
                              f"hold ({str(exc).splitlines()[0]})") from None
    elif isinstance(x, (bool, int, float, complex, np.generic, list)):
        try:
            a = np.asarray(x)
        except OverflowError:
            a = np.asarray(x, dtype=object)
    elif isinstance(x, np.ndarray):
        a = x
    else:
        raise NotStorable(f"{path or 'the value'} is {_kind(x)}; rngsuite stores {ACCEPTED}")
    if a.dtype.name not in DTYPES:
        raise NotStorable(f"{path or 'the value'} is an array of dtype {a.dtype}; rngsuite "
                          f"stores the dtypes {', '.join(DTYPES)}")
    # (np.ascontiguousarray would make a 0-d array 1-d.)
    return a if a.flags.c_contiguous else a.copy(order="C")


def _kind(x: Any) -> str:
    if x is None:
        return "None"
    module, name = type(x).__module__, type(x).__name__
    return f"a {name}" if module == "builtins" else f"a {module}.{name}"


def _numbers(items: Any) -> bool:
    return bool(items) and all(isinstance(v, (bool, int, float)) for v in items) \
        and len({type(v) for v in items}) == 1


def flatten(value: Any) -> list[tuple[str, np.ndarray]]:
    """The value's leaves, ``(path, array)``, in a fixed order; :class:`NotStorable` naming the
    first leaf that is not numbers. A list or tuple of plain numbers of one type is one array
    (what ``[random.random() for _ in range(5)]`` draws)."""
    out: list[tuple[str, np.ndarray]] = []

    def walk(x: Any, path: str, depth: int) -> None:
        if depth > 64:
            raise NotStorable(f"{path} is nested more than 64 deep (a cycle?)")
        if isinstance(x, (bytes, bytearray)):  # random.randbytes, os.urandom-like draws
            out.append((path, np.frombuffer(bytes(x), dtype=np.uint8).copy()))
            return
        if type(x).__module__.startswith("pandas") and hasattr(x, "to_numpy"):
            # A Series or DataFrame (what DataFrame.sample returns): its index -- which rows
            # were drawn -- and its values, column by column.
            parts = {"index": x.index.to_numpy()}
            if hasattr(x, "columns"):
                parts.update({f"column {c!r}": x[c].to_numpy() for c in x.columns})
            else:
                parts["values"] = x.to_numpy()
            for k, v in parts.items():
                walk(v, f"{path}.{k}" if " " not in k else f"{path}[{k}]", depth + 1)
            return
        if isinstance(x, dict):
            if not x:
                raise NotStorable(f"{path or 'the value'} is an empty dict: nothing to check")
            keys = sorted(x, key=repr)
            for k in keys:
                walk(x[k], f"{path}[{k!r}]", depth + 1)
        elif isinstance(x, (list, tuple)):
            if _numbers(x):
                out.append((path, _leaf(list(x), path)))
            elif not x:
                raise NotStorable(f"{path or 'the value'} is an empty {type(x).__name__}: "
                                  "nothing to check")
            else:
                for i, v in enumerate(x):
                    walk(v, f"{path}[{i}]", depth + 1)
        else:
            out.append((path, _leaf(x, path)))

    walk(value, "", 0)
    return out
