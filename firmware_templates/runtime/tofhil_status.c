/*
 * tofhil runtime: status strings. Part of the tofhil int8 runtime, copied into
 * every exported model library by `python -m training export` - do not edit.
 */
#include "tofhil_status.h"

static const char *const tofhil_status_strings[TOFHIL_STATUS_COUNT] = {
#define TOFHIL_STATUS_STRING_ENTRY(name, text) text,
    TOFHIL_STATUS_LIST(TOFHIL_STATUS_STRING_ENTRY)
#undef TOFHIL_STATUS_STRING_ENTRY
};

const char *tofhil_status_string(tofhil_status_t status)
{
    if ((unsigned)status >= (unsigned)TOFHIL_STATUS_COUNT) {
        return "unknown status";
    }
    return tofhil_status_strings[status];
}
