"""Synthetic hand-posture sessions in exactly ST's ``.npz`` layout, for tests and demos.

The data are synthetic: a drawn shape per class on the 8x8 grid, not hands. A model
that learns them proves that the pipeline runs end to end (load, filter, split,
train, export, run on a board); its accuracy is never a measure of real accuracy.

What the generator mimics from the real dataset (facts.md section 1):
  * layout ``<out>/<Class>/log__<Class>__User<n>__<k>__VL53L8__handposture_api__8x8__<date>/npz/
    data_<Class>__User<n>__<k>__..._<date>_ends<HHMMSS.mmm>.npz``, keys and dtypes as ST's, labels
    per frame in ``glob_data`` (the ST dictionary id), POSIX timestamps, about 10 frames per second;
  * hand zones at 150-350 mm with status 5 (sometimes 9, a few dropouts), signal falling with distance;
  * background zones on a far wall (valid status, 1.8-3.4 m, weak signal) or with an invalid status and
    any distance, so that the status test and the background cut both matter;
  * per user: distance, hand size, reflectivity and position on the grid; per frame: noise and drift;
  * some frames with the hand too far or too near (the distance filter drops them) and, on request,
    frames with NaN (the loader drops them).

The same seed gives the same bytes (the zip entries carry a fixed date).
"""
from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from training.data.classes import ST_CLASS_IDS, ordered_classes, unknown_classes
from training.errors import ConfigError

DEFAULT_CLASSES = ["None", "FlatHand", "Like", "Love", "Dislike", "BreakTime", "CrossHands", "Fist"]
ZONE_HEAD = ("target_status", "valid", "signal_per_spad", "distance_mm")
GLOB_HEAD = (".GestureGT",)
FRAME_PERIOD_S = 0.1
FIRST_SESSION = datetime(2024, 1, 8, 9, 0, 0, tzinfo=timezone.utc)
HAND_RANGE_MM = (160.0, 330.0)  # hand base distance of kept frames; the closest zone stays in [100, 400]
FAR_RANGE_MM, NEAR_RANGE_MM = (430.0, 650.0), (40.0, 90.0)  # closest zone of out-of-range frames
INVALID_STATUS = (0, 2, 4, 10)
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_ROWS, _COLS = np.divmod(np.arange(64), 8)

# Hand shapes in hand coordinates (x right, y down; the grid spans about [-0.9, 0.9] at size 1).
# ("box", x0, x1, y0, y1, depth_mm) | ("disc", cx, cy, radius, depth_mm) | ("diag", slope, halfwidth, depth_mm)
# depth_mm is added to the hand distance: negative = closer to the sensor (a raised thumb).
HAND_SHAPES: dict[str, tuple] = {
    "FlatHand": (("box", -0.8, 0.8, -0.9, 0.9, 0),),
    "Fist": (("disc", 0.0, 0.1, 0.5, 0),),
    "Like": (("disc", 0.0, 0.35, 0.45, 0), ("box", -0.2, 0.2, -0.95, 0.0, -15)),
    "Dislike": (("disc", 0.0, -0.35, 0.45, 0), ("box", -0.2, 0.2, 0.0, 0.95, -15)),
    "Love": (("disc", -0.45, -0.35, 0.35, 0), ("disc", 0.45, -0.35, 0.35, 0), ("box", -0.3, 0.3, -0.1, 0.7, 10)),
    "BreakTime": (("box", -0.9, 0.9, -0.85, -0.45, 0), ("box", -0.22, 0.22, -0.45, 0.95, 10)),
    "CrossHands": (("diag", 1.0, 0.2, 0), ("diag", -1.0, 0.2, 10)),
}


@dataclass(frozen=True)
class UserTraits:
    """What differs between users, the same for every class they record."""

    distance_mm: float
    size: float
    gain: float
    offset: tuple[int, int]  # (rows, columns) where the user tends to hold the hand; sessions vary around it


def user_traits(seed: int, user: int) -> UserTraits:
    rng = np.random.default_rng([seed, 7919, user])
    return UserTraits(float(rng.uniform(190, 290)), float(rng.uniform(0.85, 1.15)), float(rng.uniform(0.7, 1.3)),
                      (int(rng.integers(-1, 2)), int(rng.integers(-1, 2))))


def hand_shape(class_name: str) -> tuple:
    """The drawn shape of a class; classes without a hand-made one get a fixed pair of boxes from their id."""
    if class_name in HAND_SHAPES:
        return HAND_SHAPES[class_name]
    rng = np.random.default_rng([ST_CLASS_IDS[class_name], 104729])
    boxes = []
    for depth in (0, -10):
        x0, y0 = rng.uniform(-0.9, 0.2, size=2)
        width, height = rng.uniform(0.35, 0.8, size=2)
        boxes.append(("box", x0, x0 + width, y0, y0 + height, depth))
    return tuple(boxes)


def render_shape(shape: tuple, size: float, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """(64,) hand mask and (64,) depth offset of ``shape`` drawn at ``size``, moved by (rows, cols) zones."""
    x = (_COLS - 3.5 - cols) / (4.0 * size)
    y = (_ROWS - 3.5 - rows) / (4.0 * size)
    mask, depth = np.zeros(64, bool), np.zeros(64)
    for kind, *params in shape:
        if kind == "box":
            x0, x1, y0, y1, offset = params
            inside = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
        elif kind == "disc":
            cx, cy, radius, offset = params
            inside = (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2
        else:  # diag
            slope, halfwidth, offset = params
            inside = np.abs(x - slope * y) <= halfwidth
        depth = np.where(inside & ~mask, offset, depth)
        mask |= inside
    depth = depth + 40.0 * (x ** 2 + y ** 2)  # a hand curves away from its centre
    return mask, depth


def _clutter(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The ``None`` class: one to three small objects anywhere, changing every frame."""
    mask = np.zeros(64, bool)
    for _ in range(int(rng.integers(1, 4))):
        zone = int(rng.integers(64))
        mask[zone] = True
        if rng.random() < 0.5 and zone % 8 < 7:
            mask[zone + 1] = True
    return mask, rng.uniform(0, 40, size=64)


def _file_arrays(class_name: str, traits: UserTraits, session: dict, frames: int, out_of_range: int,
                 nan_frames: int, rng: np.random.Generator) -> np.ndarray:
    """zone_data (4, 64, T) of one file: ``out_of_range`` frames too far or too near, ``nan_frames`` with NaN."""
    base = np.clip(session["distance"] + np.cumsum(rng.normal(0, 4, frames)), *HAND_RANGE_MM)
    special = rng.permutation(frames)
    closest = np.full(frames, np.nan)  # NaN: the hand stays where ``base`` puts it
    closest[special[:out_of_range]] = np.where(rng.random(out_of_range) < 0.5,
                                               rng.uniform(*FAR_RANGE_MM, out_of_range),
                                               rng.uniform(*NEAR_RANGE_MM, out_of_range))
    zone_data = np.empty((4, 64, frames))
    for t in range(frames):
        zone_data[:, :, t] = _frame(class_name, traits, session, base[t], closest[t], rng)
    nan_rows = [ZONE_HEAD.index("signal_per_spad"), ZONE_HEAD.index("distance_mm")]
    for t in special[out_of_range:out_of_range + nan_frames]:
        zone_data[np.ix_(nan_rows, rng.random(64) < 0.5, [t])] = np.nan
        zone_data[nan_rows[1], 0, t] = np.nan  # at least one NaN in every NaN frame
    return zone_data


def _hand(class_name: str, session: dict, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if class_name == "None":
        return _clutter(rng)
    jitter = int(rng.choice([-1, 0, 1], p=[0.1, 0.8, 0.1]))  # the hand moves a little
    hand, depth = render_shape(session["shape"], session["size"], session["rows"], session["cols"] + jitter)
    if not hand.any():  # a small shape moved off the grid: draw it centred
        hand, depth = render_shape(session["shape"], session["size"], 0, 0)
        hand[27] = True
    return hand, depth


def _frame(class_name: str, traits: UserTraits, session: dict, base_mm: float, closest_mm: float,
           rng: np.random.Generator) -> np.ndarray:
    """One frame (4, 64); when ``closest_mm`` is not NaN the hand is moved so its closest zone is there."""
    hand, depth = _hand(class_name, session, rng)
    # background: a far wall seen with a valid status, or zones with an invalid status and any distance
    status = np.where(rng.random(64) < 0.55, 5, rng.choice(INVALID_STATUS, 64)).astype(float)
    distance = np.where(status == 5, session["wall"] + 120.0 * (7 - _ROWS) + rng.normal(0, 40, 64),
                        rng.uniform(-400, 3900, 64))
    signal = np.where(status == 5, rng.uniform(5, 45, 64), rng.uniform(1, 90, 64))
    hand_status = np.where(rng.random(64) < 0.1, 9, 5)
    hand_status = np.where(rng.random(64) < 0.04, 4, hand_status)  # a few dropouts
    hand_status[np.flatnonzero(hand)[0]] = 5  # never all: the hand decides whether the frame is kept
    seen = hand & (hand_status != 4)
    hand_distance = base_mm + depth + np.clip(rng.normal(0, 6, 64), -15, 15)
    if not np.isnan(closest_mm):
        hand_distance += closest_mm - hand_distance[seen].min()
    hand_signal = traits.gain * 2400.0 * (200.0 / np.maximum(hand_distance, 20.0)) ** 2 * rng.normal(1.0, 0.06, 64)
    status = np.where(hand, hand_status, status)
    distance = np.clip(np.round(np.where(hand, hand_distance, distance)), -500, 4600)
    signal = np.clip(np.round(np.where(hand, hand_signal, signal)), 1, 6421)
    return np.stack([status, np.ones(64), signal, distance])


def _session_state(class_name: str, traits: UserTraits, rng: np.random.Generator) -> dict:
    return {"shape": hand_shape(class_name), "distance": float(np.clip(traits.distance_mm + rng.normal(0, 25),
                                                                       *HAND_RANGE_MM)),
            "size": traits.size * float(rng.uniform(0.95, 1.05)),
            "rows": int(np.clip(traits.offset[0] + rng.choice([-1, 0, 1], p=[0.25, 0.5, 0.25]), -1, 1)),
            "cols": int(np.clip(traits.offset[1] + rng.choice([-1, 0, 1], p=[0.25, 0.5, 0.25]), -1, 1)),
            "wall": float(rng.uniform(1800, 2500))}


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """``np.savez`` with a fixed entry date, so that the same arrays give the same bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for key, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asanyarray(array), allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(f"{key}.npy", date_time=_ZIP_DATE), buffer.getvalue())


def _check_arguments(out_dir: Path, class_names, counts: dict[str, int], rates: dict[str, float]) -> list[str]:
    if isinstance(class_names, str) or not class_names:
        raise ConfigError(f"synth classes: expected a non-empty list of ST class names, got {class_names!r}")
    unknown = unknown_classes(list(class_names))
    if unknown:
        raise ConfigError(f"synth classes: unknown class(es) {unknown}; known: {list(ST_CLASS_IDS)}")
    if len(set(class_names)) != len(class_names):
        raise ConfigError(f"synth classes: {list(class_names)} names a class twice")
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ConfigError(f"synth {name}: expected a whole number >= 1, got {value!r}")
    for name, value in rates.items():
        if not 0.0 <= value <= 0.5:
            raise ConfigError(f"synth {name}: expected a fraction in [0, 0.5], got {value!r}")
    for name in class_names:
        folder = out_dir / name
        if folder.is_dir() and any(folder.iterdir()):
            raise ConfigError(f"{folder} already holds files; remove it or choose another output folder")
    return ordered_classes(list(class_names))


def generate_synthetic_dataset(out_dir, class_names, users: int = 2, sessions_per_user: int = 2,
                               files_per_session: int = 2, frames_per_file: int = 20, seed: int = 0,
                               out_of_range_rate: float = 0.1, nan_frame_rate: float = 0.0) -> dict:
    """Write a synthetic dataset under ``out_dir`` and return a JSON-ready summary of what was written.

    In each file, ``round(out_of_range_rate * T)`` frames hold the hand out of the default distance range
    (100-400 mm) and ``round(nan_frame_rate * T)`` other frames carry NaN values.
    """
    out_dir = Path(out_dir)
    counts = {"users": users, "sessions_per_user": sessions_per_user, "files_per_session": files_per_session,
              "frames_per_file": frames_per_file}
    classes = _check_arguments(out_dir, class_names, counts,
                               {"out_of_range_rate": out_of_range_rate, "nan_frame_rate": nan_frame_rate})
    out_of_range = int(round(out_of_range_rate * frames_per_file))
    nan_frames = min(int(round(nan_frame_rate * frames_per_file)), frames_per_file - out_of_range)
    per_class = {}
    for class_index, class_name in enumerate(classes):
        per_class[class_name] = _write_class(out_dir, class_index, class_name, users, sessions_per_user,
                                             files_per_session, frames_per_file, seed, out_of_range, nan_frames)
    totals = {key: sum(entry[key] for entry in per_class.values())
              for key in ("sessions", "files", "frames", "out_of_range_frames", "nan_frames")}
    summary = {"out_dir": str(out_dir), "seed": seed, "classes": classes, **totals, "per_class": per_class,
               "note": "synthetic data for tests and demos; accuracy on it is no measure of real accuracy"}
    (out_dir / "SYNTHETIC.json").write_text(json.dumps({**summary, **counts}, indent=2) + "\n")
    return summary


def _write_class(out_dir: Path, class_index: int, class_name: str, users: int, sessions_per_user: int,
                 files_per_session: int, frames: int, seed: int, out_of_range: int, nan_frames: int) -> dict:
    class_id = ST_CLASS_IDS[class_name]
    entry = {"id": class_id, "sessions": 0, "files": 0, "frames": 0, "out_of_range_frames": 0, "nan_frames": 0}
    for user in range(1, users + 1):
        traits = user_traits(seed, user)
        for session in range(1, sessions_per_user + 1):
            rng = np.random.default_rng([seed, class_id, user, session])
            state = _session_state(class_name, traits, rng)
            start = FIRST_SESSION + timedelta(days=session - 1, hours=user, minutes=3 * class_index)
            stem = f"{class_name}__User{user}__{session}__VL53L8__handposture_api__8x8__{start:%Y%m%d_%H%M%S}"
            folder = out_dir / class_name / f"log__{stem}" / "npz"
            folder.mkdir(parents=True, exist_ok=True)
            begin = start.timestamp()
            for _ in range(files_per_session):
                zone_data = _file_arrays(class_name, traits, state, frames, out_of_range, nan_frames, rng)
                end = begin + FRAME_PERIOD_S * frames
                ends = datetime.fromtimestamp(end, timezone.utc)
                write_npz(folder / f"data_{stem}_ends{ends:%H%M%S}.{ends.microsecond // 1000:03d}.npz", {
                    "zone_data": zone_data, "zone_head": np.array(ZONE_HEAD),
                    "glob_data": np.full((1, frames), float(class_id)), "glob_head": np.array(GLOB_HEAD),
                    "start_tstmp": np.float64(begin), "end_tstmp": np.float64(end)})
                begin = end + FRAME_PERIOD_S
                entry["files"] += 1
                entry["frames"] += frames
                entry["out_of_range_frames"] += out_of_range
                entry["nan_frames"] += nan_frames
            entry["sessions"] += 1
    return entry
