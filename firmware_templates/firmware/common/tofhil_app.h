/*
 * tofhil firmware: the message handlers (HELLO, INFER_RAW, INFER_TENSOR, STATS) over the
 * generated model and preprocessing. Every reply goes out through tofhil_board_write.
 * Part of the tofhil validation firmware - do not edit in a generated project.
 */
#ifndef TOFHIL_APP_H
#define TOFHIL_APP_H

#include "tofhil_protocol.h"

/* Answer one decoded request (always exactly one reply frame: the answer or an ERROR). */
void tofhil_app_handle(const tofhil_packet_t *request);
/* Report a discarded frame (decoder error) with an ERROR reply, seq TOFHIL_PROTO_SEQ_UNKNOWN. */
void tofhil_app_report_frame_error(int status);
/* Reset the app's decoder and counters (tofhil_app_run starts with it). */
void tofhil_app_init(void);
/* One received byte: into the app's decoder; a completed frame is handled (or reported) at once. */
void tofhil_app_push_byte(uint8_t byte);
/*
 * The protocol loop (call after tofhil_board_init): wait for input, push every waiting byte,
 * repeat. Never returns. tofhil_board_wait_for_input must return at once if a byte is waiting.
 */
void tofhil_app_run(void);

#endif /* TOFHIL_APP_H */
