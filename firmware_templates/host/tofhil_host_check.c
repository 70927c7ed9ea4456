/*
 * tofhil host check: a stand-alone program over the generated library, built with
 * -fsanitize=address,undefined by the exporter's tests (a sanitized shared library
 * cannot be loaded into Python). Host builds only. Part of the tofhil runtime - do not edit.
 *
 *   tofhil_host_check model INPUTS OUTPUTS        raw tensors, one after another
 *   tofhil_host_check preprocess FRAMES INPUTS    frames: int16 distance[64], uint16 signal[64], uint8 status[64];
 *                                                 writes one kept byte, then the input tensor, per frame
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tofhil_model.h"
#ifdef TOFHIL_HOST_WITH_PREPROCESS
#include "tofhil_preprocess.h"
#endif

static int fail(const char *what, const char *path)
{
    fprintf(stderr, "tofhil_host_check: %s %s\n", what, path);
    return 1;
}

static int run_model(FILE *in, FILE *out)
{
    tofhil_model_input_t input[TOFHIL_MODEL_INPUT_SIZE];
    tofhil_model_output_t output[TOFHIL_MODEL_OUTPUT_SIZE];
    while (fread(input, sizeof input, 1, in) == 1) {
        if (tofhil_model_run(input, output) != TOFHIL_STATUS_OK || fwrite(output, sizeof output, 1, out) != 1) {
            return 1;
        }
    }
    return 0;
}

#ifdef TOFHIL_HOST_WITH_PREPROCESS
static int run_preprocess(FILE *in, FILE *out)
{
    int16_t distance[TOFHIL_ZONES];
    uint16_t signal[TOFHIL_ZONES];
    uint8_t status[TOFHIL_ZONES];
    tofhil_model_input_t input[TOFHIL_MODEL_INPUT_SIZE];
    while (fread(distance, sizeof distance, 1, in) == 1 && fread(signal, sizeof signal, 1, in) == 1 &&
           fread(status, sizeof status, 1, in) == 1) {
        const tofhil_status_t result = tofhil_preprocess(distance, signal, status, input);
        const uint8_t kept = result == TOFHIL_STATUS_OK ? 1u : 0u;
        if (result != TOFHIL_STATUS_OK && result != TOFHIL_STATUS_FRAME_REJECTED) {
            return 1;
        }
        if (!kept) {
            memset(input, 0, sizeof input);
        }
        if (fwrite(&kept, 1, 1, out) != 1 || fwrite(input, sizeof input, 1, out) != 1) {
            return 1;
        }
    }
    return 0;
}
#endif

int main(int argc, char **argv)
{
    FILE *in;
    FILE *out;
    int status = 2;
    if (argc != 4) {
        fprintf(stderr, "usage: tofhil_host_check model|preprocess IN OUT\n");
        return 2;
    }
    in = fopen(argv[2], "rb");
    if (in == NULL) {
        return fail("cannot read", argv[2]);
    }
    out = fopen(argv[3], "wb");
    if (out == NULL) {
        fclose(in);
        return fail("cannot write", argv[3]);
    }
    if (strcmp(argv[1], "model") == 0) {
        status = run_model(in, out);
    }
#ifdef TOFHIL_HOST_WITH_PREPROCESS
    if (strcmp(argv[1], "preprocess") == 0) {
        status = run_preprocess(in, out);
    }
#endif
    fclose(in);
    fclose(out);
    return status;
}
