/*
 * libFuzzer harness of the firmware's protocol: the frame decoder, the encoder and the app's
 * message handlers, on the buffer board with a real generated model (fuzz/run_fuzz.py builds
 * it with -fsanitize=fuzzer,address,undefined). The first input byte picks what is fuzzed:
 *   0: a byte stream through tofhil_app_push_byte (decoder + handlers + ERROR replies)
 *   1: type, seq, payload straight into tofhil_app_handle (handlers without the CRC barrier)
 *   2: type, seq, payload through tofhil_encode_frame and back through the decoder
 * Besides the sanitizers, every reply must be whole valid frames, one per request, and an
 * encoded packet must decode to itself; anything else aborts (a finding).
 */
#include <stdlib.h>
#include <string.h>

#include "tofhil_app.h"
#include "tofhil_board_buffer.h"
#include "tofhil_protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static tofhil_decoder_t tofhil_fuzz_check_decoder, tofhil_fuzz_frames;
static uint8_t tofhil_fuzz_frame[TOFHIL_PROTO_MAX_ENCODED + 1u];

static void tofhil_fuzz_require(int condition)
{
    if (!condition) {
        abort();
    }
}

static int tofhil_fuzz_is_reply(uint8_t type)
{
    return type == TOFHIL_MSG_HELLO || type == TOFHIL_MSG_RESULT || type == TOFHIL_MSG_STATS || type == TOFHIL_MSG_LAYER ||
           type == TOFHIL_MSG_SESSION || type == TOFHIL_MSG_ERROR;
}

/* Decode what the app wrote since the last call: only whole, valid reply frames. Returns their count. */
static size_t tofhil_fuzz_take_replies(void)
{
    size_t length, i, replies = 0u;
    const uint8_t *output = tofhil_board_buffer_output(&length);
    tofhil_fuzz_require(tofhil_board_buffer_dropped() == 0u);
    for (i = 0; i < length; ++i) {
        tofhil_packet_t packet;
        const int result = tofhil_decoder_push(&tofhil_fuzz_check_decoder, output[i], &packet);
        tofhil_fuzz_require(result == TOFHIL_STATUS_OK || result == TOFHIL_DECODER_PENDING);
        if (result == TOFHIL_STATUS_OK) {
            tofhil_fuzz_require(tofhil_fuzz_is_reply(packet.type));
            replies++;
        }
    }
    tofhil_fuzz_require(tofhil_fuzz_check_decoder.fill == 0u);
    tofhil_board_buffer_clear_output();
    return replies;
}

/* Every completed (non-empty) frame gets exactly one reply, in order. */
static void tofhil_fuzz_stream(const uint8_t *data, size_t size)
{
    size_t i, frames = 0u, replies = 0u;
    tofhil_decoder_init(&tofhil_fuzz_frames);
    for (i = 0; i < size; ++i) {
        tofhil_packet_t packet;
        frames += tofhil_decoder_push(&tofhil_fuzz_frames, data[i], &packet) != TOFHIL_DECODER_PENDING;
        tofhil_app_push_byte(data[i]);
        replies += tofhil_fuzz_take_replies();
        tofhil_fuzz_require(replies == frames);
    }
}

static void tofhil_fuzz_packet(const uint8_t *data, size_t size)
{
    tofhil_packet_t packet;
    if (size < 3u) {
        return;
    }
    packet.type = data[0];
    packet.seq = (uint16_t)(data[1] | (data[2] << 8));
    packet.length = (uint16_t)(size - 3u > TOFHIL_PROTO_MAX_PAYLOAD ? TOFHIL_PROTO_MAX_PAYLOAD : size - 3u);
    packet.payload = data + 3;
    tofhil_app_handle(&packet);
    tofhil_fuzz_require(tofhil_fuzz_take_replies() == 1u);
}

static void tofhil_fuzz_round_trip(const uint8_t *data, size_t size)
{
    const uint16_t seq = size >= 3u ? (uint16_t)(data[1] | (data[2] << 8)) : 0u;
    const uint16_t length = (uint16_t)(size > 3u ? size - 3u : 0u);
    size_t n, i;
    tofhil_packet_t packet;
    int result = TOFHIL_DECODER_PENDING;
    if (size < 3u) {
        return;
    }
    n = tofhil_encode_frame(data[0], seq, data + 3, length, tofhil_fuzz_frame, sizeof tofhil_fuzz_frame);
    tofhil_fuzz_require((n == 0u) == (length > TOFHIL_PROTO_MAX_PAYLOAD));
    tofhil_fuzz_require(n == 0u || tofhil_encode_frame(data[0], seq, data + 3, length, tofhil_fuzz_frame, n - 1u) == 0u);
    n = tofhil_encode_frame(data[0], seq, data + 3, length, tofhil_fuzz_frame, sizeof tofhil_fuzz_frame);
    tofhil_decoder_init(&tofhil_fuzz_frames);
    for (i = 0; i < n; ++i) {
        tofhil_fuzz_require(i + 1u == n || tofhil_fuzz_frame[i] != 0u);
        result = tofhil_decoder_push(&tofhil_fuzz_frames, tofhil_fuzz_frame[i], &packet);
    }
    if (n > 0u) {
        tofhil_fuzz_require(result == TOFHIL_STATUS_OK && packet.type == data[0] && packet.seq == seq);
        tofhil_fuzz_require(packet.length == length && memcmp(packet.payload, data + 3, length) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0u) {
        return 0;
    }
    tofhil_board_buffer_reset(NULL, 0u);
    tofhil_decoder_init(&tofhil_fuzz_check_decoder);
    tofhil_app_init();
    switch (data[0] % 3u) {
    case 0u:
        tofhil_fuzz_stream(data + 1, size - 1u);
        break;
    case 1u:
        tofhil_fuzz_packet(data + 1, size - 1u);
        break;
    default:
        tofhil_fuzz_round_trip(data + 1, size - 1u);
        break;
    }
    return 0;
}
