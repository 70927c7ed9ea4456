/*
 * Line I/O shared by the protocol test drivers: read a command line from stdin, parse hex
 * tokens, print bytes as hex. Test code only (tests/protocol/test_protocol_c.py runs it).
 */
#ifndef TOFHIL_DRIVER_IO_H
#define TOFHIL_DRIVER_IO_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define TOFHIL_DRIVER_LINE 2000000
#define TOFHIL_DRIVER_BYTES (TOFHIL_DRIVER_LINE / 2)

static char tofhil_driver_line[TOFHIL_DRIVER_LINE];
static uint8_t tofhil_driver_bytes[TOFHIL_DRIVER_BYTES];

static int tofhil_driver_nibble(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

/* Hex token ("-" = empty) into tofhil_driver_bytes; returns its length, or -1 if malformed. */
static long tofhil_driver_hex(const char *token)
{
    size_t i, n;
    if (token == NULL) {
        return -1;
    }
    if (strcmp(token, "-") == 0) {
        return 0;
    }
    n = strlen(token);
    if (n % 2u != 0u || n / 2u > TOFHIL_DRIVER_BYTES) {
        return -1;
    }
    for (i = 0; i < n / 2u; ++i) {
        const int hi = tofhil_driver_nibble(token[2u * i]), lo = tofhil_driver_nibble(token[2u * i + 1u]);
        if (hi < 0 || lo < 0) {
            return -1;
        }
        tofhil_driver_bytes[i] = (uint8_t)(hi * 16 + lo);
    }
    return (long)(n / 2u);
}

static void tofhil_driver_print_hex(const uint8_t *data, size_t length)
{
    size_t i;
    if (length == 0u) {
        fputs("-", stdout);
    }
    for (i = 0; i < length; ++i) {
        printf("%02x", data[i]);
    }
}

/* Next line without its newline, or NULL at the end of input. */
static char *tofhil_driver_read_line(void)
{
    char *end;
    if (fgets(tofhil_driver_line, sizeof tofhil_driver_line, stdin) == NULL) {
        return NULL;
    }
    end = strchr(tofhil_driver_line, '\n');
    if (end != NULL) {
        *end = '\0';
    }
    return tofhil_driver_line;
}

#endif /* TOFHIL_DRIVER_IO_H */
