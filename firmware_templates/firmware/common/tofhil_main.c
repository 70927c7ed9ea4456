/*
 * tofhil firmware: the entry point, the same on every board. The board layer brings up
 * clocks, UART and timer; the app runs the protocol loop and never returns.
 * Part of the tofhil validation firmware - do not edit in a generated project.
 */
#include "tofhil_app.h"
#include "tofhil_board.h"

int main(void)
{
    tofhil_board_init();
    tofhil_app_run();
    return 0;
}
