"""Learning-rate schedules of ST's model zoo, as Keras 3 callbacks.

Each class sets the optimizer's learning rate at the start of every epoch from a
function of the epoch index (0-based, as Keras passes it); "steps" are epochs.
Names, argument names, defaults and formulas follow ST's
``lr_schedulers_README.md``, including its off-by-one conventions (for example
``LRLinearDecay`` starts decaying after ``hold_steps - 1`` epochs while
``LRCosineDecay`` holds for ``hold_steps`` epochs), so that an ST configuration
gives the same curve here. In a config file they go under ``training.callbacks``::

    callbacks:
      LRWarmupCosineDecay: {initial_lr: 1.0e-5, warmup_steps: 10, max_lr: 0.01,
                            hold_steps: 20, decay_steps: 150, end_lr: 1.0e-5}

Argument errors raise :class:`ConfigError` naming ``training.callbacks.<Name>.<arg>``.
"""
from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from training.errors import ConfigError

WHERE = "training.callbacks"


def _is_number(value) -> bool:
    return (isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
            and math.isfinite(value))


def _is_whole(value) -> bool:
    return _is_number(value) and float(value).is_integer()


@dataclass(frozen=True)
class _Rule:
    """What one argument accepts: a description for messages, a test, a conversion."""

    expected: str
    accepts: Callable[[object], bool]
    convert: Callable = float


LEARNING_RATE = _Rule("a learning rate, a number >= 0", lambda v: _is_number(v) and v >= 0)
EPOCHS = _Rule("a whole number of epochs >= 0", lambda v: _is_whole(v) and v >= 0, int)
PERIOD = _Rule("a whole number of epochs >= 1", lambda v: _is_whole(v) and v >= 1, int)
EXP_RATE = _Rule("a decay rate, a number >= 0", lambda v: _is_number(v) and v >= 0)
FACTOR = _Rule("a factor, a number > 0 and <= 1", lambda v: _is_number(v) and 0 < v <= 1)
POWER = _Rule("a power, a number > 0", lambda v: _is_number(v) and v > 0)
PERIOD_MULTIPLIER = _Rule("a period multiplier, a number >= 1", lambda v: _is_number(v) and v >= 1)


class EpochLRSchedule(keras.callbacks.Callback):
    """Base class: ``schedule(epoch)`` gives the learning rate set at the start of ``epoch``."""

    def __init__(self, verbose=0):
        super().__init__()
        if not (isinstance(verbose, bool) or _is_whole(verbose)):
            self._fail("verbose", f"expected 0/1 or a boolean, got {verbose!r}")
        self.verbose = int(verbose)

    def schedule(self, epoch: int) -> float:
        raise NotImplementedError

    def _checked(self, arg: str, value, rule: _Rule):
        if value is None:
            self._fail(arg, f"missing; expected {rule.expected}")
        if not rule.accepts(value):
            self._fail(arg, f"expected {rule.expected}, got {value!r}")
        return rule.convert(value)

    def _fail(self, arg: str, problem: str):
        raise ConfigError(f"{WHERE}.{type(self).__name__}.{arg}: {problem}")

    def on_epoch_begin(self, epoch, logs=None):
        learning_rate = float(self.schedule(int(epoch)))
        try:
            self.model.optimizer.learning_rate = learning_rate
        except TypeError as exc:  # the optimizer was built with a LearningRateSchedule object
            raise ConfigError(f"{WHERE}.{type(self).__name__}: the optimizer's learning rate cannot be set "
                              f"({exc}); give the optimizer a plain number as learning_rate") from exc
        if self.verbose:
            print(f"\nEpoch {epoch + 1}: {type(self).__name__} sets the learning rate to {learning_rate:.4e}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:  # the History callback runs after this one and records it
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))


def _cosine(fraction: float) -> float:
    """1 at fraction 0, 0 at fraction 1, half a cosine period in between."""
    return 0.5 * (1.0 + math.cos(math.pi * fraction))


class LRLinearDecay(EpochLRSchedule):
    """Hold ``initial_lr``, then decay linearly to ``end_lr`` over ``decay_steps`` epochs."""

    def __init__(self, initial_lr=None, hold_steps=None, decay_steps=None, end_lr=None, verbose=0):
        super().__init__(verbose)
        self.initial_lr = self._checked("initial_lr", initial_lr, LEARNING_RATE)
        self.hold_steps = self._checked("hold_steps", hold_steps, EPOCHS)
        self.decay_steps = self._checked("decay_steps", decay_steps, PERIOD)
        self.end_lr = self._checked("end_lr", end_lr, LEARNING_RATE)

    def schedule(self, epoch):
        done = min(max(epoch - self.hold_steps + 1, 0), self.decay_steps) / self.decay_steps
        return self.initial_lr + (self.end_lr - self.initial_lr) * done


class LRExponentialDecay(EpochLRSchedule):
    """Hold ``initial_lr``, then ``initial_lr * exp(-decay_rate * k)``, never below ``min_lr``."""

    def __init__(self, initial_lr=None, hold_steps=None, decay_rate=None, min_lr=0.0, verbose=0):
        super().__init__(verbose)
        self.initial_lr = self._checked("initial_lr", initial_lr, LEARNING_RATE)
        self.hold_steps = self._checked("hold_steps", hold_steps, EPOCHS)
        self.decay_rate = self._checked("decay_rate", decay_rate, EXP_RATE)
        self.min_lr = self._checked("min_lr", min_lr, LEARNING_RATE)

    def schedule(self, epoch):
        k = max(epoch - self.hold_steps + 1, 0)
        return max(self.initial_lr * math.exp(-self.decay_rate * k), self.min_lr)


class LRStepDecay(EpochLRSchedule):
    """Staircase: ``initial_lr * decay_rate ** floor((epoch + 1) / step_size)``, never below ``min_lr``."""

    def __init__(self, initial_lr=None, step_size=None, decay_rate=None, min_lr=0.0, verbose=0):
        super().__init__(verbose)
        self.initial_lr = self._checked("initial_lr", initial_lr, LEARNING_RATE)
        self.step_size = self._checked("step_size", step_size, PERIOD)
        self.decay_rate = self._checked("decay_rate", decay_rate, FACTOR)
        self.min_lr = self._checked("min_lr", min_lr, LEARNING_RATE)

    def schedule(self, epoch):
        drops = (epoch + 1) // self.step_size
        return max(self.initial_lr * self.decay_rate ** drops, self.min_lr)


class LRCosineDecay(EpochLRSchedule):
    """Hold ``initial_lr`` for ``hold_steps`` epochs, cosine-decay to ``end_lr`` over ``decay_steps``, stay."""

    def __init__(self, initial_lr=None, hold_steps=None, decay_steps=None, end_lr=None, verbose=0):
        super().__init__(verbose)
        self.initial_lr = self._checked("initial_lr", initial_lr, LEARNING_RATE)
        self.hold_steps = self._checked("hold_steps", hold_steps, EPOCHS)
        self.decay_steps = self._checked("decay_steps", decay_steps, PERIOD)
        self.end_lr = self._checked("end_lr", end_lr, LEARNING_RATE)

    def schedule(self, epoch):
        if epoch < self.hold_steps:
            return self.initial_lr
        done = min(epoch - self.hold_steps + 1, self.decay_steps) / self.decay_steps
        return self.end_lr + (self.initial_lr - self.end_lr) * _cosine(done)


class LRWarmupCosineDecay(EpochLRSchedule):
    """Linear warmup ``initial_lr -> max_lr``, hold ``max_lr``, cosine-decay to ``end_lr``, stay."""

    def __init__(self, initial_lr=None, warmup_steps=None, max_lr=None, hold_steps=None, decay_steps=None,
                 end_lr=None, verbose=0):
        super().__init__(verbose)
        self.initial_lr = self._checked("initial_lr", initial_lr, LEARNING_RATE)
        self.warmup_steps = self._checked("warmup_steps", warmup_steps, EPOCHS)
        self.max_lr = self._checked("max_lr", max_lr, LEARNING_RATE)
        self.hold_steps = self._checked("hold_steps", hold_steps, EPOCHS)
        self.decay_steps = self._checked("decay_steps", decay_steps, PERIOD)
        self.end_lr = self._checked("end_lr", end_lr, LEARNING_RATE)

    def schedule(self, epoch):
        if epoch < self.warmup_steps - 1:
            return self.initial_lr + (self.max_lr - self.initial_lr) * epoch / self.warmup_steps
        if epoch < self.warmup_steps + self.hold_steps:
            return self.max_lr
        done = min(epoch - self.warmup_steps - self.hold_steps, self.decay_steps) / self.decay_steps
        return self.end_lr + (self.max_lr - self.end_lr) * _cosine(done)


class LRCosineDecayRestarts(EpochLRSchedule):
    """SGDR: cosine periods of ``first_decay_steps * t_mul**i`` epochs starting at ``initial_lr * m_mul**i``."""

    def __init__(self, initial_lr=None, first_decay_steps=None, end_lr=None, t_mul=2, m_mul=1.0, verbose=0):
        super().__init__(verbose)
        self.initial_lr = self._checked("initial_lr", initial_lr, LEARNING_RATE)
        self.first_decay_steps = self._checked("first_decay_steps", first_decay_steps, PERIOD)
        self.end_lr = self._checked("end_lr", end_lr, LEARNING_RATE)
        self.t_mul = self._checked("t_mul", t_mul, PERIOD_MULTIPLIER)
        self.m_mul = self._checked("m_mul", m_mul, FACTOR)

    def schedule(self, epoch):
        # walk the periods rather than invert the geometric sum with logs: exact at the boundaries
        start, length, restarts = 0.0, float(self.first_decay_steps), 0
        while epoch >= start + length:
            start, length, restarts = start + length, length * self.t_mul, restarts + 1
        peak = self.m_mul ** restarts * _cosine((epoch - start) / length)
        return self.end_lr + (self.initial_lr - self.end_lr) * peak


class LRPolynomialDecay(EpochLRSchedule):
    """Hold, then ``(initial_lr - end_lr) * (1 - p) ** power + end_lr`` with ``p`` going 0 -> 1."""

    def __init__(self, initial_lr=None, hold_steps=None, decay_steps=None, end_lr=None, power=0.5, verbose=0):
        super().__init__(verbose)
        self.initial_lr = self._checked("initial_lr", initial_lr, LEARNING_RATE)
        self.hold_steps = self._checked("hold_steps", hold_steps, EPOCHS)
        self.decay_steps = self._checked("decay_steps", decay_steps, PERIOD)
        self.end_lr = self._checked("end_lr", end_lr, LEARNING_RATE)
        self.power = self._checked("power", power, POWER)

    def schedule(self, epoch):
        done = min(max(epoch - self.hold_steps + 1, 0), self.decay_steps) / self.decay_steps
        return (self.initial_lr - self.end_lr) * (1.0 - done) ** self.power + self.end_lr


class LRPolynomialDecayRestarts(LRPolynomialDecay):
    """Like ``LRPolynomialDecay``, but the decay span grows by ``decay_steps`` each time it is reached."""

    def __init__(self, initial_lr=None, hold_steps=None, decay_steps=None, end_lr=None, power=0.7, verbose=0):
        super().__init__(initial_lr, hold_steps, decay_steps, end_lr, power, verbose)

    def schedule(self, epoch):
        k = max(epoch - self.hold_steps + 1, 0)
        done = k / (self.decay_steps * math.ceil(k / self.decay_steps)) if k > 0 else 0.0
        return (self.initial_lr - self.end_lr) * (1.0 - done) ** self.power + self.end_lr


class LRPiecewiseConstantDecay(EpochLRSchedule):
    """``values[i]`` from epoch ``boundaries[i-1]`` (0 for ``i = 0``) up to ``boundaries[i]`` excluded."""

    def __init__(self, boundaries=None, values=None, verbose=0):
        super().__init__(verbose)
        self.boundaries = self._list("boundaries", boundaries, EPOCHS)
        self.values = self._list("values", values, LEARNING_RATE)
        if any(b >= a for b, a in zip(self.boundaries, self.boundaries[1:])):
            self._fail("boundaries", f"expected strictly increasing epochs, got {boundaries!r}")
        if len(self.values) != len(self.boundaries) + 1:
            self._fail("values", f"expected {len(self.boundaries) + 1} learning rates (one more than "
                                 f"boundaries), got {len(self.values)}")

    def _list(self, arg, items, rule: _Rule) -> list:
        if items is None:
            self._fail(arg, f"missing; expected a list, each item {rule.expected}")
        if isinstance(items, (str, bytes, Mapping)) or not hasattr(items, "__iter__"):
            self._fail(arg, f"expected a list, each item {rule.expected}; got {items!r}")
        items = list(items)
        bad = [item for item in items if not rule.accepts(item)]
        if bad:
            self._fail(arg, f"expected each item to be {rule.expected}, got {bad[0]!r}")
        return [rule.convert(item) for item in items]

    def schedule(self, epoch):
        for boundary, value in zip(self.boundaries, self.values):
            if epoch < boundary:
                return value
        return self.values[-1]


LR_SCHEDULES: dict[str, type] = {cls.__name__: cls for cls in (
    LRLinearDecay, LRExponentialDecay, LRStepDecay, LRCosineDecay, LRWarmupCosineDecay,
    LRCosineDecayRestarts, LRPolynomialDecay, LRPolynomialDecayRestarts, LRPiecewiseConstantDecay)}


def make_lr_schedule(name: str, args: Mapping | None = None) -> EpochLRSchedule:
    """Build the schedule ``name`` from its config arguments; unknown names or arguments are ConfigErrors."""
    cls = LR_SCHEDULES.get(name)
    if cls is None:
        raise ConfigError(f"{WHERE}.{name}: not one of the learning-rate schedules {sorted(LR_SCHEDULES)}")
    if args is None:
        args = {}
    if not isinstance(args, Mapping):
        raise ConfigError(f"{WHERE}.{name}: expected a mapping of arguments, got {args!r}")
    accepted = list(inspect.signature(cls).parameters)
    unknown = sorted(set(args) - set(accepted))
    if unknown:
        raise ConfigError(f"{WHERE}.{name}.{unknown[0]}: unknown argument; {name} takes {accepted}")
    return cls(**args)


def lr_schedule_values(name: str, args: Mapping | None, epochs: int) -> list[float]:
    """The learning rate of each epoch 0 .. epochs-1, without training anything."""
    if not (_is_whole(epochs) and epochs >= 1):
        raise ConfigError(f"training.epochs: expected a whole number >= 1, got {epochs!r}")
    schedule = make_lr_schedule(name, args)
    return [float(schedule.schedule(epoch)) for epoch in range(int(epochs))]


def plot_lr_schedule(name: str, args: Mapping | None, epochs: int, path) -> Path:
    """Write a PNG of the schedule over ``epochs`` epochs (x axis: epoch number as Keras prints it)."""
    from matplotlib.figure import Figure  # no pyplot: no global state, Agg canvas on savefig

    values = lr_schedule_values(name, args, epochs)
    figure = Figure(figsize=(7, 4), layout="constrained")
    axes = figure.add_subplot()
    axes.plot(range(1, len(values) + 1), values, marker="." if len(values) <= 60 else None)
    axes.set_xlabel("epoch")
    axes.set_ylabel("learning rate")
    arguments = ", ".join(f"{key}={value}" for key, value in (args or {}).items())
    axes.set_title(f"{name}({arguments})", fontsize=9)
    axes.grid(True, alpha=0.3)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    return path
