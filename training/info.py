"""``python -m training info``: what the configured dataset holds, per class, before and after filtering."""
from __future__ import annotations

import warnings

from tabulate import tabulate

from training.config.schema import Config
from training.data.dataset import describe_label, load_frame_table
from training.data.preprocess import keep_mask
from training.train.data_setup import preprocessing_spec


def dataset_summary(config: Config, path: str | None = None, skip_bad_files: bool = False) -> dict:
    root = path or config.dataset.training_path
    with warnings.catch_warnings():  # everything the warnings say is in the summary, in full
        warnings.simplefilter("ignore")
        table = load_frame_table(root, config.dataset.class_names, skip_bad_files=skip_bad_files,
                                 require_all_classes=path is None)
    kept = keep_mask(table.frames, preprocessing_spec(config))
    rows = []
    for index, name in enumerate(table.class_names):
        infos = [s for s in table.session_infos if s.class_folder == name]
        of_class = table.labels == index
        rows.append({"class": name, "users": sorted({s.user for s in infos}), "sessions": len(infos),
                     "files": sum(len(s.files) for s in infos), "frames": int(of_class.sum()),
                     "kept": int((of_class & kept).sum())})
    return {"root": str(table.root), "classes": rows,
            "total": {"sessions": len(table.session_infos),
                      "files": sum(len(s.files) for s in table.session_infos),
                      "frames": int(len(table)), "kept": int(kept.sum())},
            "users": sorted(set(table.users.tolist())),
            "nan_frames_dropped": table.nan_frames_dropped,
            "frames_with_other_labels": table.foreign_label_frames,
            "other_labels": [{"file": f, "label": label, "frames": n} for f, label, n in table.foreign_labels],
            "files_without_frames": table.empty_files,
            "classes_without_folder": table.missing_classes,
            "skipped_files": table.skipped_files,
            "filter": {"Min_distance": config.preprocessing.Min_distance,
                       "Max_distance": config.preprocessing.Max_distance}}


def summary_table(summary: dict) -> str:
    rows = [[r["class"], ",".join(r["users"]), r["sessions"], r["files"], r["frames"], r["kept"]]
            for r in summary["classes"]]
    total = summary["total"]
    rows.append(["total", ",".join(summary["users"]), total["sessions"], total["files"], total["frames"],
                 total["kept"]])
    f = summary["filter"]
    header = ["class", "users", "sessions", "files", "frames", f"kept ({f['Min_distance']}-{f['Max_distance']} mm)"]
    lines = [f"dataset: {summary['root']}", tabulate(rows, headers=header, tablefmt="github")]
    if summary["nan_frames_dropped"]:
        lines.append(f"frames dropped for NaN values: {summary['nan_frames_dropped']}")
    if summary["frames_with_other_labels"]:
        lines.append(f"frames whose .GestureGT label is not a configured class (not loaded): "
                     f"{summary['frames_with_other_labels']}")
    for entry in summary["other_labels"]:
        lines.append(f"  {entry['file']}: label {describe_label(entry['label'])} x {entry['frames']}")
    for name in summary["files_without_frames"]:
        lines.append(f"file without frames: {name}")
    if summary["classes_without_folder"]:
        lines.append(f"no samples (no class folder): {', '.join(summary['classes_without_folder'])}")
    for skipped in summary["skipped_files"]:
        lines.append(f"skipped: {skipped}")
    return "\n".join(lines)
