/*
 * tofhil host test helper: batch entry points over the generated library, for
 * calling from Python (ctypes) in the exporter's tests. Host builds only; not
 * part of the device library. Part of the tofhil runtime - do not edit.
 */
#include <stdint.h>

#include "tofhil_model.h"
#ifdef TOFHIL_HOST_WITH_PREPROCESS
#include "tofhil_preprocess.h"
#endif

int tofhil_host_run_batch(uint32_t count, const tofhil_model_input_t *inputs, tofhil_model_output_t *outputs)
{
    uint32_t i;
    for (i = 0; i < count; ++i) {
        const tofhil_status_t status = tofhil_model_run(inputs + (uint32_t)i * TOFHIL_MODEL_INPUT_SIZE,
                                                        outputs + (uint32_t)i * TOFHIL_MODEL_OUTPUT_SIZE);
        if (status != TOFHIL_STATUS_OK) {
            return (int)status;
        }
    }
    return 0;
}

#ifdef TOFHIL_HOST_WITH_PREPROCESS
/* kept[i] = 1 and inputs row i written when frame i passes the filter, else kept[i] = 0. */
int tofhil_host_preprocess_batch(uint32_t count, const int16_t *distance_mm, const uint16_t *signal_per_spad,
                                 const uint8_t *target_status, tofhil_model_input_t *inputs, uint8_t *kept)
{
    uint32_t i;
    for (i = 0; i < count; ++i) {
        const uint32_t zones = (uint32_t)i * TOFHIL_ZONES;
        const tofhil_status_t status =
            tofhil_preprocess(distance_mm + zones, signal_per_spad + zones, target_status + zones,
                              inputs + (uint32_t)i * TOFHIL_MODEL_INPUT_SIZE);
        if (status != TOFHIL_STATUS_OK && status != TOFHIL_STATUS_FRAME_REJECTED) {
            return (int)status;
        }
        kept[i] = status == TOFHIL_STATUS_OK ? 1u : 0u;
    }
    return 0;
}
#endif
