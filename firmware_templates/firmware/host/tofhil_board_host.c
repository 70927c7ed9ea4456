/*
 * tofhil firmware, host board layer: the same firmware as a Linux program that serves the
 * protocol on a pseudo-terminal. It prints "TOFHIL_PTY <path>" on stdout, then answers
 * whoever opens that path (pyserial included). SIGTERM, SIGINT or SIGHUP end it with exit 0.
 * The timer is CLOCK_MONOTONIC in nanoseconds (32 bits: intervals under 4.29 s). There is no
 * painted stack on the host: the stack figures are 0.
 * Part of the tofhil validation firmware - do not edit in a generated project.
 */
/* POSIX pty and cfmakeraw: the build defines _XOPEN_SOURCE=700 and _DEFAULT_SOURCE (before any header) */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "tofhil_board.h"
#include "tofhil_board_config.h"

#define TOFHIL_HOST_POLL_MS 200
#define TOFHIL_HOST_READ_CHUNK 512

static int tofhil_master_fd = -1;
static int tofhil_slave_fd = -1;
static volatile sig_atomic_t tofhil_stop_requested;
static uint8_t tofhil_rx_chunk[TOFHIL_HOST_READ_CHUNK];
static size_t tofhil_rx_fill, tofhil_rx_next;

static void tofhil_host_on_signal(int signal_number)
{
    (void)signal_number;
    tofhil_stop_requested = 1;
}

static void tofhil_host_fail(const char *what)
{
    perror(what);
    exit(1);
}

static void tofhil_host_exit_if_stopped(void)
{
    if (tofhil_stop_requested) {
        close(tofhil_slave_fd);
        close(tofhil_master_fd);
        exit(0);
    }
}

static void tofhil_host_signals(void)
{
    struct sigaction action;
    action.sa_handler = tofhil_host_on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; /* no SA_RESTART: poll returns EINTR and the loop sees the request */
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGHUP, &action, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static void tofhil_host_open_pty(void)
{
    struct termios raw;
    const char *path;
    tofhil_master_fd = posix_openpt(O_RDWR | O_NOCTTY);
    if (tofhil_master_fd < 0 || grantpt(tofhil_master_fd) != 0 || unlockpt(tofhil_master_fd) != 0) {
        tofhil_host_fail("tofhil host board: posix_openpt");
    }
    path = ptsname(tofhil_master_fd);
    if (path == NULL) {
        tofhil_host_fail("tofhil host board: ptsname");
    }
    /* holding the slave open keeps the master readable (no hang-up) between clients */
    tofhil_slave_fd = open(path, O_RDWR | O_NOCTTY);
    if (tofhil_slave_fd < 0 || tcgetattr(tofhil_slave_fd, &raw) != 0) {
        tofhil_host_fail("tofhil host board: open pty slave");
    }
    cfmakeraw(&raw);
    if (tcsetattr(tofhil_slave_fd, TCSANOW, &raw) != 0) {
        tofhil_host_fail("tofhil host board: raw mode");
    }
    fcntl(tofhil_master_fd, F_SETFL, fcntl(tofhil_master_fd, F_GETFL) | O_NONBLOCK);
    printf("TOFHIL_PTY %s\n", path);
    fflush(stdout);
}

void tofhil_board_init(void)
{
    tofhil_host_signals();
    tofhil_host_open_pty();
}

void tofhil_board_write(const uint8_t *data, size_t length)
{
    size_t sent = 0;
    while (sent < length) {
        ssize_t written = write(tofhil_master_fd, data + sent, length - sent);
        if (written > 0) {
            sent += (size_t)written;
        } else if (written < 0 && errno != EAGAIN && errno != EINTR) {
            tofhil_host_fail("tofhil host board: write");
        } else {
            struct pollfd writable = {tofhil_master_fd, POLLOUT, 0};
            (void)poll(&writable, 1, TOFHIL_HOST_POLL_MS);
            tofhil_host_exit_if_stopped();
        }
    }
}

int tofhil_board_read_byte(uint8_t *byte)
{
    if (tofhil_rx_next == tofhil_rx_fill) {
        ssize_t got = read(tofhil_master_fd, tofhil_rx_chunk, sizeof tofhil_rx_chunk);
        if (got <= 0) {
            return 0;
        }
        tofhil_rx_fill = (size_t)got;
        tofhil_rx_next = 0;
    }
    *byte = tofhil_rx_chunk[tofhil_rx_next++];
    return 1;
}

void tofhil_board_wait_for_input(void)
{
    struct pollfd readable = {tofhil_master_fd, POLLIN, 0};
    tofhil_host_exit_if_stopped();
    if (tofhil_rx_next == tofhil_rx_fill) {
        (void)poll(&readable, 1, TOFHIL_HOST_POLL_MS);
    }
    tofhil_host_exit_if_stopped();
}

uint32_t tofhil_board_timer_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint32_t)((uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec);
}

uint32_t tofhil_board_timer_elapsed(uint32_t start, uint32_t end)
{
    return end - start;
}

void tofhil_board_timed_mark(tofhil_timed_mark_t *mark)
{
    /* no interrupts: the host reads its link in the main loop, never during a timed section */
    mark->ticks = tofhil_board_timer_now();
    mark->isr_ticks = 0u;
    mark->isr_count = 0u;
}

uint8_t tofhil_board_timer_kind(void)
{
    return (uint8_t)TOFHIL_TIMER_HOST_NS;
}

uint32_t tofhil_board_timer_hz(void)
{
    return 1000000000u;
}

uint32_t tofhil_board_core_clock_hz(void)
{
    return 0u;
}

const char *tofhil_board_name(void)
{
    return TOFHIL_BOARD_NAME;
}

uint32_t tofhil_board_stack_used(void)
{
    return 0u;
}

uint32_t tofhil_board_stack_size(void)
{
    return 0u;
}

uint32_t tofhil_board_rx_overflows(void)
{
    return 0u;
}
