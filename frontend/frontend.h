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
struct evhttp_request;
struct ipc_msg;

#define FRONT_FD_HTTP		3
#define FRONT_FD_VALIDATOR	4
#define FRONT_FD_SIGNER0	5	/* then one per signer worker */
#define HTTP_HEADERS_MAX	(32 * 1024)
#define HTTP_BODY_MAX		(64 * 1024)
#define HTTP_TIMEOUT_S		30

/* peers.c */
void	peers_collect(uint32_t ca_id);
int	signer_call(struct ipc_msg *req, struct ipc_msg *ans);
int	validator_call(struct ipc_msg *req, struct ipc_msg *ans);

/* scep_http.c */
int	scep_http_init(const struct conf *);
int	scep_http_route(struct evhttp_request *, const char *path);

/* http.c */
void	http_reply(struct evhttp_request *, int code, const char *reason,
	    const char *type, const void *body, size_t len);

/* http.c */
int	http_init(struct event_base *, const struct conf *, int fd);

#endif
