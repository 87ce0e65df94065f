/*
 * frontend.h: keyward-frontend parses every client byte and holds nothing
 * worth stealing: no key, no PIN, no ledger.
 */
#ifndef KEYWARD_FRONTEND_H
#define KEYWARD_FRONTEND_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

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
/*
 * A response valid from this_update to next_update (RFC 5019 6.2):
 * Last-Modified, Expires, ETag and Cache-Control max-age; 304 when the
 * client's If-None-Match is etag.
 */
void	http_cached(struct evhttp_request *, const char *type,
	    const void *body, size_t len, time_t this_update,
	    time_t next_update, const char *etag);
int	http_hold(struct evhttp_request *);
void	http_ask_signer(struct evhttp_request *, uint16_t type, peer_cb *);

/* crl_http.c */
void	crl_http_init(const struct conf *);
int	crl_http_route(struct evhttp_request *, const char *path);
uint64_t crl_http_number(void);
void	crl_http_set(uint64_t number, time_t this_update, time_t next_update,
	    const uint8_t *der, size_t len);
void	crl_http_free(void);

/* ocsp_http.c */
void	ocsp_http_init(const struct conf *);
int	ocsp_http_route(struct evhttp_request *, const char *path);

/* ocsp_client.c: the signer's side of OCSP and CRL; the cache's feed. */
struct ocsp_issuer;
struct ocsp_request;
/* A live answer: r 0 with the response (seq > 0 if it is the stored
 * nonce-free one), 1 if the signer does not serve the issuer, -1 if it
 * could not answer. */
typedef void	ocsp_live_cb(void *arg, int r, const uint8_t *der, size_t len,
		    uint64_t seq, time_t this_update, time_t next_update);
int	ocsp_client_init(struct event_base *);
void	ocsp_client_free(void);
const struct ocsp_issuer *ocsp_client_issuer(void);
void	ocsp_client_live(const struct ocsp_request *, ocsp_live_cb *,
	    void *arg);

/* scep_http.c */
int	scep_http_init(const struct conf *);
int	scep_http_route(struct evhttp_request *, const char *path);

#endif
