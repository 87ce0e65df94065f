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
struct evhttp;
struct evhttp_request;
struct ipc_msg;

#define FRONT_FD_HTTP		3
#define FRONT_FD_VALIDATOR	4
#define FRONT_FD_SIGNER0	5	/* then one per signer worker */

/* An IPC answer, or NULL when the connection was lost before it came. */
typedef void	peer_cb(void *arg, struct ipc_msg *ans);

/* main.c */
void	frontend_quit(int status);

/* peers.c */
void	peers_collect(uint32_t ca_id);
void	peers_start(struct event_base *);
void	peers_free(void);
int	signer_send(struct ipc_msg *req, peer_cb *, void *arg);
int	validator_send(struct ipc_msg *req, peer_cb *, void *arg);

/* conns.c */
int	conns_init(struct event_base *, struct evhttp *, int fd,
	    const struct conf *);
void	conns_busy(struct evhttp_request *);
int	conns_inflight(void);
void	conns_reply(struct evhttp_request *);
void	conns_stop(void);
void	conns_free(void);

/* http.c */
int	http_init(struct event_base *, const struct conf *, int fd);
void	http_free(void);
void	http_reply(struct evhttp_request *, int code, const char *type,
	    const void *body, size_t len);
void	http_text(struct evhttp_request *, int code, const char *text);
int	http_hold(struct evhttp_request *);
void	http_ask_signer(struct evhttp_request *, uint16_t type, peer_cb *);

/* scep_http.c */
int	scep_http_init(const struct conf *);
int	scep_http_route(struct evhttp_request *, const char *path);

#endif
