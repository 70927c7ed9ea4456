"""Raw mode only: did the board preprocess each frame as the host does, and filter the same frames?

The device echoes the int8 input tensor it computed; the host's is ``references.host_input``. A frame the
device's distance filter rejected while the host kept it (or the reverse) is listed both ways: ST's own C
application filters with strict bounds, a known train/deploy skew.
"""
from __future__ import annotations

import numpy as np

from hil.report.records import FrameResult, ValidationData


def raw_mode_section(data: ValidationData, results: list[FrameResult], limit: int) -> dict:
    kept = data.references.host_kept
    compared, mismatches = 0, []
    for result in results:
        if result.status != "ok" or result.input is None or not kept[result.index]:
            continue
        compared += 1
        device = np.asarray(result.input, np.int16)
        host = data.references.host_input[result.index].astype(np.int16)
        differing = np.flatnonzero(device != host)
        if differing.size:
            mismatches.append({**_where(result), "differing_elements": int(differing.size),
                               "first_element": int(differing[0]),
                               "max_abs_diff": int(np.max(np.abs(device - host)))})
    device_only = [_where(r) for r in results if r.status == "rejected" and kept[r.index]]
    host_only = [_where(r) for r in results if r.status == "ok" and not kept[r.index]]
    return {
        "preprocessing_mismatches": {"compared": compared, "count": len(mismatches),
                                     "no_echo": sum(1 for r in results if r.status == "ok" and r.input is None),
                                     "frames": mismatches[:limit]},
        "filter": {"device_rejected_host_kept": {"count": len(device_only), "frames": device_only[:limit]},
                   "device_kept_host_rejected": {"count": len(host_only), "frames": host_only[:limit]}},
    }


def _where(result: FrameResult) -> dict:
    return {"index": result.index, "file": result.file, "frame": result.frame}
