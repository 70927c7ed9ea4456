/*
 * tofhil firmware: the message handlers (docs/protocol.md) over the generated model
 * (tofhil_model.h) and, when TOFHIL_HAS_PREPROCESS is 1, the generated preprocessing.
 * Every request gets exactly one reply frame; every length is checked before it is used.
 * Part of the tofhil validation firmware - do not edit in a generated project.
 */
#include <string.h>

#include "tofhil_app.h"
#include "tofhil_board.h"
#include "tofhil_model.h"

#ifndef TOFHIL_HAS_PREPROCESS
#error "define TOFHIL_HAS_PREPROCESS to 1 (tofhil_preprocess.h generated) or 0"
#endif
#if TOFHIL_HAS_PREPROCESS
#include "tofhil_preprocess.h"
#endif
#ifndef TOFHIL_HAS_POSTPROCESS
#define TOFHIL_HAS_POSTPROCESS 0 /* a project generated before the on-device decision pipeline */
#endif
#if TOFHIL_HAS_POSTPROCESS
#include "tofhil_postprocess.h"
#endif
#ifndef TOFHIL_FIRMWARE_VERSION
#define TOFHIL_FIRMWARE_VERSION "0.1.0"
#endif

#if !TOFHIL_MODEL_INPUT_IS_INT8 || !TOFHIL_MODEL_OUTPUT_IS_INT8
#error "the validation firmware serves int8-input, int8-output models only"
#endif
#define TOFHIL_RESULT_HEADER_SIZE 12u
#define TOFHIL_RESULT_FLAG_ECHO 0x01u
#define TOFHIL_RESULT_FLAG_SHOWN 0x02u      /* the shown label is the decision pipeline's */
#define TOFHIL_RESULT_FLAG_IN_SESSION 0x04u /* stepped inside a session that SESSION_START opened */
#define TOFHIL_HELLO_FLAG_PREPROCESS 0x01u
#define TOFHIL_HELLO_FLAG_POSTPROCESS 0x02u
#define TOFHIL_SHOWN_HISTORY 8u /* seqs remembered: more than the host keeps in flight (docs/protocol.md) */
#define TOFHIL_RAW_FRAME_ZONES 64u
#define TOFHIL_INFER_RAW_SIZE (1u + TOFHIL_RAW_FRAME_ZONES * 5u)
#define TOFHIL_LAYER_REQ_HEADER_SIZE 3u /* u8 layer, u16 offset; the int8 input tensor follows */
#define TOFHIL_LAYER_HEADER_SIZE 12u
#define TOFHIL_LAYER_CHUNK (TOFHIL_PROTO_MAX_PAYLOAD - TOFHIL_LAYER_HEADER_SIZE)
#if TOFHIL_LAYER_REQ_HEADER_SIZE + TOFHIL_MODEL_INPUT_SIZE > TOFHIL_PROTO_MAX_PAYLOAD
#error "model input does not fit one LAYER_REQ payload (TOFHIL_PROTO_MAX_PAYLOAD)"
#endif
#ifndef TOFHIL_MODEL_LAYER_COUNT
#define TOFHIL_MODEL_LAYER_COUNT 0u /* a library exported before per-layer validation: LAYER_REQ is unknown */
#endif
#if TOFHIL_MODEL_LAYER_COUNT > 255u
#error "LAYER_REQ numbers layers with one byte"
#endif
#if TOFHIL_RESULT_HEADER_SIZE + TOFHIL_MODEL_INPUT_SIZE + TOFHIL_MODEL_OUTPUT_SIZE > TOFHIL_PROTO_MAX_PAYLOAD
#error "model input + output do not fit one RESULT payload (TOFHIL_PROTO_MAX_PAYLOAD)"
#endif

/* Payload under construction: writes past the end are dropped and make it invalid. */
typedef struct {
    uint8_t data[TOFHIL_PROTO_MAX_PAYLOAD];
    uint16_t length;
    uint8_t overflow;
} tofhil_payload_t;

static tofhil_decoder_t tofhil_app_decoder;
static uint32_t tofhil_app_rejected;
static tofhil_payload_t tofhil_app_reply;
static uint8_t tofhil_app_frame[TOFHIL_PROTO_MAX_ENCODED + 1u];
static int8_t tofhil_app_echo[TOFHIL_MODEL_INPUT_SIZE];

/* The session (SESSION_START): the decision pipeline's state stepped once per frame, in seq order. A request
 * sent again after a lost reply carries a seq already stepped: it gets the label shown then, and the filter
 * does not step twice. Inside a session a seq that skips one (its predecessor was lost) is refused, so the
 * filter sees the frames in the order the host sent them. */
typedef struct {
    uint8_t active;         /* SESSION_START seen since the (re)start */
    uint16_t start_seq;     /* its seq: a resent SESSION_START does not reset again */
    uint16_t expected;      /* the next seq to step */
    uint16_t seqs[TOFHIL_SHOWN_HISTORY];
    int16_t shown[TOFHIL_SHOWN_HISTORY];
    uint8_t used, next;     /* history entries in use, the one to overwrite */
} tofhil_session_t;

static tofhil_session_t tofhil_app_session;
#if TOFHIL_HAS_POSTPROCESS
static tofhil_postprocess_state_t tofhil_app_filter;
#endif

static void tofhil_put_bytes(tofhil_payload_t *p, const void *data, size_t length)
{
    if (length == 0u) {
        return;
    }
    if (length > sizeof p->data - p->length) {
        p->overflow = 1u;
        return;
    }
    memcpy(p->data + p->length, data, length);
    p->length = (uint16_t)(p->length + length);
}

static void tofhil_put_u8(tofhil_payload_t *p, uint8_t value)
{
    tofhil_put_bytes(p, &value, 1u);
}

static void tofhil_put_u16(tofhil_payload_t *p, uint16_t value)
{
    const uint8_t bytes[2] = {(uint8_t)value, (uint8_t)(value >> 8)};
    tofhil_put_bytes(p, bytes, sizeof bytes);
}

static void tofhil_put_u32(tofhil_payload_t *p, uint32_t value)
{
    const uint8_t bytes[4] = {(uint8_t)value, (uint8_t)(value >> 8), (uint8_t)(value >> 16), (uint8_t)(value >> 24)};
    tofhil_put_bytes(p, bytes, sizeof bytes);
}

static void tofhil_put_f32(tofhil_payload_t *p, float value)
{
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits); /* IEEE-754 single on both the host and Cortex-M4 */
    tofhil_put_u32(p, bits);
}

/* u8 n + n ASCII bytes, cut at 255 */
static void tofhil_put_text(tofhil_payload_t *p, const char *text)
{
    const size_t length = text == NULL ? 0u : strlen(text);
    const uint8_t n = (uint8_t)(length > 255u ? 255u : length);
    tofhil_put_u8(p, n);
    tofhil_put_bytes(p, text, n);
}

static tofhil_payload_t *tofhil_reply_begin(void)
{
    tofhil_app_reply.length = 0u;
    tofhil_app_reply.overflow = 0u;
    return &tofhil_app_reply;
}

static void tofhil_send(uint8_t type, uint16_t seq, const tofhil_payload_t *p)
{
    const size_t n = tofhil_encode_frame(type, seq, p->data, p->length, tofhil_app_frame, sizeof tofhil_app_frame);
    if (n > 0u) {
        tofhil_board_write(tofhil_app_frame, n);
    }
}

static void tofhil_send_error(uint16_t seq, int status)
{
    tofhil_payload_t *p = tofhil_reply_begin();
    tofhil_put_u8(p, (uint8_t)status);
    tofhil_put_text(p, tofhil_status_string((tofhil_status_t)status));
    tofhil_app_rejected++;
    tofhil_send(TOFHIL_MSG_ERROR, seq, p);
}

static uint8_t tofhil_hex_nibble(char c)
{
    if (c >= '0' && c <= '9') {
        return (uint8_t)(c - '0');
    }
    return (c >= 'a' && c <= 'f') ? (uint8_t)(c - 'a' + 10) : 0u; /* the exporter writes lowercase hex */
}

static void tofhil_put_sha256(tofhil_payload_t *p)
{
    static const char hex[] = TOFHIL_MODEL_SHA256;
    size_t i;
    for (i = 0; i < 32u; ++i) {
        const size_t at = 2u * i;
        const uint8_t hi = at < sizeof hex - 1u ? tofhil_hex_nibble(hex[at]) : 0u;
        const uint8_t lo = at + 1u < sizeof hex - 1u ? tofhil_hex_nibble(hex[at + 1u]) : 0u;
        tofhil_put_u8(p, (uint8_t)((hi << 4) | lo));
    }
}

static void tofhil_send_hello(uint16_t seq)
{
    tofhil_payload_t *p = tofhil_reply_begin();
    tofhil_put_u8(p, (uint8_t)TOFHIL_PROTO_VERSION);
    tofhil_put_u8(p, tofhil_board_timer_kind());
    tofhil_put_u32(p, tofhil_board_core_clock_hz());
    tofhil_put_u32(p, tofhil_board_timer_hz());
    tofhil_put_sha256(p);
    tofhil_put_f32(p, TOFHIL_MODEL_INPUT_SCALE);
    tofhil_put_u32(p, (uint32_t)(int32_t)TOFHIL_MODEL_INPUT_ZERO_POINT);
    tofhil_put_f32(p, TOFHIL_MODEL_OUTPUT_SCALE);
    tofhil_put_u32(p, (uint32_t)(int32_t)TOFHIL_MODEL_OUTPUT_ZERO_POINT);
    tofhil_put_u16(p, (uint16_t)TOFHIL_MODEL_INPUT_SIZE);
    tofhil_put_u16(p, (uint16_t)TOFHIL_MODEL_OUTPUT_SIZE);
    tofhil_put_u16(p, (uint16_t)TOFHIL_PROTO_MAX_PAYLOAD);
    tofhil_put_u8(p, (uint8_t)((TOFHIL_HAS_PREPROCESS ? TOFHIL_HELLO_FLAG_PREPROCESS : 0u) |
                               (TOFHIL_HAS_POSTPROCESS ? TOFHIL_HELLO_FLAG_POSTPROCESS : 0u)));
    tofhil_put_text(p, TOFHIL_FIRMWARE_VERSION);
    tofhil_put_text(p, tofhil_board_name());
    tofhil_send(TOFHIL_MSG_HELLO, seq, p);
}

static void tofhil_session_reset(uint8_t active, uint16_t start_seq);

/* A HELLO starts a new conversation (a host that connects, or reconnects after a reset): it ends the session,
 * so the seqs of an earlier host can never pass for resends. */
static void tofhil_handle_hello(const tofhil_packet_t *request)
{
    tofhil_session_reset(0u, TOFHIL_PROTO_SEQ_UNKNOWN);
    tofhil_send_hello(request->seq);
}

/* Ticks since `begin` without the interrupt handlers that ran in between (their totals go to STATS): the
 * figure is the model's (or the preprocessing's) alone, whatever the host sends meanwhile. */
static uint32_t tofhil_app_isr_ticks_removed, tofhil_app_isr_count_removed;

static uint32_t tofhil_timed_since(const tofhil_timed_mark_t *begin)
{
    tofhil_timed_mark_t end;
    uint32_t elapsed, isr;
    tofhil_board_timed_mark(&end);
    elapsed = tofhil_board_timer_elapsed(begin->ticks, end.ticks);
    isr = tofhil_board_timer_elapsed(begin->isr_ticks, end.isr_ticks);
    if (isr > elapsed) { /* a wrapped or reset counter: never a negative duration */
        isr = elapsed;
    }
    tofhil_app_isr_ticks_removed += isr;
    tofhil_app_isr_count_removed += end.isr_count - begin->isr_count;
    return elapsed - isr;
}

static uint16_t tofhil_next_seq(uint16_t seq)
{
    return (uint16_t)((seq + 1u) % TOFHIL_PROTO_SEQ_UNKNOWN); /* the host's seqs skip 0xFFFF */
}

/* The history entry of an already stepped seq, or -1. */
static int tofhil_session_find(uint16_t seq)
{
    unsigned i;
    for (i = 0; i < tofhil_app_session.used; ++i) {
        if (tofhil_app_session.seqs[i] == seq) {
            return (int)i;
        }
    }
    return -1;
}

/* May an inference request with this seq run? OK, or OUT_OF_ORDER (inside a session, a seq that is neither the
 * next one nor one already stepped). */
static tofhil_status_t tofhil_session_admit(uint16_t seq)
{
    if (tofhil_app_session.active && seq != tofhil_app_session.expected && tofhil_session_find(seq) < 0) {
        return TOFHIL_STATUS_OUT_OF_ORDER;
    }
    return TOFHIL_STATUS_OK;
}

/* The label shown after this request's frame: stepped once per seq (scores unread when valid is 0). */
static int16_t tofhil_session_step(uint16_t seq, const int8_t *scores, int valid)
{
    const int found = tofhil_session_find(seq);
    int16_t shown = -1;
    if (found >= 0) {
        return tofhil_app_session.shown[found];
    }
#if TOFHIL_HAS_POSTPROCESS
    shown = tofhil_postprocess_step(&tofhil_app_filter, scores, valid);
#else
    (void)scores;
    (void)valid;
#endif
    tofhil_app_session.seqs[tofhil_app_session.next] = seq;
    tofhil_app_session.shown[tofhil_app_session.next] = shown;
    tofhil_app_session.next = (uint8_t)((tofhil_app_session.next + 1u) % TOFHIL_SHOWN_HISTORY);
    if (tofhil_app_session.used < TOFHIL_SHOWN_HISTORY) {
        tofhil_app_session.used++;
    }
    tofhil_app_session.expected = tofhil_next_seq(seq);
    return shown;
}

static void tofhil_session_reset(uint8_t active, uint16_t start_seq)
{
    memset(&tofhil_app_session, 0, sizeof tofhil_app_session);
    tofhil_app_session.active = active;
    tofhil_app_session.start_seq = start_seq;
    tofhil_app_session.expected = tofhil_next_seq(start_seq);
#if TOFHIL_HAS_POSTPROCESS
    tofhil_postprocess_reset(&tofhil_app_filter);
#endif
}

/* RESULT's header: status, flags, ticks, the shown label */
static tofhil_payload_t *tofhil_result_begin(uint8_t status, uint8_t echo, uint32_t infer_ticks,
                                             uint32_t preprocess_ticks, int16_t shown)
{
    tofhil_payload_t *p = tofhil_reply_begin();
    uint8_t flags = echo ? TOFHIL_RESULT_FLAG_ECHO : 0u;
    if (TOFHIL_HAS_POSTPROCESS) {
        flags |= TOFHIL_RESULT_FLAG_SHOWN;
    }
    if (tofhil_app_session.active) {
        flags |= TOFHIL_RESULT_FLAG_IN_SESSION;
    }
    tofhil_put_u8(p, status);
    tofhil_put_u8(p, flags);
    tofhil_put_u32(p, infer_ticks);
    tofhil_put_u32(p, preprocess_ticks);
    tofhil_put_u16(p, (uint16_t)shown);
    return p;
}

/* SESSION_START: reset the decision pipeline (a new recording: ST's state at power-up); answered with the
 * pipeline's constants so the host can check they are its configuration's. */
static void tofhil_handle_session_start(const tofhil_packet_t *request)
{
    tofhil_payload_t *p;
    if (request->length != 0u) {
        tofhil_send_error(request->seq, TOFHIL_STATUS_BAD_PAYLOAD);
        return;
    }
    if (!tofhil_app_session.active || tofhil_app_session.start_seq != request->seq) { /* not a resend */
        tofhil_session_reset(1u, request->seq);
    }
    p = tofhil_reply_begin();
#if TOFHIL_HAS_POSTPROCESS
    tofhil_put_u8(p, 1u);
    tofhil_put_u16(p, (uint16_t)(int16_t)TOFHIL_POSTPROCESS_THRESHOLD_Q);
    tofhil_put_u8(p, (uint8_t)TOFHIL_POSTPROCESS_FILTER_LENGTH);
    tofhil_put_u8(p, (uint8_t)TOFHIL_POSTPROCESS_KEEP_LAST_VALID);
    tofhil_put_u16(p, (uint16_t)(int16_t)TOFHIL_POSTPROCESS_NO_POSTURE);
    tofhil_put_u16(p, (uint16_t)TOFHIL_POSTPROCESS_CLASSES);
#else
    tofhil_put_u8(p, 0u);
    tofhil_put_u16(p, 0u);
    tofhil_put_u8(p, 0u);
    tofhil_put_u8(p, 0u);
    tofhil_put_u16(p, 0u);
    tofhil_put_u16(p, 0u);
#endif
    tofhil_send(TOFHIL_MSG_SESSION, request->seq, p);
}

/* Invoke the model on the input already in the arena and send RESULT (or ERROR). */
static void tofhil_infer_and_reply(uint16_t seq, uint32_t preprocess_ticks, int echo)
{
    tofhil_payload_t *p;
    tofhil_timed_mark_t start;
    tofhil_status_t status;
    uint32_t infer_ticks;
    int16_t shown;
    tofhil_board_timed_mark(&start);
    status = tofhil_model_invoke();
    infer_ticks = tofhil_timed_since(&start);
    if (status != TOFHIL_STATUS_OK) {
        tofhil_send_error(seq, (int)status);
        return;
    }
    shown = tofhil_session_step(seq, tofhil_model_output(), 1);
    p = tofhil_result_begin((uint8_t)TOFHIL_STATUS_OK, (uint8_t)echo, infer_ticks, preprocess_ticks, shown);
    tofhil_put_bytes(p, tofhil_model_output(), TOFHIL_MODEL_OUTPUT_SIZE);
    if (echo) {
        tofhil_put_bytes(p, tofhil_app_echo, TOFHIL_MODEL_INPUT_SIZE);
    }
    tofhil_send(TOFHIL_MSG_RESULT, seq, p);
}

static void tofhil_handle_infer_tensor(const tofhil_packet_t *request)
{
    if (request->length != TOFHIL_MODEL_INPUT_SIZE || request->payload == NULL) {
        tofhil_send_error(request->seq, TOFHIL_STATUS_BAD_PAYLOAD);
        return;
    }
    if (tofhil_session_admit(request->seq) != TOFHIL_STATUS_OK) {
        tofhil_send_error(request->seq, TOFHIL_STATUS_OUT_OF_ORDER);
        return;
    }
    memcpy(tofhil_model_input(), request->payload, TOFHIL_MODEL_INPUT_SIZE);
    tofhil_infer_and_reply(request->seq, 0u, 0);
}

#if TOFHIL_HAS_PREPROCESS
static int16_t tofhil_raw_distance[TOFHIL_RAW_FRAME_ZONES];
static uint16_t tofhil_raw_signal[TOFHIL_RAW_FRAME_ZONES];
static uint8_t tofhil_raw_status[TOFHIL_RAW_FRAME_ZONES];

/* Little-endian fields into aligned arrays (the payload itself has no alignment). */
static void tofhil_unpack_raw(const uint8_t *frame)
{
    size_t j;
    for (j = 0; j < TOFHIL_RAW_FRAME_ZONES; ++j) {
        const uint8_t *d = frame + 2u * j, *s = frame + 2u * (TOFHIL_RAW_FRAME_ZONES + j);
        tofhil_raw_distance[j] = (int16_t)(uint16_t)(d[0] | (d[1] << 8));
        tofhil_raw_signal[j] = (uint16_t)(s[0] | (s[1] << 8));
        tofhil_raw_status[j] = frame[4u * TOFHIL_RAW_FRAME_ZONES + j];
    }
}

/* A frame the distance filter dropped decides the no-posture class (ST's output_selection). */
static void tofhil_send_rejected(uint16_t seq, uint32_t preprocess_ticks)
{
    const int16_t shown = tofhil_session_step(seq, NULL, 0);
    tofhil_send(TOFHIL_MSG_RESULT, seq,
                tofhil_result_begin((uint8_t)TOFHIL_STATUS_FRAME_REJECTED, 0u, 0u, preprocess_ticks, shown));
}

static void tofhil_handle_infer_raw(const tofhil_packet_t *request)
{
    tofhil_timed_mark_t start;
    uint32_t ticks;
    tofhil_status_t status;
    int echo;
    if (request->length != TOFHIL_INFER_RAW_SIZE || request->payload == NULL || (request->payload[0] & 0xFEu)) {
        tofhil_send_error(request->seq, TOFHIL_STATUS_BAD_PAYLOAD);
        return;
    }
    if (tofhil_session_admit(request->seq) != TOFHIL_STATUS_OK) {
        tofhil_send_error(request->seq, TOFHIL_STATUS_OUT_OF_ORDER);
        return;
    }
    echo = request->payload[0] & 1u;
    tofhil_unpack_raw(request->payload + 1);
    tofhil_board_timed_mark(&start);
    status = tofhil_preprocess(tofhil_raw_distance, tofhil_raw_signal, tofhil_raw_status, tofhil_model_input());
    ticks = tofhil_timed_since(&start);
    if (status == TOFHIL_STATUS_FRAME_REJECTED) {
        tofhil_send_rejected(request->seq, ticks);
    } else if (status != TOFHIL_STATUS_OK) {
        tofhil_send_error(request->seq, (int)status);
    } else {
        if (echo) { /* before invoke: the arena may reuse the input tensor's bytes */
            memcpy(tofhil_app_echo, tofhil_model_input(), TOFHIL_MODEL_INPUT_SIZE);
        }
        tofhil_infer_and_reply(request->seq, ticks, echo);
    }
}
#else
static void tofhil_handle_infer_raw(const tofhil_packet_t *request)
{
    tofhil_send_error(request->seq, TOFHIL_STATUS_NO_PREPROCESSING);
}
#endif

/* Per-layer validation (LAYER_REQ): run ops 0..layer on the given input, one at a time, and send op `layer`'s
 * output bytes from `offset` (as many as fit) with the ticks of that op alone. Later ops may reuse the bytes of
 * earlier outputs in the arena, so each request runs from op 0: the host asks for every layer in turn. */
#if TOFHIL_MODEL_LAYER_COUNT > 0u
static void tofhil_handle_layer(const tofhil_packet_t *request)
{
    const uint8_t *payload = request->payload;
    unsigned layer, i;
    uint16_t offset, bytes = 0u, count;
    uint32_t ticks = 0u;
    int is_int8 = 0;
    const uint8_t *output;
    tofhil_payload_t *p;
    if (request->length != TOFHIL_LAYER_REQ_HEADER_SIZE + TOFHIL_MODEL_INPUT_SIZE || payload == NULL) {
        tofhil_send_error(request->seq, TOFHIL_STATUS_BAD_PAYLOAD);
        return;
    }
    layer = payload[0];
    offset = (uint16_t)(payload[1] | (payload[2] << 8));
    output = (const uint8_t *)tofhil_model_layer_output(layer, &bytes, &is_int8);
    if (layer >= TOFHIL_MODEL_LAYER_COUNT || output == NULL || offset > bytes || (offset == bytes && bytes != 0u)) {
        tofhil_send_error(request->seq, TOFHIL_STATUS_BAD_ARGUMENT);
        return;
    }
    memcpy(tofhil_model_input(), payload + TOFHIL_LAYER_REQ_HEADER_SIZE, TOFHIL_MODEL_INPUT_SIZE);
    for (i = 0; i <= layer; ++i) {
        tofhil_timed_mark_t start;
        tofhil_status_t status;
        tofhil_board_timed_mark(&start);
        status = tofhil_model_invoke_layer(i);
        ticks = tofhil_timed_since(&start);
        if (status != TOFHIL_STATUS_OK) {
            tofhil_send_error(request->seq, (int)status);
            return;
        }
    }
    count = (uint16_t)((unsigned)bytes - offset > TOFHIL_LAYER_CHUNK ? TOFHIL_LAYER_CHUNK : (unsigned)bytes - offset);
    p = tofhil_reply_begin();
    tofhil_put_u8(p, (uint8_t)TOFHIL_STATUS_OK);
    tofhil_put_u8(p, (uint8_t)layer);
    tofhil_put_u8(p, (uint8_t)TOFHIL_MODEL_LAYER_COUNT);
    tofhil_put_u8(p, is_int8 ? 1u : 0u);
    tofhil_put_u32(p, ticks);
    tofhil_put_u16(p, bytes);
    tofhil_put_u16(p, offset);
    tofhil_put_bytes(p, output + offset, count);
    tofhil_send(TOFHIL_MSG_LAYER, request->seq, p);
}
#else
static void tofhil_handle_layer(const tofhil_packet_t *request)
{
    tofhil_send_error(request->seq, TOFHIL_STATUS_UNKNOWN_MESSAGE);
}
#endif

static void tofhil_handle_stats(const tofhil_packet_t *request)
{
    tofhil_payload_t *p = tofhil_reply_begin();
    tofhil_put_u32(p, tofhil_board_stack_used());
    tofhil_put_u32(p, tofhil_board_stack_size());
    tofhil_put_u32(p, tofhil_app_decoder.frames_ok);
    tofhil_put_u32(p, tofhil_app_decoder.crc_errors);
    tofhil_put_u32(p, tofhil_app_decoder.framing_errors);
    tofhil_put_u32(p, tofhil_board_rx_overflows());
    tofhil_put_u32(p, tofhil_app_rejected);
    tofhil_put_u32(p, tofhil_app_isr_ticks_removed);
    tofhil_put_u32(p, tofhil_app_isr_count_removed);
    tofhil_send(TOFHIL_MSG_STATS, request->seq, p);
}

void tofhil_app_handle(const tofhil_packet_t *request)
{
    if (request == NULL || request->length > TOFHIL_PROTO_MAX_PAYLOAD) {
        tofhil_send_error(TOFHIL_PROTO_SEQ_UNKNOWN, TOFHIL_STATUS_BAD_ARGUMENT);
        return;
    }
    switch (request->type) {
    case TOFHIL_MSG_HELLO_REQ:
    case TOFHIL_MSG_STATS_REQ:
        if (request->length != 0u) {
            tofhil_send_error(request->seq, TOFHIL_STATUS_BAD_PAYLOAD);
        } else if (request->type == TOFHIL_MSG_HELLO_REQ) {
            tofhil_handle_hello(request);
        } else {
            tofhil_handle_stats(request);
        }
        break;
    case TOFHIL_MSG_INFER_RAW:
        tofhil_handle_infer_raw(request);
        break;
    case TOFHIL_MSG_INFER_TENSOR:
        tofhil_handle_infer_tensor(request);
        break;
    case TOFHIL_MSG_LAYER_REQ:
        tofhil_handle_layer(request);
        break;
    case TOFHIL_MSG_SESSION_START:
        tofhil_handle_session_start(request);
        break;
    default:
        tofhil_send_error(request->seq, TOFHIL_STATUS_UNKNOWN_MESSAGE);
        break;
    }
}

void tofhil_app_report_frame_error(int status)
{
    tofhil_send_error(TOFHIL_PROTO_SEQ_UNKNOWN, status);
}

void tofhil_app_init(void)
{
    tofhil_decoder_init(&tofhil_app_decoder);
    tofhil_app_rejected = 0u;
    tofhil_app_isr_ticks_removed = tofhil_app_isr_count_removed = 0u;
    tofhil_session_reset(0u, TOFHIL_PROTO_SEQ_UNKNOWN); /* no session until SESSION_START: a restart ends it */
}

void tofhil_app_push_byte(uint8_t byte)
{
    tofhil_packet_t packet;
    const int result = tofhil_decoder_push(&tofhil_app_decoder, byte, &packet);
    if (result == TOFHIL_STATUS_OK) {
        tofhil_app_handle(&packet);
    } else if (result != TOFHIL_DECODER_PENDING) {
        tofhil_app_report_frame_error(result);
    }
}

void tofhil_app_run(void)
{
    uint8_t byte;
    tofhil_app_init();
    /* Announce every (re)start unasked: a host that sees it knows the board reset, handshakes again and
       re-checks the model before it goes on. Lost when nobody listens yet, which is harmless. */
    tofhil_send_hello(TOFHIL_PROTO_SEQ_UNKNOWN);
    for (;;) {
        tofhil_board_wait_for_input();
        /* The board's RX interrupt keeps filling its ring while a request is handled here. */
        while (tofhil_board_read_byte(&byte)) {
            tofhil_app_push_byte(byte);
        }
    }
}
