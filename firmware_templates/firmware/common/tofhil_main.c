/*
 * tofhil firmware: the entry point, the same on every board. The board layer brings up
 * clocks, UART and timer; the app runs the protocol loop and never returns.
 * Part of the tofhil validation firmware - do not edit in a generated project.
 */
#include "tofhil_app.h"
#include "tofhil_board.h"

#ifdef TOFHIL_BENCH
int tofhil_bench_run(void); /* tofhil_bench.c: the emulated-speed build only */
#endif

int main(void)
{
    tofhil_board_init();
#ifdef TOFHIL_BENCH
    return tofhil_bench_run();
#endif
    tofhil_app_run();
    return 0;
}
