/*
 * frontend.h: keyward-frontend parses every client byte and holds nothing
 * worth stealing: no key, no PIN, no ledger.
 */
#ifndef KEYWARD_FRONTEND_H
#define KEYWARD_FRONTEND_H

#include <stddef.h>
#include <stdint.h>

struct conf;
struct event_base;
struct ipc_msg;

#define FRONT_FD_HTTP		3
#define FRONT_FD_SIGNER0	4	/* then one per signer worker */
#define HTTP_HEADERS_MAX	(32 * 1024)
#define HTTP_BODY_MAX		(64 * 1024)
#define HTTP_TIMEOUT_S		30

/* main.c */
int	signer_call(struct ipc_msg *req, struct ipc_msg *ans);

/* http.c */
int	http_init(struct event_base *, const struct conf *, int fd);

#endif
