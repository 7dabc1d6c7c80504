"""What the torch backends share: the call table, dtypes, devices and provenance."""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, ClassVar, Iterator

import numpy as np

from rngsuite.backends.base import Adapter, CallSpec
from rngsuite.core.catalog import Call, DType, Make
from rngsuite.core.compare import np_dtype
from rngsuite.core.provenance import NO_WORKERS_EMULATED, emulated, release_tuple


def torch_module() -> Any:
    import torch

    return torch


#: The thread torch.manual_seed runs on (see manual_seed).
_SEEDER: ThreadPoolExecutor | None = None


def manual_seed(seed: int) -> None:
    """``torch.manual_seed(seed)``, called on a helper thread whose stack is short.

    Without an initialized CUDA, torch.manual_seed queues CUDA's lazy seeding together with
    ``traceback.format_stack()`` of the caller's whole stack (torch/cuda/__init__.py,
    ``_lazy_call``), and under pytest and Hypothesis that stack is deep: ~4.7 ms a call against
    ~0.3 ms on a fresh thread, most of what a torch case costs. The call is the real
    ``torch.manual_seed`` (looked up at each call, so a patched one is what runs), and every
    state it sets is process-wide, so the thread seeds what the caller's thread would.
    """
    global _SEEDER
    if _SEEDER is None:
        _SEEDER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rngsuite-seed")
    _SEEDER.submit(torch_module().manual_seed, seed).result()


def _forget_seeder() -> None:
    # A forked child (a DataLoader worker) has no copy of the helper thread: it starts its own.
    global _SEEDER
    _SEEDER = None


os.register_at_fork(after_in_child=_forget_seeder)


def _gen(h: Any) -> dict[str, Any]:
    """``generator=`` for a torch.Generator stream; nothing for the global stream."""
    return {} if h is None or _is_module(h) else {"generator": h}


def _is_module(h: Any) -> bool:
    return getattr(h, "__name__", None) == "torch"


class _Factory:
    """A factory call (``torch.rand(5)``) made on the adapter's device."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, h: Any, *args: Any, device: str = "cpu", **kwargs: Any) -> Any:
        torch = torch_module()
        if any(isinstance(a, torch.Tensor) for a in args):
            # normal(mean_tensor, std): the tensors' device is the draw's; device= is refused.
            return getattr(torch, self.name)(*args, **kwargs, **_gen(h))
        return getattr(torch, self.name)(*args, device=device, **kwargs, **_gen(h))


class _FactoryTemplate(str):
    """The snippet of :class:`_Factory`: ``device=`` only when no argument is a tensor (a
    rendered tensor argument starts with ``torch.``)."""

    def __new__(cls, name: str) -> "_FactoryTemplate":
        return super().__new__(cls, f"torch.{name}({{args}}{{d}}{{g}})")

    def format(self, *args: Any, **fields: Any) -> str:
        if "torch." in str(fields.get("args", "")):
            fields = {**fields, "d": ""}
        return str.format(self, *args, **fields)

    def format_map(self, fields: Any) -> str:
        return self.format(**fields)


def _inplace(name: str):
    def fn(h: Any, *size: Any, device: str = "cpu", dtype: Any = None, **kwargs: Any) -> Any:
        t = torch_module().empty(*size, device=device, dtype=dtype)
        return getattr(t, name)(**kwargs, **_gen(h))
    return fn


def _strided(name: str):
    """An in-place sampler on a non-contiguous tensor: every other element of (n, 2)."""
    def fn(h: Any, n: int, *, device: str = "cpu", **kwargs: Any) -> Any:
        t = torch_module().empty(n, 2, device=device)[:, 0]
        return getattr(t, name)(**kwargs, **_gen(h))
    return fn


def _transposed(name: str):
    """An in-place sampler on a transposed tensor: ``torch.empty(*size).mT`` (the last two
    dimensions swapped: a view whose memory order is not its index order)."""
    def fn(h: Any, *size: int, device: str = "cpu", **kwargs: Any) -> Any:
        t = torch_module().empty(*size, device=device).mT
        return getattr(t, name)(**kwargs, **_gen(h))
    return fn


class _LayoutTemplate(str):
    """The snippet of :func:`_strided` and :func:`_transposed`: the sizes go to torch.empty, the
    keywords (``p=0.3``) to the sampler."""

    def __new__(cls, name: str, view: str) -> "_LayoutTemplate":
        self = super().__new__(cls, f"torch.empty({{pos}}{view}.{name}({{kw_g}})")
        return self

    def format(self, *args: Any, **fields: Any) -> str:
        kw_g = ", ".join(x for x in (fields.get("kw", ""), fields.get("g0", "")) if x)
        return str.format(self, *args, kw_g=kw_g, **fields)

    def format_map(self, fields: Any) -> str:
        return self.format(**fields)


#: In-place samplers also checked on non-contiguous tensors (``normal_strided(n)``: every other
#: element; ``normal_transposed(4,5)``: a transposed view): the values may depend on the memory
#: layout (pytorch#80202).
STRIDED = ("normal_", "uniform_", "exponential_", "cauchy_", "log_normal_", "random_",
           "geometric_", "bernoulli_")


def _on_input(name: str):
    def fn(h: Any, x: Any, *args: Any, device: str = "cpu", **kwargs: Any) -> Any:
        return getattr(torch_module(), name)(x, *args, **kwargs, **_gen(h))
    return fn


def _inplace_either(name: str):
    """An in-place Tensor sampler, on ``torch.empty(size, dtype=...)`` or on a tensor argument.

    ``normal_(1000,dtype=float64)`` fills a new empty tensor; ``random_(ones(5),0,10)`` calls
    ``torch.Tensor.random_(torch.ones(5), 0, 10)``: the tensor form carries the method's own
    arguments (``p``, ``from``/``to``, ``lambd``), which the size form has no room for.
    """
    on_size = _inplace(name)

    def fn(h: Any, *args: Any, device: str = "cpu", **kwargs: Any) -> Any:
        if args and isinstance(args[0], torch_module().Tensor):
            x, *rest = args
            return getattr(x, name)(*rest, **kwargs, **_gen(h))
        return on_size(h, *args, device=device, **kwargs)
    return fn


class _InplaceTemplate(str):
    """The snippet of :func:`_inplace_either`, in the form its first argument asks for.

    A rendered tensor argument starts with ``torch.`` (``TorchAdapter.render_make``); a size
    never does.
    """

    def __new__(cls, name: str) -> "_InplaceTemplate":
        self = super().__new__(cls, f"torch.empty({{pos}}{{empty_kw}}{{d}}).{name}({{method_kw}})")
        self.on_tensor = f"torch.Tensor.{name}({{args}}{{g}})"
        return self

    def format(self, *args: Any, **fields: Any) -> str:
        if str(fields.get("args", "")).startswith("torch."):
            return self.on_tensor.format(*args, **fields)
        # The size form: dtype= goes to torch.empty, the method's own keywords (p=) to it.
        kw = [k for k in str(fields.get("kw", "")).split(", ") if k]
        empty_kw = "".join(f", {k}" for k in kw if k.startswith("dtype="))
        method_kw = ", ".join([k for k in kw if not k.startswith("dtype=")]
                              + ([fields["g0"]] if fields.get("g0") else []))
        return str.format(self, *args, **fields, empty_kw=empty_kw, method_kw=method_kw)

    def format_map(self, fields: Any) -> str:
        return self.format(**fields)


def _init(name: str):
    """A ``torch.nn.init`` initializer, which fills its tensor argument in place."""
    def fn(h: Any, x: Any, *args: Any, device: str = "cpu", **kwargs: Any) -> Any:
        return getattr(torch_module().nn.init, name)(x, *args, **kwargs, **_gen(h))
    return fn


def _functional(name: str):
    """A ``torch.nn.functional`` sampler: no generator= argument, so the default generator."""
    def fn(h: Any, *args: Any, device: str = "cpu", **kwargs: Any) -> Any:
        return getattr(torch_module().nn.functional, name)(*args, **kwargs)
    return fn


def _native_dropout(h: Any, x: Any, p: float, train: bool, *, device: str = "cpu") -> Any:
    """``torch.native_dropout``: the op compiled graphs and some eager code call, which eager
    ``F.dropout`` does not reach on the CPU; its output (the pair's first element)."""
    return torch_module().native_dropout(x, p, train)[0]


def _fractional_max_pool(name: str):
    """``torch.nn.functional.fractional_max_pool2d/3d``: no generator= either. It places its pooling
    windows with ``torch.rand(N, C, 2 or 3)``; with ``return_indices=True`` the call gives the
    indices of the maxima (the second element of the pair) as its draw."""
    def fn(h: Any, *args: Any, device: str = "cpu", **kwargs: Any) -> Any:
        out = getattr(torch_module().nn.functional, name)(*args, **kwargs)
        return out[1] if isinstance(out, tuple) else out
    return fn


class _PoolTemplate(str):
    """The snippet of :func:`_fractional_max_pool`: ``[1]`` picks the indices when the call
    asks for them."""

    def __new__(cls, name: str) -> "_PoolTemplate":
        return super().__new__(cls, f"torch.nn.functional.{name}({{args}})")

    def format(self, *args: Any, **fields: Any) -> str:
        text = str.format(self, *args, **fields)
        return text + "[1]" if "return_indices=True" in str(fields.get("args", "")) else text

    def format_map(self, fields: Any) -> str:
        return self.format(**fields)


def _params(args: tuple, device: str) -> list:
    # Plain float parameters would make CPU tensors: put them on the adapter's device. Integers
    # stay integers: they are counts and sizes (Multinomial's total_count, LKJCholesky's dim).
    return [a if device == "cpu" or not isinstance(a, float) else
            torch_module().as_tensor(a, device=device) for a in args]


#: Parameters a release never returns from, refused instead of drawn (a hang is no verdict):
#: distribution -> (the releases, as a test on torch's version tuple; the test on its
#: parameters; why). torch < 2.2 runs VonMises' rejection loop in float32, which accepts nothing
#: below concentration 1e-5 (seen: torch 2.0.1 never returns VonMises(0.0, 1e-6).sample((5,)));
#: 2.2 samples in float64 and draws (its stream changed there: docs/findings.md).
NEVER_RETURNS = {
    "VonMises": (lambda torch: torch < (2, 2), lambda params: float(params[1]) < 1e-5,
                 "torch < 2.2 never returns VonMises samples below concentration 1e-5 "
                 "(its float32 rejection loop accepts nothing)"),
}


def _distribution(name: str):
    """``torch.distributions.<name>(*params).sample(shape)``; the last argument is the shape.

    Distributions take no generator=: they draw from the default generator of the parameters'
    device."""
    def fn(h: Any, *args: Any, device: str = "cpu") -> Any:
        *params, shape = args
        if name in NEVER_RETURNS:
            releases, parameters, why = NEVER_RETURNS[name]
            if releases(release_tuple(torch_module().__version__)) and parameters(params):
                raise RuntimeError(why)
        return getattr(torch_module().distributions, name)(*_params(params, device)).sample(shape)
    return fn


def _wishart(h: Any, *args: Any, device: str = "cpu") -> Any:
    # Wishart.rsample (torch 2.13) tests its first draw with support.check and no `~`, so it
    # takes the valid samples for singular ones: it always warns "Singular sample detected." and
    # draws the valid samples again (pytorch#122021). The draw is still a function of the seed;
    # the warning is silenced here, as every call would give it.
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Singular sample detected", UserWarning)
        return _distribution("Wishart")(h, *args, device=device)


def _wrapper(build: Callable[[Any, list], Any]):
    """A wrapper distribution over fixed inner distributions: ``build(D, params)`` makes it from
    the catalog's literal parameters (see WRAPPERS); the last argument is the shape."""
    def fn(h: Any, *args: Any, device: str = "cpu") -> Any:
        *params, shape = args
        return build(torch_module().distributions, _params(params, device)).sample(shape)
    return fn


def _dataloader_order(h: Any, n: int, *, device: str = "cpu") -> Any:
    # The order a shuffling DataLoader yields range(n) in: the loader draws a base seed, then its
    # RandomSampler draws the permutation, both from generator= (the default generator if None).
    # One batch of n: the sampler draws the same permutation whatever the batch size, and
    # 1,000 batches of one cost 20x the draw (each __next__ opens a profiler range).
    torch = torch_module()
    return torch.cat(list(torch.utils.data.DataLoader(range(n), shuffle=True, batch_size=n,
                                                      **_gen(h))))


def _dataloader_consumption(h: Any, n: int, *, device: str = "cpu") -> Any:
    # What one epoch of a shuffling DataLoader takes from its generator (the default one if
    # None): the base seed, the shared seed and the sampler's seed in torch 2.x. The next
    # four draws of that generator show it.
    torch = torch_module()
    list(torch.utils.data.DataLoader(range(n), shuffle=True, batch_size=n, **_gen(h)))
    return torch.rand(4, **_gen(h))


def _dataloader_epochs(h: Any, n: int, epochs: int, *, device: str = "cpu") -> Any:
    # The orders of consecutive epochs of one shuffling DataLoader: each epoch's own.
    torch = torch_module()
    loader = torch.utils.data.DataLoader(range(n), shuffle=True, batch_size=n, **_gen(h))
    return torch.stack([torch.cat(list(loader)) for _ in range(epochs)])


class WorkerSeeds:
    """A dataset whose item i says which DataLoader worker made it, that worker's torch seed,
    and the next value of its torch, NumPy (legacy) and Python ``random`` streams."""

    def __init__(self, items: int) -> None:
        self.items = items

    def __len__(self) -> int:
        return self.items

    def __getitem__(self, i: int) -> Any:
        import random

        torch = torch_module()
        info = torch.utils.data.get_worker_info()
        return torch.tensor([-1 if info is None else info.id, torch.initial_seed(),
                             torch.randint(0, 2**31, ()).item(), int(np.random.randint(2**31)),
                             random.getrandbits(31)])


def _dataloader_worker_seeds(h: Any, workers: int, *, device: str = "cpu") -> Any:
    # Each worker's streams: torch's seed is the loader's base seed + the worker id; NumPy's
    # and random's are seeded from both (torch/utils/data/_utils/worker.py, _generate_state).
    torch = torch_module()
    loader = torch.utils.data.DataLoader(WorkerSeeds(2 * workers), batch_size=None,
                                         num_workers=workers, **_gen(h))
    return torch.stack(list(loader))


def _random_split(h: Any, n: int, lengths: Any, *, device: str = "cpu") -> Any:
    # The indices of the first split of range(n); generator= defaults to the default generator.
    torch = torch_module()
    return torch.tensor(torch.utils.data.random_split(range(n), lengths, **_gen(h))[0].indices)


def _sampler(name: str):
    """A ``torch.utils.data`` sampler: the indices one pass over it yields, as a tensor.

    RandomSampler without generator= seeds a fresh generator from one draw of the default
    generator; SubsetRandomSampler and WeightedRandomSampler draw from the default generator
    directly."""
    def fn(h: Any, *args: Any, device: str = "cpu", **kwargs: Any) -> Any:
        torch = torch_module()
        return torch.tensor(list(getattr(torch.utils.data, name)(*args, **kwargs, **_gen(h))))
    return fn


def _vmap(name: str):
    """A sampler inside ``torch.func.vmap`` over a batch, with ``randomness=`` (``"different"``:
    each batch element its own draws; ``"same"``: one draw for all; ``"error"``: refused).
    ``vmap_rand(b, *size, randomness=...)`` maps ``torch.rand(*size)`` over ``torch.ones(b)``;
    ``vmap_dropout(x, p, randomness=...)`` maps dropout over the rows of ``x``."""
    def fn(h: Any, *args: Any, device: str = "cpu", randomness: str = "error") -> Any:
        torch = torch_module()
        if name == "jacfwd":
            # jacfwd pushes its tangents through vmap: the draws are vmap's (randomness=).
            (n,) = args
            return torch.func.jacfwd(lambda x: x * torch.rand(n, device=device),
                                     randomness=randomness)(torch.ones(n, device=device))
        if name == "dropout":
            x, p = args
            return torch.func.vmap(lambda row: torch.nn.functional.dropout(row, p),
                                   randomness=randomness)(x)
        b, *size = args
        return torch.func.vmap(lambda _: getattr(torch, name)(*size, device=device),
                               randomness=randomness)(torch.ones(b, device=device))
    return fn


def _two_ops(h: Any, n: int, *, device: str = "cpu") -> Any:
    """``torch.rand(n)`` then ``torch.randn(n)`` in one function, concatenated: compiled, the
    two ops are one graph whose scheduler may reorder them (pytorch#175156, #181136)."""
    torch = torch_module()
    return torch.cat([torch.rand(n, device=device), torch.randn(n, device=device)])


def _python_seeded(h: Any, seed: int, n: int, *, device: str = "cpu") -> Any:
    """``random.seed(seed)`` and n ``random.random()`` inside the function, as a tensor:
    compiled, the seeding must take effect on the first call too (pytorch#197101)."""
    import random

    random.seed(seed)
    return torch_module().tensor([random.random() for _ in range(n)], dtype=torch_module().float64)


#: Samplers checked inside ``torch.func.vmap`` (``vmap_rand``...): the default generator only.
VMAP = ("rand", "randn", "dropout")


#: In-place Tensor samplers: on a size (``normal_(1000,dtype=float64)``, a new empty tensor) or on
#: a tensor argument with the method's own arguments (``geometric_(ones(5),0.3)``).
TENSOR_INPLACE = ("normal_", "uniform_", "exponential_", "random_", "cauchy_", "log_normal_",
                  "geometric_", "bernoulli_")
#: ``torch.nn.init`` initializers, which take generator= in recent releases; call names get an
#: ``init_`` prefix (``init_normal_``), apart from the Tensor methods of the same name.
INIT = ("uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "xavier_normal_",
        "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_")
#: ``torch.nn.functional`` samplers without generator=: the default generator only.
FUNCTIONAL = ("dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
              "feature_alpha_dropout", "gumbel_softmax")
#: ``torch.nn.functional`` samplers without generator= whose draw is the indices they return.
FRACTIONAL_MAX_POOL = ("fractional_max_pool2d", "fractional_max_pool3d")
#: ``torch.distributions`` classes sampled with ``.sample(shape)``; call names ``<Name>_sample``.
DISTRIBUTIONS = ("Normal", "Uniform", "Bernoulli", "Categorical", "Exponential", "Gamma", "Beta",
                 "Poisson", "Dirichlet", "MultivariateNormal",
                 "Binomial", "Cauchy", "Chi2", "ContinuousBernoulli", "FisherSnedecor",
                 "GeneralizedPareto", "Geometric", "Gumbel", "HalfCauchy", "HalfNormal",
                 "InverseGamma", "Kumaraswamy", "LKJCholesky", "Laplace", "LogNormal",
                 "LogisticNormal", "LowRankMultivariateNormal", "Multinomial", "NegativeBinomial",
                 "OneHotCategorical", "OneHotCategoricalStraightThrough", "Pareto",
                 "RelaxedBernoulli", "RelaxedOneHotCategorical", "StudentT", "VonMises",
                 "Weibull")
#: Wrapper distributions take distributions, which a catalog row cannot write: each is built over
#: fixed inner distributions from literal parameters, the shape last, as
#: ``(build(torch.distributions, params), snippet of the distribution)``:
#:
#: * ``Independent_sample(loc, scale, shape)``: ``Independent(Normal(loc, scale), 1)``;
#: * ``MixtureSameFamily_sample(probs, loc, scale, shape)``:
#:   ``MixtureSameFamily(Categorical(probs), Normal(loc, scale))``;
#: * ``TransformedDistribution_sample(low, high, shape)``:
#:   ``TransformedDistribution(Uniform(low, high), [SigmoidTransform().inv])``, the logistic
#:   distribution of torch's documentation.
WRAPPERS = {
    "Independent": (
        lambda D, p: D.Independent(D.Normal(*p), 1),
        "*p, n = ({args},); torch.distributions.Independent(torch.distributions.Normal({p}), 1)"),
    "MixtureSameFamily": (
        lambda D, p: D.MixtureSameFamily(D.Categorical(p[0]), D.Normal(*p[1:])),
        "w, *p, n = ({args},); torch.distributions.MixtureSameFamily("
        "torch.distributions.Categorical(w), torch.distributions.Normal({p}))"),
    "TransformedDistribution": (
        lambda D, p: D.TransformedDistribution(D.Uniform(*p),
                                               [D.transforms.SigmoidTransform().inv]),
        "*p, n = ({args},); torch.distributions.TransformedDistribution("
        "torch.distributions.Uniform({p}), [torch.distributions.transforms.SigmoidTransform().inv])"),
}
#: ``torch.utils.data`` samplers, which take generator=; calls are the class names.
SAMPLERS = ("RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler")

TORCH_CALLS = {
    **{name: CallSpec(_Factory(name), _FactoryTemplate(name))
       for name in ("rand", "randn", "randint", "randperm", "normal")},
    **{name: CallSpec(_inplace_either(name), _InplaceTemplate(name)) for name in TENSOR_INPLACE},
    **{f"{name}strided": CallSpec(_strided(name), _LayoutTemplate(name, ", 2{d})[:, 0]"))
       for name in STRIDED},
    **{f"{name}transposed": CallSpec(_transposed(name), _LayoutTemplate(name, "{d}).mT"))
       for name in STRIDED},
    **{name: CallSpec(_on_input(name), f"torch.{name}({{args}}{{g}})")
       for name in ("bernoulli", "multinomial", "poisson", "binomial", "rand_like", "randn_like",
                    "randint_like", "rrelu", "rrelu_")},
    **{f"init_{name}": CallSpec(_init(name), f"torch.nn.init.{name}({{args}}{{g}})")
       for name in INIT},
    **{name: CallSpec(_functional(name), f"torch.nn.functional.{name}({{args}})")
       for name in FUNCTIONAL},
    **{name: CallSpec(_fractional_max_pool(name), _PoolTemplate(name))
       for name in FRACTIONAL_MAX_POOL},
    "native_dropout": CallSpec(_native_dropout, "torch.native_dropout({args})[0]"),
    **{f"{name}_sample": CallSpec(_distribution(name), f"*p, n = ({{args}},); "
                                  f"torch.distributions.{name}({{p}}).sample(n)")
       for name in DISTRIBUTIONS},
    "Wishart_sample": CallSpec(_wishart, "*p, n = ({args},); "
                                         "torch.distributions.Wishart({p}).sample(n)"),
    **{f"{name}_sample": CallSpec(_wrapper(build), f"{text}.sample(n)")
       for name, (build, text) in WRAPPERS.items()},
    **{name: CallSpec(_sampler(name),
                      f"torch.tensor(list(torch.utils.data.{name}({{args}}{{g}})))")
       for name in SAMPLERS},
    "dataloader_order": CallSpec(
        _dataloader_order,
        "n = {args}; torch.cat(list(torch.utils.data.DataLoader(range(n), shuffle=True, "
        "batch_size=n{g})))"),
    "dataloader_consumption": CallSpec(
        _dataloader_consumption,
        "n = {args}; list(torch.utils.data.DataLoader(range(n), shuffle=True, batch_size=n{g})); "
        "torch.rand(4{g})"),
    "dataloader_epochs": CallSpec(
        _dataloader_epochs,
        "n, e = {args}; "
        "dl = torch.utils.data.DataLoader(range(n), shuffle=True, batch_size=n{g}); "
        "torch.stack([torch.cat(list(dl)) for _ in range(e)])"),
    "dataloader_worker_seeds": CallSpec(
        _dataloader_worker_seeds,
        "D = type('D', (torch.utils.data.Dataset,), {{'__len__': lambda s: 2 * {args}, "
        "'__getitem__': lambda s, i: torch.tensor([torch.utils.data.get_worker_info().id, "
        "torch.initial_seed(), torch.randint(0, 2**31, ()).item(), "
        "int(__import__('numpy').random.randint(2**31)), "
        "__import__('random').getrandbits(31)])}}); torch.stack(list("
        "torch.utils.data.DataLoader(D(), batch_size=None, num_workers={args}{g})))"),
    "vmap_rand": CallSpec(_vmap("rand"), "b, *size = {pos}; torch.func.vmap(lambda _: "
                                         "torch.rand(*size{d}), {kw})(torch.ones(b{d}))"),
    "vmap_randn": CallSpec(_vmap("randn"), "b, *size = {pos}; torch.func.vmap(lambda _: "
                                           "torch.randn(*size{d}), {kw})(torch.ones(b{d}))"),
    "jacfwd_rand": CallSpec(_vmap("jacfwd"), "n = {pos}; torch.func.jacfwd(lambda x: x * "
                                             "torch.rand(n{d}), {kw})(torch.ones(n{d}))"),
    "vmap_dropout": CallSpec(_vmap("dropout"), "x, p = {pos}; torch.func.vmap(lambda row: "
                                               "torch.nn.functional.dropout(row, p), {kw})(x)"),
    "rand_then_randn": CallSpec(_two_ops, "n = {args}; torch.cat([torch.rand(n{d}), "
                                          "torch.randn(n{d})])"),
    "python_seeded": CallSpec(_python_seeded, "import random; s, n = {args}; random.seed(s); "
                                              "torch.tensor([random.random() for _ in range(n)], "
                                              "dtype=torch.float64)"),
    "random_split": CallSpec(
        _random_split,
        "n, lengths = {args}; torch.tensor(torch.utils.data.random_split(range(n), lengths{g})[0]"
        ".indices)"),
}
#: The public torch object each call makes, for finding out whether the installed release has it
#: (``TorchAdapter.absent``).
#: Calls that start DataLoader worker processes.
WORKER_CALLS = frozenset({"dataloader_worker_seeds"})

TARGETS = {
    **{name: f"torch.{name}" for name in ("rand", "randn", "randint", "randperm", "normal",
                                           "bernoulli", "multinomial", "poisson", "binomial",
                                           "rand_like", "randn_like", "randint_like", "rrelu",
                                           "rrelu_")},
    **{name: f"torch.Tensor.{name}" for name in TENSOR_INPLACE},
    **{f"{name}strided": f"torch.Tensor.{name}" for name in STRIDED},
    **{f"{name}transposed": f"torch.Tensor.{name}" for name in STRIDED},
    **{f"init_{name}": f"torch.nn.init.{name}" for name in INIT},
    **{name: f"torch.nn.functional.{name}" for name in (*FUNCTIONAL, *FRACTIONAL_MAX_POOL)},
    "native_dropout": "torch.native_dropout",
    **{f"{name}_sample": f"torch.distributions.{name}"
       for name in (*DISTRIBUTIONS, "Wishart", *WRAPPERS)},
    **{name: f"torch.utils.data.{name}" for name in SAMPLERS},
    "dataloader_order": "torch.utils.data.DataLoader",
    "dataloader_consumption": "torch.utils.data.DataLoader",
    "dataloader_epochs": "torch.utils.data.DataLoader",
    "dataloader_worker_seeds": "torch.utils.data.DataLoader",
    "random_split": "torch.utils.data.random_split",
    **{f"vmap_{name}": "torch.func.vmap" for name in VMAP},
    "jacfwd_rand": "torch.func.jacfwd",
    "rand_then_randn": "torch.randn",
    "python_seeded": "torch.tensor",
}
assert TARGETS.keys() == TORCH_CALLS.keys()


def _resolve(path: str) -> Any:
    """The object a dotted ``torch.`` path names in the installed torch, or None."""
    obj = torch_module()
    for part in path.split(".")[1:]:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _takes_generator(path: str, obj: Any) -> bool:
    """Whether the callable accepts ``generator=``: by its signature for Python functions and
    classes (``**kwargs`` may take it: a wrapper is given the benefit of the doubt); for ATen's
    builtins (which have none), by the operator's schemas."""
    import inspect

    try:
        params = inspect.signature(obj).parameters
        return "generator" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
    except (TypeError, ValueError):
        schemas = torch_module()._C._jit_get_schemas_for_operator(f"aten::{path.rsplit('.', 1)[1]}")
        return any(a.name == "generator" for s in schemas for a in s.arguments)


#: Calls without generator=: they exist on the default generator (``torch:<device>``) only.
NO_GENERATOR = (frozenset(FUNCTIONAL) | frozenset(FRACTIONAL_MAX_POOL)
                | {f"vmap_{name}" for name in VMAP} | {"jacfwd_rand", "python_seeded"}
                | {"rand_then_randn", "native_dropout"}
                | {f"{name}_sample" for name in (*DISTRIBUTIONS, "Wishart", *WRAPPERS)})
#: Calls that take generator= but also draw from the default generator, so that their values
#: are not a function of the generator's seed: nn.init.sparse_ draws its values from generator=
#: and the zeroed rows from torch.randperm(rows) without it (torch 2.13, torch/nn/init.py).
GENERATOR_LEAKS = frozenset({"init_sparse_"})


class TorchAdapter(Adapter):
    """Base for the torch backends; the device is a parameter, never assumed."""

    library = "torch"
    imports: ClassVar[str] = "import torch"
    # manual_seed takes [-2**63, 2**64 - 1]; negative seeds wrap to 2**64 + s.
    seed_range = (0, 2**64 - 1)
    #: Whether calls get ``generator=`` (a torch.Generator stream) or draw from the default one.
    passes_generator: ClassVar[bool] = False

    def __init__(self, device: str = "cpu") -> None:
        self.device = device

    def unavailable(self) -> str | None:
        if importlib.util.find_spec("torch") is None:
            return "torch is not installed"
        torch = torch_module()
        kind = self.device.split(":")[0]
        if kind == "cuda" and not torch.cuda.is_available():
            return "no CUDA device (torch.cuda.is_available() is False)"
        if kind == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
            return "no MPS device (torch.backends.mps.is_available() is False)"
        return None

    def absent(self, call: Call) -> str | None:
        """The installed release lacks the call's function or class (it is newer: a distribution,
        an initializer), or, where this backend passes ``generator=``, that argument."""
        reason = super().absent(call)
        if reason is None:
            reason = self._absent(call.name)
        if reason is None and call.name in WORKER_CALLS and emulated():
            reason = f"{call.name}: {NO_WORKERS_EMULATED}"
        return reason

    @functools.lru_cache(maxsize=None)
    def _absent(self, name: str) -> str | None:
        path, release = TARGETS[name], torch_module().__version__
        obj = _resolve(path)
        if obj is None:
            return f"no {path} in torch {release}"
        if self.passes_generator and not _takes_generator(path, obj):
            return f"{path} takes no generator= in torch {release}"
        return None

    def provenance_keys(self) -> tuple[str, ...]:
        if self.device == "cpu":
            # float32 randn and friends differ between ATen's CPU kernels (pytorch#155552).
            return ("torch", "torch_cpu_capability", "system", "machine")
        # CUDA streams follow the GPU model and its multiprocessor count (pytorch#143086).
        return ("torch", "gpu", "gpu_sms", "system", "machine")

    def environment_variables(self) -> dict[str, str]:
        # ATen picks its CPU kernels (and so float32 normal values) by this variable.
        value = os.environ.get("ATEN_CPU_CAPABILITY")
        return {"ATEN_CPU_CAPABILITY": value} if value and self.device == "cpu" else {}

    def call_context(self) -> dict[str, Any]:
        return {"device": self.device}

    @contextlib.contextmanager
    def threads(self, n: int) -> Iterator[None]:
        """torch's intra-op threads (``torch.set_num_threads``: any number, above the cores
        too), and every other thread pool (threadpoolctl), for the block; restored after."""
        torch = torch_module()
        before = torch.get_num_threads()
        torch.set_num_threads(n)
        try:
            with super().threads(n):
                yield
        finally:
            torch.set_num_threads(before)

    # torch.distributions samplers take their sample shape last (<Name>_sample(*p, shape)),
    # and a sample adds the distribution's own dimensions: the shape asked for is that argument.
    def size_index(self, name: str) -> int | None:
        """The position of a call's sample shape: the last argument of a distribution's."""
        return -1 if name.endswith("_sample") else None

    def requested_shape(self, call: Call, draw: np.ndarray) -> tuple[int, ...] | None:
        if self.size_index(call.name) is not None and call.args \
                and isinstance(call.args[-1], tuple):
            return tuple(call.args[-1])
        return super().requested_shape(call, draw)

    def with_size(self, call: Call, size: Any) -> Call | None:
        if self.size_index(call.name) is None or not call.args \
                or not isinstance(call.args[-1], tuple) or not isinstance(size, tuple):
            return None  # a sample shape is a tuple: no scalar path, no varargs
        return Call(call.name, call.args[:-1] + (size,), call.kwargs, call.repeat, call.stream)

    def make(self, maker: Make) -> Any:
        args = [self._value(a) for a in maker.args]
        kwargs = {k: self._value(v) for k, v in maker.kwargs}
        return getattr(torch_module(), maker.name)(*args, device=self.device, **kwargs)

    def dtype(self, dtype: DType) -> Any:
        return getattr(torch_module(), dtype.name)

    def render_make(self, maker: Make) -> str:
        args = ", ".join([self._text(a) for a in maker.args]
                         + [f"{k}={self._text(v)}" for k, v in maker.kwargs])
        dev = "" if self.device == "cpu" else f", device={self.device!r}"
        return f"torch.{maker.name}({args}{dev})"

    def render_dtype(self, dtype: DType) -> str:
        return f"torch.{dtype.name}"

    def template_fields(self, handle: str) -> dict[str, str]:
        gen = handle != "torch"
        return {"g": f", generator={handle}" if gen else "", "g0": f"generator={handle}" if gen else "",
                "d": "" if self.device == "cpu" else f", device={self.device!r}",
                # distribution parameters (see _distribution)
                "p": "*p" if self.device == "cpu" else
                     f"*(torch.as_tensor(x, device={self.device!r}) if isinstance(x, float) "
                     f"else x for x in p)"}

    def to_numpy(self, value: Any) -> np.ndarray:
        value = value.detach().cpu()
        if value.dtype == torch_module().bfloat16:
            # NumPy has no bfloat16: the same 16 bits, as ml_dtypes' bfloat16.
            return value.view(torch_module().int16).numpy().view(np_dtype("bfloat16"))
        return value.numpy()

    def canonical_state(self, state: Any) -> Any:
        return state.cpu().numpy().tobytes()
