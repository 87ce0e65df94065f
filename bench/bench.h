/*
 * bench.h: scep-bench, SCEP enrolment throughput of a running keyward
 * against the bound its token sets.  See scep-bench.c.
 */
#ifndef KEYWARD_BENCH_H
#define KEYWARD_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "scepmsg.h"

struct conf;

/* One prebuilt PKIOperation and what became of it. */
struct bench_req {
	struct scepmsg	 br_msg;
	uint8_t		*br_der;	/* the pkiMessage (OPENSSL_free) */
	size_t		 br_len;
	double		 br_sent;	/* bench_now() seconds */
	double		 br_done;
	int		 br_code;	/* HTTP status, 0: no answer */
	uint8_t		*br_reply;	/* the CertRep (free) */
	size_t		 br_replylen;
};

/* Seconds per operation of the three token operations of an enrolment. */
struct bench_token {
	double		 bt_unwrap;	/* RA key: RSA decryption of the CEK */
	double		 bt_cert;	/* CA key: signing a certificate */
	double		 bt_reply;	/* RA key: signing the CertRep */
	int		 bt_workers;	/* signer worker processes */
};

/* scep-bench.c */
double	bench_now(void);		/* monotonic seconds */

/* requests.c */
/*
 * n PKCSReqs, one RSA-2048 key each, enveloped to ra with AES-128; keys
 * are read from keyfile (PEM) first and new ones appended to it.
 */
int	requests_build(struct bench_req *, int n, X509 *ra,
	    const char *challenge, const char *keyfile);
void	requests_free(struct bench_req *, int n);

/* load.c */
/* Sends every request over conns keep-alive connections; wall seconds. */
int	load_run(const char *url, struct bench_req *, int n, int conns,
	    double *wall);

/* tokentime.c */
/* Times each operation iters times through libp11 with keyward's keys. */
int	tokentime_measure(const struct conf *, int iters, struct bench_token *);

#endif
