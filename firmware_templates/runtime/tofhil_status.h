/*
 * tofhil runtime: status codes. Part of the tofhil int8 runtime, copied into
 * every exported model library by `python -m training export` - do not edit.
 *
 * The enum and its strings come from the one list below (an X-macro), so a
 * code can never lose its message.
 */
#ifndef TOFHIL_STATUS_H
#define TOFHIL_STATUS_H

#define TOFHIL_STATUS_LIST(X)                                              \
    X(OK, "ok")                                                            \
    X(NULL_ARGUMENT, "a pointer argument is NULL")                         \
    X(FRAME_REJECTED, "frame rejected: closest valid zone outside the distance range") \
    X(BAD_ARGUMENT, "an argument is out of range")                          \
    X(BAD_CRC, "frame CRC mismatch")                                       \
    X(BAD_FRAME, "malformed frame (COBS, header or length)")               \
    X(FRAME_TOO_LONG, "frame longer than the largest packet")              \
    X(UNKNOWN_MESSAGE, "unknown message type")                             \
    X(BAD_PAYLOAD, "payload size wrong for this message")                  \
    X(NO_PREPROCESSING, "firmware has no on-device preprocessing for INFER_RAW") \
    X(HARD_FAULT, "the core took a HardFault")                             \
    X(OUT_OF_ORDER, "request out of order in a session: an earlier one is missing")

typedef enum {
#define TOFHIL_STATUS_ENUM_ENTRY(name, text) TOFHIL_STATUS_##name,
    TOFHIL_STATUS_LIST(TOFHIL_STATUS_ENUM_ENTRY)
#undef TOFHIL_STATUS_ENUM_ENTRY
    TOFHIL_STATUS_COUNT
} tofhil_status_t;

/* Human-readable text of a status code ("unknown status" when out of range). */
const char *tofhil_status_string(tofhil_status_t status);

#endif /* TOFHIL_STATUS_H */
