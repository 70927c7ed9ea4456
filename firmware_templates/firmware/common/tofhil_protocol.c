/*
 * tofhil firmware: the serial protocol's framing (docs/protocol.md): COBS with a 0x00
 * delimiter, a 5-byte header, CRC-32 (IEEE, as zlib.crc32). Pure, no I/O; every index is
 * bounded by the buffers of tofhil_decoder_t, whatever bytes arrive.
 * Part of the tofhil validation firmware - do not edit in a generated project.
 */
#include "tofhil_protocol.h"

/* CRC-32 (reflected polynomial 0xEDB88320), four bits at a time: 64 bytes of table. */
static const uint32_t tofhil_crc32_nibbles[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
    0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu, 0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu};

static uint32_t tofhil_crc32_update(uint32_t crc, uint8_t byte)
{
    crc ^= byte;
    crc = (crc >> 4) ^ tofhil_crc32_nibbles[crc & 0x0Fu];
    return (crc >> 4) ^ tofhil_crc32_nibbles[crc & 0x0Fu];
}

uint32_t tofhil_crc32(const uint8_t *data, size_t length)
{
    uint32_t crc = 0xFFFFFFFFu;
    size_t i;
    for (i = 0; data != NULL && i < length; ++i) {
        crc = tofhil_crc32_update(crc, data[i]);
    }
    return crc ^ 0xFFFFFFFFu;
}

static uint32_t tofhil_read_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* COBS-decode `in` into `out`; 0 when a code byte overruns the input or the output would overflow. */
static int tofhil_cobs_decode(const uint8_t *in, size_t in_length, uint8_t *out, size_t out_size,
                              size_t *out_length)
{
    size_t i = 0, o = 0, k;
    while (i < in_length) {
        const size_t run = (size_t)in[i++] - 1u; /* in[] holds no 0x00: the delimiter ends a frame */
        if (run > in_length - i || run > out_size - o) {
            return 0;
        }
        for (k = 0; k < run; ++k) {
            out[o++] = in[i++];
        }
        if (run != 0xFEu && i < in_length) { /* a short run stands for a 0x00, except at the end */
            if (o >= out_size) {
                return 0;
            }
            out[o++] = 0u;
        }
    }
    *out_length = o;
    return 1;
}

void tofhil_decoder_init(tofhil_decoder_t *decoder)
{
    if (decoder != NULL) {
        decoder->fill = 0u;
        decoder->overlong = 0u;
        decoder->frames_ok = decoder->crc_errors = decoder->framing_errors = 0u;
    }
}

static int tofhil_framing_error(tofhil_decoder_t *decoder, int status)
{
    decoder->framing_errors++;
    return status;
}

/* A frame ended: COBS -> size bounds -> CRC -> length field, in the order docs/protocol.md gives. */
static int tofhil_decoder_finish(tofhil_decoder_t *decoder, tofhil_packet_t *packet)
{
    size_t size = 0u;
    uint16_t length;
    const size_t fill = decoder->fill;
    const int overlong = decoder->overlong != 0u;
    decoder->fill = 0u;
    decoder->overlong = 0u;
    if (overlong) {
        return tofhil_framing_error(decoder, TOFHIL_STATUS_FRAME_TOO_LONG);
    }
    if (fill == 0u) {
        return TOFHIL_DECODER_PENDING; /* an empty frame: the host's flush, not an error */
    }
    if (!tofhil_cobs_decode(decoder->encoded, fill, decoder->decoded, sizeof decoder->decoded, &size) ||
        size < TOFHIL_PROTO_HEADER_SIZE + TOFHIL_PROTO_CRC_SIZE) {
        return tofhil_framing_error(decoder, TOFHIL_STATUS_BAD_FRAME);
    }
    if (tofhil_crc32(decoder->decoded, size - TOFHIL_PROTO_CRC_SIZE) !=
        tofhil_read_u32le(decoder->decoded + size - TOFHIL_PROTO_CRC_SIZE)) {
        decoder->crc_errors++;
        return TOFHIL_STATUS_BAD_CRC;
    }
    length = (uint16_t)(decoder->decoded[3] | (decoder->decoded[4] << 8));
    if (length > TOFHIL_PROTO_MAX_PAYLOAD ||
        size != (size_t)length + TOFHIL_PROTO_HEADER_SIZE + TOFHIL_PROTO_CRC_SIZE) {
        return tofhil_framing_error(decoder, TOFHIL_STATUS_BAD_FRAME);
    }
    packet->type = decoder->decoded[0];
    packet->seq = (uint16_t)(decoder->decoded[1] | (decoder->decoded[2] << 8));
    packet->length = length;
    packet->payload = decoder->decoded + TOFHIL_PROTO_HEADER_SIZE;
    decoder->frames_ok++;
    return TOFHIL_STATUS_OK;
}

int tofhil_decoder_push(tofhil_decoder_t *decoder, uint8_t byte, tofhil_packet_t *packet)
{
    if (decoder == NULL || packet == NULL) {
        return TOFHIL_STATUS_NULL_ARGUMENT;
    }
    if (byte == 0u) {
        return tofhil_decoder_finish(decoder, packet);
    }
    if (decoder->overlong == 0u) {
        if (decoder->fill < TOFHIL_PROTO_MAX_ENCODED) {
            decoder->encoded[decoder->fill++] = byte;
        } else {
            decoder->overlong = 1u; /* drop the rest of this frame, up to its delimiter */
            decoder->fill = 0u;
        }
    }
    return TOFHIL_DECODER_PENDING;
}

/* COBS encoder writing straight into the caller's buffer; `ok` drops to 0 on overflow. */
typedef struct {
    uint8_t *out;
    size_t size, pos, code_pos;
    uint8_t code;
    uint8_t open; /* a run is open; after a full 254-byte run the next one opens lazily */
    uint8_t ok;
    uint32_t crc;
} tofhil_cobs_writer_t;

static void tofhil_cobs_open(tofhil_cobs_writer_t *w)
{
    if (w->pos >= w->size) {
        w->ok = 0u;
        return;
    }
    w->code_pos = w->pos++;
    w->code = 1u;
    w->open = 1u;
}

static void tofhil_cobs_put(tofhil_cobs_writer_t *w, uint8_t byte)
{
    w->crc = tofhil_crc32_update(w->crc, byte);
    if (!w->open) {
        tofhil_cobs_open(w);
    }
    if (!w->ok) {
        return;
    }
    if (byte == 0u) {
        w->out[w->code_pos] = w->code;
        tofhil_cobs_open(w);
        return;
    }
    if (w->pos >= w->size) {
        w->ok = 0u;
        return;
    }
    w->out[w->pos++] = byte;
    if (++w->code == 0xFFu) {
        w->out[w->code_pos] = 0xFFu;
        w->open = 0u;
    }
}

size_t tofhil_encode_frame(uint8_t type, uint16_t seq, const uint8_t *payload, uint16_t length, uint8_t *out,
                           size_t out_size)
{
    tofhil_cobs_writer_t w;
    uint32_t crc;
    uint16_t i;
    if (out == NULL || length > TOFHIL_PROTO_MAX_PAYLOAD || (payload == NULL && length > 0u)) {
        return 0u;
    }
    w.out = out;
    w.size = out_size;
    w.pos = w.code_pos = 0u;
    w.code = 0u;
    w.open = 0u;
    w.ok = 1u;
    w.crc = 0xFFFFFFFFu;
    tofhil_cobs_open(&w);
    tofhil_cobs_put(&w, type);
    tofhil_cobs_put(&w, (uint8_t)(seq & 0xFFu));
    tofhil_cobs_put(&w, (uint8_t)(seq >> 8));
    tofhil_cobs_put(&w, (uint8_t)(length & 0xFFu));
    tofhil_cobs_put(&w, (uint8_t)(length >> 8));
    for (i = 0; i < length; ++i) {
        tofhil_cobs_put(&w, payload[i]);
    }
    crc = w.crc ^ 0xFFFFFFFFu;
    for (i = 0; i < 4u; ++i) {
        tofhil_cobs_put(&w, (uint8_t)(crc >> (8u * i)));
    }
    if (w.open && w.ok) {
        w.out[w.code_pos] = w.code;
    }
    if (!w.ok || w.pos >= w.size) {
        return 0u;
    }
    w.out[w.pos++] = 0u; /* the delimiter */
    return w.pos;
}
