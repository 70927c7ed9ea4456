"""Sessions as the unit of streaming (hil/session_stream.py): grouped and ordered as recorded, an unfinished one
streamed again whole, and a firmware whose decision pipeline is not the config's refused before a label counts."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from hil.errors import HilError
from hil.protocol.replies import Session
from hil.session_stream import check_pipeline, session_units, unfinished_units
from tests.hil_unit.fake_board import nucleo_hello


class _Frames(SimpleNamespace):
    def __len__(self):
        return len(self.sessions)


def test_sessions_are_grouped_in_order_of_appearance_and_their_frames_in_recording_time():
    test_frames = _Frames(sessions=np.array(["b", "a", "b", "a", "b"]))
    times = np.array([3.0, 1.0, 1.0, 0.5, 2.0])
    assert session_units(test_frames, range(5), times) == [[2, 4, 0], [3, 1]]
    assert session_units(test_frames, range(5)) == [[0, 2, 4], [1, 3]]  # no times: file then frame order
    assert session_units(test_frames, [1, 2, 4], times) == [[1], [2, 4]]  # tensor mode: kept frames only
    assert session_units(test_frames, []) == []


def test_resume_streams_every_unfinished_session_again_from_its_first_frame():
    units = [[0, 1, 2], [3, 4], [5]]
    assert unfinished_units(units, {0, 1, 2, 3}) == [[3, 4], [5]]
    assert unfinished_units(units, {0, 1, 2, 3, 4, 5}) == []


def test_a_firmware_with_another_pipeline_is_refused_naming_both():
    hello = nucleo_hello()  # output scale 1/256, zero point -128: 0.9 is q > 102
    references = {}  # no postprocessing stored: ST's defaults (0.9, filter 3, keep last valid, None)
    names = ["None", "Like", "Dislike", "FlatHand", "Fist", "Love", "BreakTime", "CrossHands"]
    check_pipeline(Session(True, 102, 3, True, 0, 8), hello, references, names)
    check_pipeline(Session(False, 0, 0, False, 0, 0), hello, references, names)  # nothing on the device to check
    with pytest.raises(HilError, match=r"board nucleo-f401re: the firmware's decision pipeline \(int8 threshold "
                                       r"102, filter 5, .*is not the run config's postprocessing \(int8 threshold "
                                       r"102, filter 3, .*export and flash again"):
        check_pipeline(Session(True, 102, 5, True, 0, 8), hello, references, names)
