"""Message ids come from one list, ``TOFHIL_MESSAGE_LIST`` in tofhil_protocol.h, which the C enum and the
Python classes both read; the list agrees with the message table of docs/protocol.md."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from hil.protocol.message_ids import MESSAGE_IDS, parse_message_list
from hil.protocol.messages import MESSAGE_CLASSES

REPO = Path(__file__).resolve().parents[2]


def test_ids_match_the_protocol_document():
    table = re.findall(r"^\| (0x[0-9A-F]{2}) \| ([A-Z_]+) \|", (REPO / "docs" / "protocol.md").read_text(), re.M)
    assert MESSAGE_IDS == {name: int(value, 16) for value, name in table}


def test_every_listed_message_has_one_python_class():
    assert sorted(MESSAGE_CLASSES) == sorted(MESSAGE_IDS.values())


def test_parser_reads_only_the_list_and_refuses_duplicates():
    header = "#define TOFHIL_MESSAGE_LIST(X) \\\n    X(A, 0x01) \\\n    X(B, 0x81)\nX(C, 0x02)\n"
    assert parse_message_list(header) == {"A": 0x01, "B": 0x81}
    with pytest.raises(ValueError, match="distinct"):
        parse_message_list("#define TOFHIL_MESSAGE_LIST(X) \\\n    X(A, 0x01) \\\n    X(B, 0x01)\n")
