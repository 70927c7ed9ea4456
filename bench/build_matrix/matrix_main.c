/*
 * Build-matrix benchmark (bench/bench_build_matrix.py) on the emulated board: for every frame of
 * matrix_data.h, the SysTick ticks of tofhil_preprocess and of tofhil_model_invoke, whether the frame
 * was kept, its int8 input tensor and its outputs checked byte for byte against the references
 * (Python's preprocessing, TFLite's BUILTIN_REF), and the deepest stack either call used.
 * Under -icount shift=0 SysTick counts 0.168 ticks per instruction. Output: semihosting lines.
 */
#include <stdint.h>

#include "matrix_data.h"
#include "tofhil_model.h"
#include "tofhil_preprocess.h"

void matrix_write(const char *text);

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define STACK_PAINT_WORDS 1024u   /* 4 KiB below main's frame: far more than the library may use */
#define PAINT 0xC5A5C5A5u

static uint32_t preprocess_ticks[MATRIX_FRAMES];
static uint32_t inference_ticks[MATRIX_FRAMES];
static uint8_t frame_state[MATRIX_FRAMES];   /* 0 ok, 1 rejected, 2 wrong keep decision, 3 wrong input, 4 wrong output */

static uint32_t since(uint32_t start)
{
    return (start - SYST_CVR) & 0xFFFFFFu;   /* SysTick counts down, 24 bits */
}

static void write_line(const char *label, const uint32_t *values, int count)
{
    char text[96];
    int i = 0, v;
    while (label[i] != '\0' && i < 32) {
        text[i] = label[i];
        ++i;
    }
    for (v = 0; v < count; ++v) {
        char digits[12];
        uint32_t value = values[v];
        int n = 0;
        text[i++] = ' ';
        do {
            digits[n++] = (char)('0' + value % 10u);
            value /= 10u;
        } while (value != 0u);
        while (n > 0) {
            text[i++] = digits[--n];
        }
    }
    text[i++] = '\n';
    text[i] = '\0';
    matrix_write(text);
}

static uint32_t current_sp(void)
{
    uint32_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    return sp;
}

/* The frames, measured; a separate function so that its stack frame is below main's paint mark. */
static uint32_t run_frames_sp;

static __attribute__((noinline)) void run_frames(void)
{
    uint32_t frame;
    int k;
    run_frames_sp = current_sp();
    for (frame = 0; frame < MATRIX_FRAMES; ++frame) {
        tofhil_status_t status;
        uint32_t start = SYST_CVR;
        status = tofhil_preprocess(matrix_distance[frame], matrix_signal[frame], matrix_status[frame],
                                   tofhil_model_input());
        preprocess_ticks[frame] = since(start);
        if ((status == TOFHIL_STATUS_OK) != (matrix_kept[frame] != 0u)) {
            frame_state[frame] = 2u;
            continue;
        }
        if (status != TOFHIL_STATUS_OK) {
            frame_state[frame] = 1u;
            continue;
        }
        for (k = 0; k < (int)TOFHIL_MODEL_INPUT_SIZE; ++k) {
            if (tofhil_model_input()[k] != matrix_input[frame][k]) {
                frame_state[frame] = 3u;
            }
        }
        start = SYST_CVR;
        (void)tofhil_model_invoke();
        inference_ticks[frame] = since(start);
        for (k = 0; k < (int)TOFHIL_MODEL_OUTPUT_SIZE; ++k) {
            if (tofhil_model_output()[k] != matrix_expected[frame][k] && frame_state[frame] == 0u) {
                frame_state[frame] = 4u;
            }
        }
    }
}

int main(void)
{
    volatile uint32_t *const mark = (volatile uint32_t *)(current_sp() - 64u);
    uint32_t i, depth = 0, bad = 0;
    for (i = 1; i <= STACK_PAINT_WORDS; ++i) {
        mark[-(int32_t)i] = PAINT;
    }
    SYST_RVR = 0xFFFFFFu;
    SYST_CVR = 0u;
    SYST_CSR = 5u;   /* enable, processor clock, no interrupt */
    run_frames();
    for (i = STACK_PAINT_WORDS; i >= 1u; --i) {
        if (mark[-(int32_t)i] != PAINT) {
            depth = run_frames_sp - ((uint32_t)mark - 4u * i);   /* the library's deepest call */
            break;
        }
    }
    write_line("stack", &depth, 1);
    for (i = 0; i < MATRIX_FRAMES; ++i) {
        const uint32_t values[4] = {i, frame_state[i], preprocess_ticks[i], inference_ticks[i]};
        bad += frame_state[i] >= 2u ? 1u : 0u;
        write_line("frame", values, 4);
    }
    write_line("done", &bad, 1);
    return bad == 0u ? 0 : 1;
}
