/*
 * ocsp_client.c: the frontend's OCSP and CRL traffic with the signer, in
 * two functions so that the transport can change under them: one asks
 * for a live response, the other pulls the pre-signed responses and the
 * CRL on a timer.  Serving from the cache needs neither.
 */
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
static int	pull_page(int *);
static void	pull_issuer(void);
static void	pull_crl(void);
static int	get_row(struct ipc_msg *);

const struct ocsp_issuer *
ocsp_client_issuer(void)
{
	return &issuer;
}

/*
 * Asks the signer to answer oq: 0 with the response (seq > 0 if it is
 * the stored nonce-free one), 1 if the signer does not serve the issuer,
 * -1 if it could not answer (no responder, token or ledger failure).
 */
int
ocsp_client_live(const struct ocsp_request *oq, uint8_t **der, size_t *len,
    uint64_t *seq, time_t *this_update, time_t *next_update)
{
	struct ipc_msg	 q, a;
	const uint8_t	*d;
	uint64_t	 t0, t1;
	uint32_t	 code;
	size_t		 i;
	int		 r = -1;

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
	memset(&a, 0, sizeof(a));
	if (signer_call(&q, &a) == 0 && a.m_hdr.h_type == IPC_ANS_ERROR) {
		/* Only "not our issuer" is final; the rest may pass. */
		ipc_get_u32(&a, &code);
		r = code == IPC_ERR_POLICY ? 1 : -1;
	} else if (a.m_hdr.h_type == IPC_ANS_OCSP) {
		ipc_get_bytes(&a, &d, len, OCSP_RESP_MAX);
		ipc_get_u64(&a, seq);
		ipc_get_u64(&a, &t0);
		ipc_get_u64(&a, &t1);
		if (ipc_get_end(&a) == 0 && *len > 0 &&
		    (*der = malloc(*len)) != NULL) {
			memcpy(*der, d, *len);
			*this_update = (time_t)t0;
			*next_update = (time_t)t1;
			r = 0;
		}
	}
	ipc_msg_free(&q);
	ipc_msg_free(&a);
	return r;
}

/* Our CA's hashes, once: until then every OCSP request gets tryLater. */
static void
pull_issuer(void)
{
	struct ipc_msg	 q, a;
	X509		*x = NULL;

	ipc_msg_init(&q, IPC_REQ_CACERT, 0, 0);
	memset(&a, 0, sizeof(a));
	if (signer_call(&q, &a) == 0 && (x = ipc_get_cacert(&a)) != NULL &&
	    ocsp_issuer_init(&issuer, x) == 0)
		log_info("ocsp: issuer hashes of the CA ready");
	X509_free(x);
	ipc_msg_free(&a);
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

/* One page of rows after `pulled', reporting what was asked while due. */
static int
pull_page(int *more)
{
	static int	 md[OCSP_WANT_MAX];
	static char	 serial[OCSP_WANT_MAX][SERIAL_HEX_MAX];
	struct ipc_msg	 q, a;
	uint64_t	 last;
	uint32_t	 n, i, m;
	size_t		 w, k;
	int		 r = -1;

	w = ocsp_cache_wanted(md, serial, OCSP_WANT_MAX);
	ipc_msg_init(&q, IPC_REQ_OCSP_PULL, 0, 0);
	ipc_put_u64(&q, pulled);
	ipc_put_u32(&q, (uint32_t)w);
	for (k = 0; k < w; k++) {
		ipc_put_u32(&q, (uint32_t)md[k]);
		ipc_put_str(&q, serial[k]);
	}
	memset(&a, 0, sizeof(a));
	if (signer_call(&q, &a) == 0 && a.m_hdr.h_type == IPC_ANS_OCSP_PULL) {
		ipc_get_u64(&a, &last);
		ipc_get_u32(&a, &m);
		ipc_get_u32(&a, &n);
		for (i = 0; i < n && get_row(&a) == 0; i++)
			;
		if (ipc_get_end(&a) == 0 && i == n && last >= pulled) {
			pulled = last;
			*more = m != 0;
			r = 0;
		}
	}
	ipc_msg_free(&q);
	ipc_msg_free(&a);
	return r;
}

/* The CRL, when the signer has a newer one than we hold. */
static void
pull_crl(void)
{
	struct ipc_msg	 q, a;
	const uint8_t	*der;
	size_t		 len;
	uint64_t	 number, t0, t1;

	ipc_msg_init(&q, IPC_REQ_CRL, 0, 0);
	ipc_put_u64(&q, crl_http_number());
	memset(&a, 0, sizeof(a));
	if (signer_call(&q, &a) == 0 && a.m_hdr.h_type == IPC_ANS_CRL) {
		ipc_get_u64(&a, &number);
		ipc_get_u64(&a, &t0);
		ipc_get_u64(&a, &t1);
		ipc_get_bytes(&a, &der, &len, IPC_BODY_MAX);
		if (ipc_get_end(&a) == 0 && len > 0)
			crl_http_set(number, (time_t)t0, (time_t)t1, der, len);
	}
	ipc_msg_free(&q);
	ipc_msg_free(&a);
}

/* The timer: issuer once, then every page of new rows, then the CRL. */
static void
pull(evutil_socket_t fd, short ev, void *arg)
{
	struct timeval	 tv = { 0, PULL_MS * 1000 };
	int		 more = 1, pages;

	if (!issuer.oi_ready)
		pull_issuer();
	for (pages = 0; more && pages < PULL_PAGES; pages++)
		if (pull_page(&more) == -1)
			break;
	pull_crl();
	evtimer_add(pull_ev, &tv);
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
