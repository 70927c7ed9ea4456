/*
 * The emulated-speed measurement, built into the real firmware only with -DTOFHIL_BENCH (tofhil/emulated_speed.py
 * passes it with the frames in tofhil_bench_data.h): the board's own timer times tofhil_preprocess and
 * tofhil_model_invoke on each frame (and each op, when TOFHIL_OP_DONE(i) calls tofhil_bench_op_done(i)), every output
 * is checked against the reference, and the counters go out on the board's UART as "name value" lines, then
 * "end". A shipped firmware compiles none of this.
 * Part of the tofhil validation firmware - do not edit in a generated project.
 */
#include <stdint.h>

#include "tofhil_board.h"

typedef int tofhil_bench_unused_t; /* ISO C forbids an empty translation unit */

#ifdef TOFHIL_BENCH
#include "tofhil_bench_data.h"
#include "tofhil_model.h"
#include "tofhil_preprocess.h"

int tofhil_bench_run(void);
void tofhil_bench_op_done(int index);

static uint32_t bench_op_ticks[TOFHIL_BENCH_MAX_OPS];
static uint32_t bench_op_mark;
#ifdef TOFHIL_BENCH_LAYERS
/* The per-layer profile: each op alone through tofhil_model_invoke_layer, as LAYER_REQ times it (hil --per-layer) */
static uint32_t bench_layer_ticks[TOFHIL_BENCH_MAX_OPS];
static int8_t bench_input[TOFHIL_MODEL_INPUT_SIZE];

static void bench_layers(void)
{
    unsigned layer;
    for (layer = 0; layer < TOFHIL_MODEL_LAYER_COUNT && layer < TOFHIL_BENCH_MAX_OPS; ++layer) {
        const uint32_t start = tofhil_board_timer_now();
        (void)tofhil_model_invoke_layer(layer);
        bench_layer_ticks[layer] += tofhil_board_timer_elapsed(start, tofhil_board_timer_now());
    }
}
#endif

void tofhil_bench_op_done(int index)
{
    const uint32_t now = tofhil_board_timer_now();
    if (index >= 0 && index < (int)TOFHIL_BENCH_MAX_OPS) {
        bench_op_ticks[index] += tofhil_board_timer_elapsed(bench_op_mark, now);
    }
    bench_op_mark = tofhil_board_timer_now();
}

static void bench_line(const char *label, uint32_t value)
{
    uint8_t text[48];
    uint8_t digits[10];
    size_t length = 0;
    int n = 0;
    while (label[length] != '\0' && length < 32u) {
        text[length] = (uint8_t)label[length];
        ++length;
    }
    text[length++] = (uint8_t)' ';
    do {
        digits[n++] = (uint8_t)('0' + value % 10u);
        value /= 10u;
    } while (value != 0u);
    while (n > 0) {
        text[length++] = digits[--n];
    }
    text[length++] = (uint8_t)'\n';
    tofhil_board_write(text, length);
}

int tofhil_bench_run(void)
{
    uint32_t frame, preprocess_ticks = 0, inference_ticks = 0, mismatches = 0, rejected = 0;
    int k;
    for (frame = 0; frame < TOFHIL_BENCH_FRAMES; ++frame) {
        uint32_t start = tofhil_board_timer_now();
        const tofhil_status_t status = tofhil_preprocess(tofhil_bench_distance[frame], tofhil_bench_signal[frame],
                                                         tofhil_bench_status[frame], tofhil_model_input());
        preprocess_ticks += tofhil_board_timer_elapsed(start, tofhil_board_timer_now());
        if (status != TOFHIL_STATUS_OK) {
            ++rejected;
            continue;
        }
#ifdef TOFHIL_BENCH_LAYERS
        for (k = 0; k < (int)TOFHIL_MODEL_INPUT_SIZE; ++k) { /* the arena may reuse the input's bytes */
            bench_input[k] = tofhil_model_input()[k];
        }
#endif
        bench_op_mark = tofhil_board_timer_now();
        start = tofhil_board_timer_now();
        (void)tofhil_model_invoke();
        inference_ticks += tofhil_board_timer_elapsed(start, tofhil_board_timer_now());
        for (k = 0; k < (int)TOFHIL_MODEL_OUTPUT_SIZE; ++k) {
            if (tofhil_model_output()[k] != tofhil_bench_expected[frame][k]) {
                ++mismatches;
                break;
            }
        }
#ifdef TOFHIL_BENCH_LAYERS
        for (k = 0; k < (int)TOFHIL_MODEL_INPUT_SIZE; ++k) {
            tofhil_model_input()[k] = bench_input[k];
        }
        bench_layers();
#endif
    }
    bench_line("frames", TOFHIL_BENCH_FRAMES);
    bench_line("rejected", rejected);
    bench_line("mismatches", mismatches);
    bench_line("preprocess_ticks", preprocess_ticks);
    bench_line("inference_ticks", inference_ticks);
    bench_line("timer_hz", tofhil_board_timer_hz());
    for (k = 0; k < (int)TOFHIL_BENCH_MAX_OPS; ++k) {
        bench_line("op_index", (uint32_t)k);
        bench_line("op_ticks", bench_op_ticks[k]);
#ifdef TOFHIL_BENCH_LAYERS
        bench_line("layer_ticks", bench_layer_ticks[k]);
#endif
    }
    tofhil_board_write((const uint8_t *)"end\n", 4u);
    for (;;) {
        tofhil_board_wait_for_input();
    }
}
#endif /* TOFHIL_BENCH */
