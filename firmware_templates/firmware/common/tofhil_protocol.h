/*
 * tofhil firmware: the serial protocol's framing (docs/protocol.md): COBS with a
 * 0x00 delimiter, a 5-byte header, CRC-32. Pure functions, no I/O, bounded buffers.
 * Part of the tofhil validation firmware - do not edit in a generated project.
 */
#ifndef TOFHIL_PROTOCOL_H
#define TOFHIL_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include "tofhil_status.h"

#define TOFHIL_PROTO_VERSION 2u
#define TOFHIL_PROTO_HEADER_SIZE 5u
#define TOFHIL_PROTO_CRC_SIZE 4u
#define TOFHIL_PROTO_MAX_PAYLOAD 400u
#define TOFHIL_PROTO_MAX_PACKET (TOFHIL_PROTO_HEADER_SIZE + TOFHIL_PROTO_MAX_PAYLOAD + TOFHIL_PROTO_CRC_SIZE)
/* COBS adds one byte per 254 and one overhead byte */
#define TOFHIL_PROTO_MAX_ENCODED (TOFHIL_PROTO_MAX_PACKET + TOFHIL_PROTO_MAX_PACKET / 254u + 1u)
#define TOFHIL_PROTO_SEQ_UNKNOWN 0xFFFFu

/* The message types, in one list: the enum below (TOFHIL_MSG_<NAME>) and hil/protocol/message_ids.py both read
 * it, so the two sides cannot drift. Requests 0x01-0x3F, replies 0x80-0xBF (docs/protocol.md). */
#define TOFHIL_MESSAGE_LIST(X) \
    X(HELLO_REQ, 0x01)         \
    X(INFER_RAW, 0x02)         \
    X(INFER_TENSOR, 0x03)      \
    X(STATS_REQ, 0x04)         \
    X(LAYER_REQ, 0x05)         \
    X(SESSION_START, 0x06)     \
    X(HELLO, 0x81)             \
    X(RESULT, 0x82)            \
    X(STATS, 0x84)             \
    X(LAYER, 0x85)             \
    X(SESSION, 0x86)           \
    X(ERROR, 0x8F)

#define TOFHIL_MSG_ENUM_ENTRY(name, id) TOFHIL_MSG_##name = id,
enum { TOFHIL_MESSAGE_LIST(TOFHIL_MSG_ENUM_ENTRY) };
#undef TOFHIL_MSG_ENUM_ENTRY

typedef struct {
    uint8_t type;
    uint16_t seq;
    uint16_t length;
    const uint8_t *payload; /* points into the decoder's buffer; valid until the next push */
} tofhil_packet_t;

typedef struct {
    uint8_t encoded[TOFHIL_PROTO_MAX_ENCODED];
    uint8_t decoded[TOFHIL_PROTO_MAX_PACKET];
    uint16_t fill;     /* encoded bytes of the current frame */
    uint8_t overlong;  /* current frame exceeded the buffer: drop until the delimiter */
    uint32_t frames_ok, crc_errors, framing_errors;
} tofhil_decoder_t;

/* Return values of tofhil_decoder_push besides the status codes */
#define TOFHIL_DECODER_PENDING (-1)

void tofhil_decoder_init(tofhil_decoder_t *decoder);
/*
 * Feed one received byte. Returns TOFHIL_DECODER_PENDING while a frame is incomplete,
 * TOFHIL_STATUS_OK with *packet filled when a valid packet completed, or the error
 * (BAD_CRC, BAD_FRAME, FRAME_TOO_LONG) of a frame that completed and was discarded.
 */
int tofhil_decoder_push(tofhil_decoder_t *decoder, uint8_t byte, tofhil_packet_t *packet);
/*
 * Frame a packet into `out` (COBS + trailing 0x00). Returns the bytes written, or 0 when
 * length > TOFHIL_PROTO_MAX_PAYLOAD or out_size is too small.
 */
size_t tofhil_encode_frame(uint8_t type, uint16_t seq, const uint8_t *payload, uint16_t length, uint8_t *out,
                           size_t out_size);
uint32_t tofhil_crc32(const uint8_t *data, size_t length);

#endif /* TOFHIL_PROTOCOL_H */
