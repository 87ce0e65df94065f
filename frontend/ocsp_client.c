/*
 * ocsp_client.c: the frontend's OCSP and CRL traffic with the signer,
 * asynchronous like all its IPC: one call asks for a live response, a
 * timer pulls the pre-signed responses and the CRL.  Serving from the
 * cache needs neither.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include <openssl/x509.h>

#include "common.h"
#include "config.h"
#include "frontend.h"
#include "ipc.h"
#include "ocsp.h"

#define PULL_MS		250	/* a revocation shows within this */
#define PULL_PAGES	64	/* answers of up to 1 MB per tick */

static struct ocsp_issuer	 issuer;
static uint64_t			 pulled;	/* last sequence number held */
static struct event		*pull_ev;

static void	pull(evutil_socket_t, short, void *);
static void	pull_rearm(void);
static void	pull_page(void);
static void	page_done(void *, struct ipc_msg *);
static void	pull_crl(void);
static void	crl_done(void *, struct ipc_msg *);
static void	issuer_done(void *, struct ipc_msg *);
static void	live_answer(void *, struct ipc_msg *);
static int	get_row(struct ipc_msg *);

/* A live request's callback, until the signer answers. */
struct live_call {
	ocsp_live_cb	*lc_cb;
	void		*lc_arg;
};

const struct ocsp_issuer *
ocsp_client_issuer(void)
{
	return &issuer;
}

/* IPC callback: the signer's live answer, or why there is none. */
static void
live_answer(void *arg, struct ipc_msg *a)
{
	struct live_call	*lc = arg;
	const uint8_t		*d = NULL;
	size_t			 len = 0;
	uint64_t		 seq = 0, t0 = 0, t1 = 0;
	uint32_t		 code;
	int			 r = -1;

	if (a != NULL && a->m_hdr.h_type == IPC_ANS_ERROR) {
		/* Only "not our issuer" is final; the rest may pass. */
		ipc_get_u32(a, &code);
		r = code == IPC_ERR_POLICY ? 1 : -1;
	} else if (a != NULL && a->m_hdr.h_type == IPC_ANS_OCSP) {
		ipc_get_bytes(a, &d, &len, OCSP_RESP_MAX);
		ipc_get_u64(a, &seq);
		ipc_get_u64(a, &t0);
		ipc_get_u64(a, &t1);
		if (ipc_get_end(a) == 0 && len > 0)
			r = 0;
	}
	lc->lc_cb(lc->lc_arg, r, d, len, seq, (time_t)t0, (time_t)t1);
	free(lc);
}

/* Asks the signer to answer oq; cb runs with the outcome, exactly once. */
void
ocsp_client_live(const struct ocsp_request *oq, ocsp_live_cb *cb, void *arg)
{
	struct live_call	*lc;
	struct ipc_msg		 q;
	size_t			 i;

	if ((lc = calloc(1, sizeof(*lc))) == NULL) {
		cb(arg, -1, NULL, 0, 0, 0, 0);
		return;
	}
	lc->lc_cb = cb;
	lc->lc_arg = arg;
	ipc_msg_init(&q, IPC_REQ_OCSP, 0, 0);
	ipc_put_u32(&q, (uint32_t)oq->oq_n);
	for (i = 0; i < oq->oq_n; i++) {
		ipc_put_u32(&q, (uint32_t)oq->oq_ids[i].oc_md);
		ipc_put_bytes(&q, oq->oq_ids[i].oc_name,
		    oq->oq_ids[i].oc_namelen);
		ipc_put_bytes(&q, oq->oq_ids[i].oc_key,
		    oq->oq_ids[i].oc_keylen);
		ipc_put_str(&q, oq->oq_ids[i].oc_serial);
	}
	ipc_put_bytes(&q, oq->oq_nonce, oq->oq_noncelen);
	if (signer_send(&q, live_answer, lc) == -1)
		live_answer(lc, NULL);
}

/*
 * The pull runs as a chain of IPC callbacks on each timer tick: the
 * issuer once, then every page of new rows, then the CRL, then the timer
 * again.  Only one chain runs at a time.
 */
static int	pull_pages;

static void
pull_rearm(void)
{
	struct timeval	 tv = { 0, PULL_MS * 1000 };

	evtimer_add(pull_ev, &tv);
}

/* Our CA's hashes, once: until then every OCSP request gets tryLater. */
static void
issuer_done(void *arg, struct ipc_msg *a)
{
	X509	*x = NULL;

	if (a != NULL && (x = ipc_get_cacert(a)) != NULL &&
	    ocsp_issuer_init(&issuer, x) == 0)
		log_info("ocsp: issuer hashes of the CA ready");
	X509_free(x);
	pull_page();
}

/* One row of an IPC_ANS_OCSP_PULL into the cache. */
static int
get_row(struct ipc_msg *a)
{
	struct ipc_ocsp_row	 o;

	ipc_get_ocsp_row(a, &o);
	if (!ipc_msg_ok(a))
		return -1;
	return ocsp_cache_put((int)o.or_md, o.or_serial, o.or_seq,
	    (time_t)o.or_this_update, (time_t)o.or_next_update, o.or_der,
	    o.or_derlen);
}

/* Asks for the rows after `pulled', reporting what was asked while due. */
static void
pull_page(void)
{
	static int	 md[OCSP_WANT_MAX];
	static char	 serial[OCSP_WANT_MAX][SERIAL_HEX_MAX];
	struct ipc_msg	 q;
	size_t		 w, k;

	w = ocsp_cache_wanted(md, serial, OCSP_WANT_MAX);
	ipc_msg_init(&q, IPC_REQ_OCSP_PULL, 0, 0);
	ipc_put_u64(&q, pulled);
	ipc_put_u32(&q, (uint32_t)w);
	for (k = 0; k < w; k++) {
		ipc_put_u32(&q, (uint32_t)md[k]);
		ipc_put_str(&q, serial[k]);
	}
	if (signer_send(&q, page_done, NULL) == -1)
		pull_crl();
}

static void
page_done(void *arg, struct ipc_msg *a)
{
	uint64_t	 last;
	uint32_t	 n, i, more = 0;

	if (a != NULL && a->m_hdr.h_type == IPC_ANS_OCSP_PULL) {
		ipc_get_u64(a, &last);
		ipc_get_u32(a, &more);
		ipc_get_u32(a, &n);
		for (i = 0; i < n && get_row(a) == 0; i++)
			;
		if (ipc_get_end(a) == 0 && i == n && last >= pulled)
			pulled = last;
		else
			more = 0;
	}
	if (more != 0 && ++pull_pages < PULL_PAGES)
		pull_page();
	else
		pull_crl();
}

/* The CRL, when the signer has a newer one than we hold. */
static void
pull_crl(void)
{
	struct ipc_msg	 q;

	ipc_msg_init(&q, IPC_REQ_CRL, 0, 0);
	ipc_put_u64(&q, crl_http_number());
	if (signer_send(&q, crl_done, NULL) == -1)
		pull_rearm();
}

static void
crl_done(void *arg, struct ipc_msg *a)
{
	const uint8_t	*der;
	size_t		 len;
	uint64_t	 number, t0, t1;

	if (a != NULL && a->m_hdr.h_type == IPC_ANS_CRL) {
		ipc_get_u64(a, &number);
		ipc_get_u64(a, &t0);
		ipc_get_u64(a, &t1);
		ipc_get_bytes(a, &der, &len, IPC_BODY_MAX);
		if (ipc_get_end(a) == 0 && len > 0)
			crl_http_set(number, (time_t)t0, (time_t)t1, der, len);
	}
	pull_rearm();
}

/* The timer: starts one pull chain. */
static void
pull(evutil_socket_t fd, short ev, void *arg)
{
	struct ipc_msg	 q;

	pull_pages = 0;
	if (issuer.oi_ready) {
		pull_page();
		return;
	}
	ipc_msg_init(&q, IPC_REQ_CACERT, 0, 0);
	if (signer_send(&q, issuer_done, NULL) == -1)
		pull_page();
}

int
ocsp_client_init(struct event_base *base)
{
	struct timeval	 now = { 0, 0 };

	if ((pull_ev = evtimer_new(base, pull, NULL)) == NULL ||
	    evtimer_add(pull_ev, &now) == -1) {
		log_warnx("ocsp: cannot start the pull timer");
		return -1;
	}
	return 0;
}

void
ocsp_client_free(void)
{
	if (pull_ev != NULL)
		event_free(pull_ev);
	pull_ev = NULL;
}
