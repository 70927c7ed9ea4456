"""The tofhil serial protocol (docs/protocol.md), Python side: framing (:mod:`.codec`), messages
(:mod:`.messages`, :mod:`.replies`) and the firmware's status list (:mod:`.status`). No TensorFlow."""
from hil.protocol.codec import (MAX_ENCODED, MAX_PACKET, MAX_PAYLOAD, SEQ_UNKNOWN, FrameDecoder, FrameError,
                                Packet, decode_packet, encode_frame, encode_packet)
from hil.protocol.messages import (MESSAGE_CLASSES, HelloRequest, InferRaw, InferTensor, LayerRequest, Message,
                                   SessionStart, StatsRequest, decode_message, encode_message)
from hil.protocol.replies import PROTOCOL_VERSION, TIMER_UNITS, Error, Hello, Layer, Result, Session, Stats
from hil.protocol.status import STATUS_CODES, STATUS_NAMES, status_code, status_name, status_text

__all__ = ["MAX_ENCODED", "MAX_PACKET", "MAX_PAYLOAD", "SEQ_UNKNOWN", "FrameDecoder", "FrameError", "Packet",
           "decode_packet", "encode_frame", "encode_packet", "MESSAGE_CLASSES", "HelloRequest", "InferRaw",
           "InferTensor", "LayerRequest", "Layer", "Message", "SessionStart", "Session", "StatsRequest", "decode_message", "encode_message", "PROTOCOL_VERSION",
           "TIMER_UNITS", "Error", "Hello", "Result", "Stats", "STATUS_CODES", "STATUS_NAMES", "status_code",
           "status_name", "status_text"]
