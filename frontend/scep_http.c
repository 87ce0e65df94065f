/*
 * scep_http.c: the SCEP endpoints (RFC 8894 section 4).  The frontend
 * parses; the signer unwraps the content key and builds every reply; the
 * validator decides.  Nothing here holds a key.
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

static void
reply_error(struct evhttp_request *req, int code, const char *reason,
    const char *text)
{
	http_reply(req, code, reason, "text/plain", text, strlen(text));
}

/* GetCACert: RA, CA and root as a degenerate certs-only SignedData. */
static void
get_ca_cert(struct evhttp_request *req)
{
	struct ipc_msg	 q, a;
	const uint8_t	*der;
	size_t		 len;

	ipc_msg_init(&q, IPC_REQ_RACERTS, 0, 0);
	memset(&a, 0, sizeof(a));
	if (signer_call(&q, &a) == 0 && a.m_hdr.h_type == IPC_ANS_RACERTS) {
		ipc_get_bytes(&a, &der, &len, IPC_BODY_MAX);
		if (ipc_get_end(&a) == 0) {
			http_reply(req, 200, "OK", "application/x-x509-ca-ra-cert",
			    der, len);
			ipc_msg_free(&a);
			return;
		}
	}
	ipc_msg_free(&a);
	reply_error(req, 503, "Service Unavailable", "CA certificates not "
	    "available\n");
}

/* scep_parse callback: the signer decrypts the content key. */
static int
unwrap(void *arg, int pad, int md, const uint8_t *ias, size_t iaslen,
    const uint8_t *ek, size_t eklen, size_t keylen, uint8_t *cek)
{
	struct ipc_msg	 q, a;
	const uint8_t	*k;
	size_t		 klen;
	int		 r = -1;

	ipc_msg_init(&q, IPC_REQ_UNWRAP, 0, 0);
	ipc_put_u32(&q, (uint32_t)pad);
	ipc_put_u32(&q, (uint32_t)md);
	ipc_put_bytes(&q, ias, iaslen);
	ipc_put_bytes(&q, ek, eklen);
	ipc_put_u32(&q, (uint32_t)keylen);
	memset(&a, 0, sizeof(a));
	if (signer_call(&q, &a) == 0 && a.m_hdr.h_type == IPC_ANS_UNWRAP) {
		ipc_get_bytes(&a, &k, &klen, SCEP_CEK_MAX);
		if (ipc_get_end(&a) == 0 && klen == keylen) {
			memcpy(cek, k, klen);
			r = 0;
		}
	}
	ipc_msg_free(&q);
	ipc_msg_free(&a);
	return r;
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

/* Asks the validator about a request of any type it parsed. */
static void
decide(int ep, const struct scep_req *r, int *status, int *fail,
    char *serial, size_t serialsz)
{
	struct ipc_msg	 q, a;
	uint8_t		*cert = NULL;
	char		 reason[IPC_STR_MAX], asked[SERIAL_HEX_MAX] = "";
	uint32_t	 st, fi;
	int		 len;

	*status = SCEP_FAILURE;
	*fail = SCEP_BAD_REQUEST;
	len = i2d_X509(r->sr_signer, &cert);
	ipc_msg_init(&q, IPC_REQ_DECIDE, 0, 0);
	ipc_put_u32(&q, (uint32_t)ep);
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
	memset(&a, 0, sizeof(a));
	if (validator_call(&q, &a) == 0 && a.m_hdr.h_type == IPC_ANS_DECIDE) {
		ipc_get_u32(&a, &st);
		ipc_get_u32(&a, &fi);
		ipc_get_str(&a, serial, serialsz);
		ipc_get_str(&a, reason, sizeof(reason));
		if (ipc_get_end(&a) == 0 && (st == SCEP_SUCCESS ||
		    st == SCEP_FAILURE || st == SCEP_PENDING) && fi <= 4) {
			*status = (int)st;
			*fail = (int)fi;
		}
	}
	ipc_msg_free(&q);
	ipc_msg_free(&a);
}

/*
 * The signer builds and signs the CertRep; we only pass typed fields.  A
 * GetCRL that succeeded gets the signer's CRL (IPC_REQ_CRLREP).
 */
static void
certrep(struct evhttp_request *req, const struct scep_req *r, int status,
    int fail, const char *serial)
{
	struct ipc_msg	 q, a;
	uint8_t		*cert = NULL;
	const uint8_t	*der;
	size_t		 len;
	int		 clen, crl;

	crl = r->sr_type == SCEP_MT_GETCRL && status == SCEP_SUCCESS;
	clen = i2d_X509(r->sr_signer, &cert);
	ipc_msg_init(&q, crl ? IPC_REQ_CRLREP : IPC_REQ_CERTREP, 0, 0);
	ipc_put_str(&q, r->sr_txid);
	ipc_put_bytes(&q, r->sr_nonce, r->sr_noncelen);
	ipc_put_bytes(&q, cert, clen > 0 ? (size_t)clen : 0);
	ipc_put_u32(&q, (uint32_t)r->sr_cipher);
	ipc_put_u32(&q, (uint32_t)r->sr_digest);
	if (!crl) {
		ipc_put_u32(&q, (uint32_t)status);
		ipc_put_u32(&q, status == SCEP_FAILURE ? (uint32_t)fail : 0);
		ipc_put_str(&q, status == SCEP_SUCCESS ? serial : "");
	}
	OPENSSL_free(cert);
	memset(&a, 0, sizeof(a));
	if (signer_call(&q, &a) == 0 && a.m_hdr.h_type == q.m_hdr.h_type + 1) {
		ipc_get_bytes(&a, &der, &len, IPC_BODY_MAX);
		if (ipc_get_end(&a) == 0) {
			http_reply(req, 200, "OK", "application/x-pki-message",
			    der, len);
			goto out;
		}
	}
	log_warnx("scep txid %s: the signer could not build the reply",
	    r->sr_txid);
	reply_error(req, 503, "Service Unavailable", "try again later\n");
 out:
	ipc_msg_free(&q);
	ipc_msg_free(&a);
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

/* What a parsed request gets: a decision for requests, FAILURE else. */
static void
pkiop_answer(struct evhttp_request *req, int ep, const struct scep_req *r)
{
	char	 serial[SERIAL_HEX_MAX] = "";
	int	 status = SCEP_FAILURE, fail = r->sr_fail_info;

	if (r->sr_result == SCEP_R_OK)
		decide(ep, r, &status, &fail, serial, sizeof(serial));
	log_info("scep txid %s type %d: %s%s%s", r->sr_txid, r->sr_type,
	    status == SCEP_SUCCESS ? "issued " : status == SCEP_PENDING ?
	    "pending" : "failure ", status == SCEP_SUCCESS ? serial : "",
	    status == SCEP_FAILURE ? (r->sr_result == SCEP_R_FAIL ?
	    r->sr_reason : "refused") : "");
	certrep(req, r, status, fail, serial);
}

static void
pkiop(struct evhttp_request *req, int ep, const char *query)
{
	struct scep_policy	 pol;
	struct scep_req		 r;
	uint8_t			*der;
	size_t			 len;

	if ((der = pkimessage(req, query, &len)) == NULL) {
		reply_error(req, 400, "Bad Request", "no SCEP message\n");
		return;
	}
	memset(&pol, 0, sizeof(pol));
	pol.sp_legacy = conf->cf_scep_legacy;
	pol.sp_max_skew = 0;
	scep_parse(der, len, &pol, unwrap, NULL, &r);
	free(der);
	if (r.sr_result == SCEP_R_HTTP400) {
		log_info("scep: unparsable request: %s", r.sr_reason);
		reply_error(req, 400, "Bad Request", "not a SCEP pkiMessage\n");
	} else if (r.sr_result == SCEP_R_INTERNAL)
		reply_error(req, 503, "Service Unavailable", "try again later\n");
	else
		pkiop_answer(req, ep, &r);
	scep_req_free(&r);
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
		reply_error(req, 400, "Bad Request", "operation missing\n");
	else if (oplen == 9 && strncmp(op, "GetCACaps", 9) == 0)
		http_reply(req, 200, "OK", "text/plain", caps, strlen(caps));
	else if (oplen == 9 && strncmp(op, "GetCACert", 9) == 0)
		get_ca_cert(req);
	else if (oplen == 12 && strncmp(op, "PKIOperation", 12) == 0)
		pkiop(req, ep, q);
	else if (oplen == 13 && strncmp(op, "GetNextCACert", 13) == 0)
		reply_error(req, 404, "Not Found", "no rollover certificate\n");
	else
		reply_error(req, 400, "Bad Request", "unknown operation\n");
	return 1;
}
