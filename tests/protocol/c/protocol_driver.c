/*
 * Test driver of tofhil_protocol.c: one command per stdin line, one answer per line on stdout
 * (tests/protocol/test_protocol_c.py writes the golden vectors and random cases and checks):
 *   constants                      -> constants MAX_PAYLOAD MAX_PACKET MAX_ENCODED SEQ_UNKNOWN
 *   crc HEX                        -> crc XXXXXXXX
 *   encode TYPE SEQ HEX [OUT_SIZE] -> frame HEX | frame none
 *   decode HEX                     -> per event "packet TYPE SEQ HEX" or "error NAME"; then
 *                                     "end FRAMES_OK CRC_ERRORS FRAMING_ERRORS PENDING_BYTES"
 */
#include <stdlib.h>

#include "driver_io.h"
#include "tofhil_protocol.h"

static const char *const tofhil_driver_status_names[] = {
#define TOFHIL_DRIVER_NAME_ENTRY(name, text) #name,
    TOFHIL_STATUS_LIST(TOFHIL_DRIVER_NAME_ENTRY)
#undef TOFHIL_DRIVER_NAME_ENTRY
};

static const char *tofhil_driver_status_name(int status)
{
    if (status < 0 || status >= (int)TOFHIL_STATUS_COUNT) {
        return "UNKNOWN";
    }
    return tofhil_driver_status_names[status];
}

static uint8_t tofhil_driver_frame[TOFHIL_PROTO_MAX_ENCODED + 1u];
static tofhil_decoder_t tofhil_driver_decoder;

static void tofhil_driver_encode(char *args)
{
    const long type = strtol(strtok(args, " "), NULL, 10), seq = strtol(strtok(NULL, " "), NULL, 10);
    const long length = tofhil_driver_hex(strtok(NULL, " "));
    const char *size_token = strtok(NULL, " ");
    size_t size = size_token ? (size_t)strtoul(size_token, NULL, 10) : sizeof tofhil_driver_frame;
    size_t n;
    if (length < 0 || length > 0xFFFF) {
        puts("frame malformed-command");
        return;
    }
    size = size < sizeof tofhil_driver_frame ? size : sizeof tofhil_driver_frame;
    n = tofhil_encode_frame((uint8_t)type, (uint16_t)seq, tofhil_driver_bytes, (uint16_t)length,
                            tofhil_driver_frame, size);
    fputs("frame ", stdout);
    if (n == 0u) {
        puts("none");
        return;
    }
    tofhil_driver_print_hex(tofhil_driver_frame, n);
    putchar('\n');
}

static void tofhil_driver_decode(const char *hex)
{
    const long length = tofhil_driver_hex(hex);
    long i;
    tofhil_decoder_init(&tofhil_driver_decoder);
    for (i = 0; i < length; ++i) {
        tofhil_packet_t packet;
        const int result = tofhil_decoder_push(&tofhil_driver_decoder, tofhil_driver_bytes[i], &packet);
        if (result == TOFHIL_STATUS_OK) {
            printf("packet %u %u ", packet.type, packet.seq);
            tofhil_driver_print_hex(packet.payload, packet.length);
            putchar('\n');
        } else if (result != TOFHIL_DECODER_PENDING) {
            printf("error %s\n", tofhil_driver_status_name(result));
        }
    }
    printf("end %lu %lu %lu %u\n", (unsigned long)tofhil_driver_decoder.frames_ok,
           (unsigned long)tofhil_driver_decoder.crc_errors, (unsigned long)tofhil_driver_decoder.framing_errors,
           (unsigned)tofhil_driver_decoder.fill);
}

int main(void)
{
    char *line;
    while ((line = tofhil_driver_read_line()) != NULL) {
        if (strcmp(line, "constants") == 0) {
            printf("constants %u %u %u %u\n", TOFHIL_PROTO_MAX_PAYLOAD, TOFHIL_PROTO_MAX_PACKET,
                   TOFHIL_PROTO_MAX_ENCODED, TOFHIL_PROTO_SEQ_UNKNOWN);
        } else if (strncmp(line, "crc ", 4) == 0) {
            const long length = tofhil_driver_hex(line + 4);
            printf("crc %08lx\n", (unsigned long)tofhil_crc32(tofhil_driver_bytes, length < 0 ? 0u : (size_t)length));
        } else if (strncmp(line, "encode ", 7) == 0) {
            tofhil_driver_encode(line + 7);
        } else if (strncmp(line, "decode ", 7) == 0) {
            tofhil_driver_decode(line + 7);
        } else {
            printf("unknown-command %s\n", line);
        }
        fflush(stdout);
    }
    return 0;
}
