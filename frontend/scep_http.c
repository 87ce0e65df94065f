/*
 * scep_http.c: the SCEP endpoints (RFC 8894 section 4).  The frontend
 * parses; the signer unwraps the content key and builds every reply; the
 * validator decides.  Nothing here holds a key.  A PKIOperation is a small
 * state machine driven by the IPC answers: parse, unwrap (signer), finish
 * the parse, decide (validator), CertRep (signer), reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "common.h"
#include "config.h"
#include "frontend.h"
#include "ipc.h"
#include "scep.h"

static const struct conf	*conf;
static struct scep_policy	 policy;

/* One PKIOperation on its way through signer, validator and signer. */
struct pkiop {
	struct evhttp_request	*po_req;
	int			 po_ep;
	struct scep_req		 po_r;
	int			 po_status;	/* SCEP_SUCCESS, ... */
	int			 po_fail;	/* failInfo with FAILURE */
	char			 po_serial[SERIAL_HEX_MAX];
};

static void	pkiop_next(struct pkiop *);

static const struct {
	const char	*e_path;
	int		 e_ep;
} endpoints[] = {
	{ "/scep",					SCEP_EP_SCEP },
	{ "/scep/pkiclient.exe",			SCEP_EP_SCEP },
	{ "/certsrv/mscep/mscep.dll",			SCEP_EP_NDES },
	{ "/certsrv/mscep/mscep.dll/pkiclient.exe",	SCEP_EP_NDES },
};

/*
 * Only what PKIOperation really does (RFC 8894 3.5.2).  Every SHA-2 size is
 * listed because we accept them all, and because strongSwan 5.9.8 tests
 * its capability bits off by one: it sees AES only when SHA-384 is listed.
 */
static const char caps[] = "POSTPKIOperation\nSCEPStandard\nAES\nDES3\n"
    "SHA-1\nSHA-224\nSHA-256\nSHA-384\nSHA-512\nRenewal\n";

int
scep_http_init(const struct conf *cf)
{
	conf = cf;
	policy.sp_legacy = cf->cf_scep_legacy;
	policy.sp_max_skew = 0;
	/* Single DES needs the legacy provider, loaded before the jail. */
	if (cf->cf_scep_legacy && scep_legacy_load() == -1) {
		log_warnx("scep: cannot load the OpenSSL legacy provider");
		return -1;
	}
	return 0;
}

/* The raw (still escaped) value of name in query q, or NULL. */
static const char *
query_param(const char *q, const char *name, size_t *len)
{
	size_t	 nlen = strlen(name);

	while (q != NULL && *q != '\0') {
		if (strncasecmp(q, name, nlen) == 0 && q[nlen] == '=') {
			q += nlen + 1;
			*len = strcspn(q, "&");
			return q;
		}
		q = strchr(q, '&');
		if (q != NULL)
			q++;
	}
	return NULL;
}

/* The one bytes field of an answer of type, or -1 if a is not that. */
static int
answer_der(struct ipc_msg *a, uint16_t type, const uint8_t **der,
    size_t *len)
{
	*der = NULL;
	*len = 0;
	if (a == NULL || a->m_hdr.h_type != type)
		return -1;
	ipc_get_bytes(a, der, len, IPC_BODY_MAX);
	return ipc_get_end(a);
}

/* IPC callback for GetCACert: RA, CA and root as a certs-only SignedData. */
static void
ca_certs(void *arg, struct ipc_msg *a)
{
	const uint8_t	*der;
	size_t		 len;

	if (answer_der(a, IPC_ANS_RACERTS, &der, &len) == 0)
		http_reply(arg, 200, "application/x-x509-ca-ra-cert", der, len);
	else
		http_text(arg, 503, "CA certificates not available");
}

static void
pkiop_free(struct pkiop *po)
{
	scep_req_free(&po->po_r);
	free(po);
}

/* Answers the client with text and forgets the exchange. */
static void
pkiop_text(struct pkiop *po, int code, const char *text)
{
	http_text(po->po_req, code, text);
	pkiop_free(po);
}

/* IPC callback: the content key, which lets parsing go on. */
static void
unwrapped(void *arg, struct ipc_msg *a)
{
	struct pkiop	*po = arg;
	const uint8_t	*k;
	size_t		 klen;

	/* A key of the wrong length is refused by scep_parse_key(). */
	if (answer_der(a, IPC_ANS_UNWRAP, &k, &klen) == -1)
		k = NULL;
	scep_parse_key(&po->po_r, k, klen);
	if (k != NULL)
		OPENSSL_cleanse((void *)k, klen);
	pkiop_next(po);
}

/* The signer decrypts the content key with the RA key. */
static void
ask_unwrap(struct pkiop *po)
{
	const struct scep_unwrap	*u = &po->po_r.sr_unwrap;
	struct ipc_msg			 q;

	ipc_msg_init(&q, IPC_REQ_UNWRAP, 0, 0);
	ipc_put_u32(&q, (uint32_t)u->su_pad);
	ipc_put_u32(&q, (uint32_t)u->su_oaep_md);
	ipc_put_bytes(&q, u->su_ias, u->su_iaslen);
	ipc_put_bytes(&q, u->su_ek, u->su_eklen);
	ipc_put_u32(&q, (uint32_t)u->su_keylen);
	if (signer_send(&q, unwrapped, po) == -1)
		unwrapped(po, NULL);
}

/* Puts name's DER, or empty bytes when there is none. */
static void
put_name(struct ipc_msg *q, const X509_NAME *name)
{
	uint8_t	*der = NULL;
	int	 len = name == NULL ? 0 : i2d_X509_NAME(name, &der);

	ipc_put_bytes(q, der, len > 0 ? (size_t)len : 0);
	OPENSSL_free(der);
}

/* The log line for every answered request, whatever its outcome. */
static void
pkiop_log(const struct pkiop *po)
{
	const struct scep_req	*r = &po->po_r;
	int			 st = po->po_status;

	log_info("scep txid %s type %d: %s%s%s", r->sr_txid, r->sr_type,
	    st == SCEP_SUCCESS ? "issued " : st == SCEP_PENDING ?
	    "pending" : "failure ", st == SCEP_SUCCESS ? po->po_serial : "",
	    st == SCEP_FAILURE ? (r->sr_result == SCEP_R_FAIL ?
	    r->sr_reason : "refused") : "");
}

/* IPC callback: the CertRep the signer built, for the client. */
static void
certrep_done(void *arg, struct ipc_msg *a)
{
	struct pkiop	*po = arg;
	const uint8_t	*der;
	size_t		 len;

	if (answer_der(a, IPC_ANS_CERTREP, &der, &len) == 0 ||
	    answer_der(a, IPC_ANS_CRLREP, &der, &len) == 0) {
		http_reply(po->po_req, 200, "application/x-pki-message", der,
		    len);
		pkiop_free(po);
		return;
	}
	log_warnx("scep txid %s: the signer could not build the reply",
	    po->po_r.sr_txid);
	pkiop_text(po, 503, "try again later");
}

/*
 * The signer builds and signs the CertRep; we only pass typed fields.  A
 * GetCRL that succeeded gets the signer's CRL (IPC_REQ_CRLREP).
 */
static void
ask_certrep(struct pkiop *po)
{
	const struct scep_req	*r = &po->po_r;
	struct ipc_msg		 q;
	uint8_t			*cert = NULL;
	int			 clen, st = po->po_status, crl;

	pkiop_log(po);
	crl = r->sr_type == SCEP_MT_GETCRL && st == SCEP_SUCCESS;
	clen = i2d_X509(r->sr_signer, &cert);
	ipc_msg_init(&q, crl ? IPC_REQ_CRLREP : IPC_REQ_CERTREP, 0, 0);
	ipc_put_str(&q, r->sr_txid);
	ipc_put_bytes(&q, r->sr_nonce, r->sr_noncelen);
	ipc_put_bytes(&q, cert, clen > 0 ? (size_t)clen : 0);
	ipc_put_u32(&q, (uint32_t)r->sr_cipher);
	ipc_put_u32(&q, (uint32_t)r->sr_digest);
	if (!crl) {
		ipc_put_u32(&q, (uint32_t)st);
		ipc_put_u32(&q, st == SCEP_FAILURE ? (uint32_t)po->po_fail :
		    0);
		ipc_put_str(&q, st == SCEP_SUCCESS ? po->po_serial : "");
		ipc_put_u32(&q, (uint32_t)r->sr_type);
	}
	OPENSSL_free(cert);
	if (signer_send(&q, certrep_done, po) == -1)
		certrep_done(po, NULL);
}

/* IPC callback: the validator's decision; anything odd is a refusal. */
static void
decided(void *arg, struct ipc_msg *a)
{
	struct pkiop	*po = arg;
	char		 reason[IPC_STR_MAX];
	uint32_t	 st, fi;

	if (a == NULL) {
		pkiop_text(po, 503, "try again later");
		return;
	}
	if (a->m_hdr.h_type == IPC_ANS_DECIDE) {
		ipc_get_u32(a, &st);
		ipc_get_u32(a, &fi);
		ipc_get_str(a, po->po_serial, sizeof(po->po_serial));
		ipc_get_str(a, reason, sizeof(reason));
		if (ipc_get_end(a) == 0 && (st == SCEP_SUCCESS ||
		    st == SCEP_FAILURE || st == SCEP_PENDING) && fi <= 4) {
			po->po_status = (int)st;
			po->po_fail = (int)fi;
		}
	}
	ask_certrep(po);
}

/* Asks the validator about a request of any type it parsed. */
static void
ask_decide(struct pkiop *po)
{
	const struct scep_req	*r = &po->po_r;
	struct ipc_msg		 q;
	uint8_t			*cert = NULL;
	char			 asked[SERIAL_HEX_MAX] = "";
	int			 len;

	po->po_status = SCEP_FAILURE;
	po->po_fail = SCEP_BAD_REQUEST;
	len = i2d_X509(r->sr_signer, &cert);
	ipc_msg_init(&q, IPC_REQ_DECIDE, 0, 0);
	ipc_put_u32(&q, (uint32_t)po->po_ep);
	ipc_put_u32(&q, (uint32_t)r->sr_type);
	ipc_put_str(&q, r->sr_txid);
	ipc_put_bytes(&q, r->sr_csr_der, r->sr_csr_len);
	ipc_put_bytes(&q, cert, len > 0 ? (size_t)len : 0);
	put_name(&q, r->sr_issuer);
	put_name(&q, r->sr_subject);
	if (r->sr_serial != NULL && serial_of_asn1(r->sr_serial, asked) == -1)
		snprintf(asked, sizeof(asked), "-");	/* never ours */
	ipc_put_str(&q, asked);
	OPENSSL_free(cert);
	if (validator_send(&q, decided, po) == -1)
		decided(po, NULL);
}

/*
 * Takes a PKIOperation to its next step by where parsing stands: the
 * content key, the decision, the reply, or an HTTP error.
 */
static void
pkiop_next(struct pkiop *po)
{
	struct scep_req	*r = &po->po_r;

	switch (r->sr_result) {
	case SCEP_R_UNWRAP:
		ask_unwrap(po);
		break;
	case SCEP_R_OK:
		ask_decide(po);
		break;
	case SCEP_R_FAIL:
		po->po_status = SCEP_FAILURE;
		po->po_fail = r->sr_fail_info;
		ask_certrep(po);
		break;
	case SCEP_R_HTTP400:
		log_info("scep: unparsable request: %s", r->sr_reason);
		pkiop_text(po, 400, "not a SCEP pkiMessage");
		break;
	default:
		pkiop_text(po, 503, "try again later");
		break;
	}
}

/* The pkiMessage DER from a GET message= or a POST body; NULL if none. */
static uint8_t *
pkimessage(struct evhttp_request *req, const char *query, size_t *len)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	const char	*msg;
	char		*raw;
	uint8_t		*der = NULL;
	size_t		 mlen, blen = evbuffer_get_length(in);

	if (evhttp_request_get_command(req) == EVHTTP_REQ_POST) {
		if (blen > 0 && scep_body_decode(evbuffer_pullup(in, -1), blen,
		    &der, len) == 0)
			return der;
		return NULL;
	}
	if ((msg = query_param(query, "message", &mlen)) == NULL ||
	    (raw = strndup(msg, mlen)) == NULL)
		return NULL;
	if (scep_query_decode(raw, &der, len) == -1)
		der = NULL;
	free(raw);
	return der;
}

static void
pkiop(struct evhttp_request *req, int ep, const char *query)
{
	struct pkiop	*po;
	uint8_t		*der;
	size_t		 len;

	if (http_hold(req) == -1)
		return;
	if ((der = pkimessage(req, query, &len)) == NULL) {
		http_text(req, 400, "no SCEP message");
		return;
	}
	if ((po = calloc(1, sizeof(*po))) == NULL) {
		free(der);
		http_text(req, 503, "try again later");
		return;
	}
	po->po_req = req;
	po->po_ep = ep;
	scep_parse(der, len, &policy, &po->po_r);
	free(der);
	pkiop_next(po);
}

/* Returns 1 if path is a SCEP endpoint (and answers it), else 0. */
int
scep_http_route(struct evhttp_request *req, const char *path)
{
	const char	*q, *op;
	size_t		 i, oplen = 0;
	int		 ep = -1;

	for (i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++)
		if (strcmp(path, endpoints[i].e_path) == 0)
			ep = endpoints[i].e_ep;
	if (ep < 0 || conf->cf_scep_mode[ep] == CHALLENGE_OFF)
		return 0;
	q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	if ((op = query_param(q, "operation", &oplen)) == NULL)
		http_text(req, 400, "operation missing");
	else if (oplen == 9 && strncmp(op, "GetCACaps", 9) == 0)
		http_reply(req, 200, "text/plain", caps, strlen(caps));
	else if (oplen == 9 && strncmp(op, "GetCACert", 9) == 0)
		http_ask_signer(req, IPC_REQ_RACERTS, ca_certs);
	else if (oplen == 12 && strncmp(op, "PKIOperation", 12) == 0)
		pkiop(req, ep, q);
	else if (oplen == 13 && strncmp(op, "GetNextCACert", 13) == 0)
		http_text(req, 404, "no rollover certificate");
	else
		http_text(req, 400, "unknown operation");
	return 1;
}
