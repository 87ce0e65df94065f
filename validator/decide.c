/*
 * decide.c: whether a SCEP request the frontend parsed may be issued
 * (design.md "Flows", "Profiles on one URL").  Each endpoint binds a
 * challenge mode and a profile rule; a request the rules allow goes to
 * the signer, which still applies its own policy.  The checks are plain
 * functions of the CSR and certificates, so the unit tests call them.
 * Signer calls do not block the loop: a decision that needs one keeps
 * the request (struct pending) and is answered from the call's callback.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common.h"
#include "config.h"
#include "ipc.h"
#include "ipcev.h"
#include "keyless.h"
#include "validator.h"


static int	challenge_type_ok(int);
static int	csr_challenge(const X509_REQ *, unsigned char **);
static int	csr_has_upn(X509_REQ *);

/* A decision waiting on the signer, answered by finish(). */
struct pending {
	struct validator	*pd_vd;
	struct ipc_evreq	*pd_er;
	struct decide_req	 pd_dr;		/* its CSR is in pd_er */
	struct decision		 pd_dc;
	int			 pd_mode;
	char			 pd_serial[SERIAL_HEX_MAX];	/* renewed */
};

/* One IPC_REQ_ISSUE on its way. */
struct issue {
	const struct decide_req	*is_dr;
	const char		*is_profile;
	X509			**is_cert;
	struct decision		*is_dc;
	void			(*is_done)(void *);
	void			*is_arg;
};

static struct pending *pending_new(struct validator *, struct decide_req *,
		    int);
static void	finish(void *);
static void	renewal_shown(void *, struct ipc_msg *);
static void	submit(struct pending *);
static void	issue_req(const struct decide_req *, const char *, uint32_t,
		    const char *, char *, size_t, struct ipc_issue *);
static void	issued(void *, struct ipc_msg *);
static int	issue_decision(struct issue *, int, struct signer_refusal *);
static void	tx_answered(struct pending *, struct ipc_msg *, uint16_t);
static void	pended(void *, struct ipc_msg *);
static void	polled(void *, struct ipc_msg *);
static void	cert_shown(void *, struct ipc_msg *);
static int	poll_tx(struct validator *, struct decide_req *,
		    struct decision *);
static int	get_cert(struct validator *, struct decide_req *,
		    struct decision *);
static int	get_crl(struct validator *, struct decide_req *,
		    struct decision *);
static int	request(struct validator *, struct decide_req *, int,
		    struct decision *);
static int	decide(struct validator *, struct decide_req *,
		    struct decision *);

static int	read_name(const uint8_t *, size_t, X509_NAME **);
static int	decide_read(struct ipc_msg *, struct decide_req *);
static void	decide_log(const struct decide_req *,
		    const struct decision *);

/*
 * The types a challengePassword may have: DirectoryString's (PKCS#9), and
 * IA5String, which some clients send anyway.
 */
static int
challenge_type_ok(int type)
{
	switch (type) {
	case V_ASN1_UTF8STRING:
	case V_ASN1_PRINTABLESTRING:
	case V_ASN1_T61STRING:
	case V_ASN1_UNIVERSALSTRING:
	case V_ASN1_BMPSTRING:
	case V_ASN1_IA5STRING:
		return 1;
	default:
		return 0;
	}
}

/*
 * The CSR's challengePassword in UTF-8: one attribute with one value.
 * Returns its length with *out set (for OPENSSL_clear_free), or -1.
 */
static int
csr_challenge(const X509_REQ *csr, unsigned char **out)
{
	X509_ATTRIBUTE	*attr;
	ASN1_TYPE	*t;
	int		 i;

	*out = NULL;
	i = X509_REQ_get_attr_by_NID(csr, NID_pkcs9_challengePassword, -1);
	if (i < 0 || X509_REQ_get_attr_by_NID(csr,
	    NID_pkcs9_challengePassword, i) >= 0)
		return -1;
	attr = X509_REQ_get_attr(csr, i);
	if (X509_ATTRIBUTE_count(attr) != 1 ||
	    (t = X509_ATTRIBUTE_get0_type(attr, 0)) == NULL ||
	    !challenge_type_ok(t->type))
		return -1;
	return ASN1_STRING_to_UTF8(out, t->value.asn1_string);
}

/*
 * 0 if the CSR's challengePassword equals secret, else -1.  Only the
 * lengths may differ early; the contents are compared in constant time.
 */
int
decide_challenge(const X509_REQ *csr, const char *secret)
{
	unsigned char	*pw = NULL;
	size_t		 slen = strlen(secret);
	int		 len, r = -1;

	len = csr_challenge(csr, &pw);
	if (slen > 0 && len > 0 && (size_t)len == slen &&
	    CRYPTO_memcmp(pw, secret, slen) == 0)
		r = 0;
	OPENSSL_clear_free(pw, len > 0 ? (size_t)len : 0);
	return r;
}

/* 1 if the CSR asks for a UPN otherName SAN (1.3.6.1.4.1.311.20.2.3). */
static int
csr_has_upn(X509_REQ *csr)
{
	STACK_OF(X509_EXTENSION)	*exts = NULL;
	GENERAL_NAMES			*gens = NULL;
	GENERAL_NAME			*gn;
	int				 i, upn = 0;

	if ((exts = X509_REQ_get_extensions(csr)) == NULL)
		return 0;
	gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	for (i = 0; i < sk_GENERAL_NAME_num(gens) && !upn; i++) {
		gn = sk_GENERAL_NAME_value(gens, i);
		upn = gn->type == GEN_OTHERNAME &&
		    OBJ_obj2nid(gn->d.otherName->type_id) == NID_ms_upn;
	}
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return upn;
}

/*
 * The profile under an endpoint's rule: a profile name, or "auto" (also
 * NULL): "user" when the CSR asks for a UPN, else "device".
 */
const char *
decide_profile(const char *rule, X509_REQ *csr)
{
	if (rule != NULL && strcmp(rule, "auto") != 0)
		return rule;
	return csr_has_upn(csr) ? "user" : "device";
}

/*
 * 1 if ca issued cert (key identifiers, signature).  cert may be keyless
 * (keyless.h): X509_check_issued cannot cache its extensions (no SHA-1
 * in its library context) nor X509_verify fetch an algorithm, so both
 * look at a copy parsed from its DER.
 */
static int
issued_full(X509 *cert, X509 *ca)
{
	X509		*copy;
	uint8_t		*der = NULL;
	const uint8_t	*p;
	int		 len, ok = 0;

	if ((len = i2d_X509(cert, &der)) <= 0)
		return 0;
	p = der;
	if ((copy = d2i_X509(NULL, &p, len)) != NULL)
		ok = X509_check_issued(ca, copy) == X509_V_OK &&
		    X509_verify(copy, X509_get0_pubkey(ca)) == 1;
	X509_free(copy);
	OPENSSL_free(der);
	return ok;
}

/*
 * 0 if cert was issued by ca (names, key identifiers, signature) and is
 * within its validity at now; else -1 with why.  Only a certificate that
 * names ca as its issuer costs a full parse.
 */
int
decide_issued_by(X509 *cert, X509 *ca, time_t now, const char **why)
{
	int	 r = -1;

	if (X509_NAME_cmp(X509_get_issuer_name(cert),
	    X509_get_subject_name(ca)) != 0 || !issued_full(cert, ca))
		*why = "requester certificate not issued by this CA";
	else if (X509_cmp_time(X509_get0_notBefore(cert), &now) != -1 ||
	    X509_cmp_time(X509_get0_notAfter(cert), &now) != 1)
		*why = "requester certificate outside its validity";
	else
		r = 0;
	ERR_clear_error();
	return r;
}

/* 0 if a renewal keeps the subject of the certificate it renews. */
int
decide_same_subject(const X509_REQ *csr, const X509 *cert)
{
	return X509_NAME_cmp(X509_REQ_get_subject_name(csr),
	    X509_get_subject_name(cert)) == 0 ? 0 : -1;
}

/* Makes dc a FAILURE badRequest with a reason for the log; -1. */
int
deny(struct decision *dc, const char *fmt, ...)
{
	va_list	 ap;

	dc->dc_status = SCEP_FAILURE;
	dc->dc_fail_info = SCEP_BAD_REQUEST;
	dc->dc_serial[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(dc->dc_reason, sizeof(dc->dc_reason), fmt, ap);
	va_end(ap);
	return -1;
}

/* Takes dr and the request being dispatched, to answer them later. */
static struct pending *
pending_new(struct validator *vd, struct decide_req *dr, int mode)
{
	struct pending	*pd;

	if ((pd = calloc(1, sizeof(*pd))) == NULL)
		return NULL;
	pd->pd_vd = vd;
	pd->pd_er = vd->vd_er;
	pd->pd_dr = *dr;
	pd->pd_mode = mode;
	memset(dr, 0, sizeof(*dr));
	return pd;
}

/* Answers the frontend with the decision made. */
static void
finish(void *arg)
{
	struct pending	*pd = arg;

	decide_reply(&pd->pd_er->er_ans, &pd->pd_dr, &pd->pd_dc);
	ipc_evreply(pd->pd_er);
	decide_req_free(&pd->pd_dr);
	free(pd);
}

/*
 * The renewal rules for a requester certificate we issued, within its
 * validity, once its ledger record is in: it must still be valid there.
 */
static void
renewal_shown(void *arg, struct ipc_msg *ans)
{
	struct pending		*pd = arg;
	struct decision		*dc = &pd->pd_dc;
	struct signer_refusal	 rf;
	struct ipc_cert		 c;
	int			 r;

	r = signer_cert_answer(ans, &c, &rf);
	if (r == -1) {
		log_warnx("txid %s: signer unreachable", pd->pd_dr.dr_txid);
		deny(dc, "signer unavailable");
	} else if (r == 1)
		deny(dc, "requester certificate %s: %s", pd->pd_serial,
		    rf.sr_msg);
	else if (strcmp(c.c_status, "valid") != 0)
		deny(dc, "requester certificate %s is %s", pd->pd_serial,
		    c.c_status);
	else {
		submit(pd);
		return;
	}
	finish(pd);
}

/* The fields of an IPC_REQ_ISSUE or IPC_REQ_PEND for dr; requester is
 * the buffer is_requester points to. */
static void
issue_req(const struct decide_req *dr, const char *profile, uint32_t flags,
    const char *dir_ids, char *requester, size_t requestersz,
    struct ipc_issue *si)
{
	char	 name[VALID_REQUESTER_MAX - 5];

	X509_NAME_oneline(X509_get_subject_name(dr->dr_cert), name,
	    sizeof(name));
	snprintf(requester, requestersz, "scep %s", name);
	si->is_profile = profile;
	si->is_csr = dr->dr_csr_der;
	si->is_csrlen = dr->dr_csr_len;
	si->is_txid = dr->dr_txid;
	si->is_requester = requester;
	si->is_dir_ids = dir_ids;
	si->is_flags = flags;
}

void
decide_issue(struct validator *vd, const struct decide_req *dr,
    const char *profile, uint32_t flags, const char *dir_ids, X509 **cert,
    struct decision *dc, void (*done)(void *), void *arg)
{
	struct ipc_issue	 si;
	struct issue		*is;
	char			 requester[VALID_REQUESTER_MAX];

	if ((is = calloc(1, sizeof(*is))) == NULL) {
		deny(dc, "out of memory");
		done(arg);
		return;
	}
	is->is_dr = dr;
	is->is_profile = profile;
	is->is_cert = cert;
	is->is_dc = dc;
	is->is_done = done;
	is->is_arg = arg;
	issue_req(dr, profile, flags, dir_ids, requester, sizeof(requester),
	    &si);
	signer_issue(vd, &si, issued, is);
}

/* The signer's answer to an IPC_REQ_ISSUE is the decision. */
static void
issued(void *arg, struct ipc_msg *ans)
{
	struct issue		*is = arg;
	struct signer_refusal	 rf;
	struct ipc_cert		 c;
	const uint8_t		*p;
	void			(*done)(void *) = is->is_done;
	void			*done_arg = is->is_arg;
	int			 r;

	if ((r = signer_cert_answer(ans, &c, &rf)) == 0) {
		snprintf(is->is_dc->dc_serial, SERIAL_HEX_MAX, "%s",
		    c.c_serial);
		p = c.c_der;
		if (is->is_cert != NULL && (*is->is_cert = d2i_X509(NULL, &p,
		    (long)c.c_derlen)) == NULL)
			r = -1;
	}
	issue_decision(is, r, &rf);
	free(is);
	done(done_arg);
}

/* The decision for signer_cert_answer's r. */
static int
issue_decision(struct issue *is, int r, struct signer_refusal *rf)
{
	const char	*txid = is->is_dr->dr_txid;
	struct decision	*dc = is->is_dc;

	if (r == -1) {
		log_warnx("txid %s: signer unreachable", txid);
		return deny(dc, "signer unavailable");
	}
	if (r == 1 && rf->sr_code == IPC_ERR_BUSY)	/* a resend overtook it */
		return tx_decision(dc, IPC_TX_PENDING, "");
	if (r == 1) {
		/* Not the client's doing: someone must look at the CA. */
		if (rf->sr_code == IPC_ERR_TOKEN ||
		    rf->sr_code == IPC_ERR_LEDGER ||
		    rf->sr_code == IPC_ERR_INTERNAL)
			log_warnx("txid %s: SIGNER FAILURE (code %u): %s",
			    txid, rf->sr_code, rf->sr_msg);
		return deny(dc, "%s", rf->sr_msg);
	}
	dc->dc_status = SCEP_SUCCESS;
	snprintf(dc->dc_reason, sizeof(dc->dc_reason), "issued under "
	    "profile %s", is->is_profile);
	return 0;
}

/* The decision for a transaction in state st (IPC_TX_*, -1 unknown). */
int
tx_decision(struct decision *dc, int st, const char *serial)
{
	switch (st) {
	case IPC_TX_ISSUED:
		dc->dc_status = SCEP_SUCCESS;
		snprintf(dc->dc_serial, sizeof(dc->dc_serial), "%s", serial);
		snprintf(dc->dc_reason, sizeof(dc->dc_reason), "issued");
		return 0;
	case IPC_TX_PENDING:
	case IPC_TX_WITHHELD:
		dc->dc_status = SCEP_PENDING;
		snprintf(dc->dc_reason, sizeof(dc->dc_reason), "%s",
		    st == IPC_TX_PENDING ? "waiting for approval" :
		    "waiting for Intune");
		return 0;
	case IPC_TX_DENIED:
		return deny(dc, "denied by an administrator");
	case IPC_TX_REVOKED:
		return deny(dc, "certificate %s revoked", serial);
	case IPC_TX_CONFLICT:
		return deny(dc, "transactionID already used with another "
		    "request");
	case IPC_TX_NONE:
		deny(dc, "no such transaction");
		dc->dc_fail_info = SCEP_BAD_CERT_ID;
		return -1;
	default:
		return deny(dc, "signer unavailable");
	}
}

/* An answer to IPC_REQ_PEND or IPC_REQ_TXID is the decision. */
static void
tx_answered(struct pending *pd, struct ipc_msg *ans, uint16_t type)
{
	char	 serial[SERIAL_HEX_MAX];

	tx_decision(&pd->pd_dc, signer_tx_answer(ans, type, serial), serial);
	finish(pd);
}

static void
pended(void *arg, struct ipc_msg *ans)
{
	tx_answered(arg, ans, IPC_REQ_PEND);
}

static void
polled(void *arg, struct ipc_msg *ans)
{
	tx_answered(arg, ans, IPC_REQ_TXID);
}

/*
 * The request goes to the signer under the endpoint's profile rule:
 * manual mode queues it for an administrator, the others issue now.
 */
static void
submit(struct pending *pd)
{
	struct validator	*vd = pd->pd_vd;
	struct decide_req	*dr = &pd->pd_dr;
	struct ipc_issue	 si;
	const char		*profile;
	char			 requester[VALID_REQUESTER_MAX];

	profile = decide_profile(vd->vd_conf->cf_scep_profile[
	    dr->dr_endpoint], dr->dr_csr);
	if (pd->pd_mode != CHALLENGE_MANUAL) {
		decide_issue(vd, dr, profile, 0, "", NULL, &pd->pd_dc, finish,
		    pd);
		return;
	}
	issue_req(dr, profile, 0, "", requester, sizeof(requester), &si);
	signer_pend(vd, &si, pended, pd);
}

/* CertPoll (RFC 8894 3.3.3): where the transaction stands now. */
static int
poll_tx(struct validator *vd, struct decide_req *dr, struct decision *dc)
{
	struct pending	*pd;

	if ((pd = pending_new(vd, dr, 0)) == NULL)
		return deny(dc, "out of memory");
	signer_txid(vd, pd->pd_dr.dr_txid, polled, pd);
	return IPC_LATER;
}

/* A GetCert's serial in the ledger: unknown and withheld are alike. */
static void
cert_shown(void *arg, struct ipc_msg *ans)
{
	struct pending		*pd = arg;
	struct signer_refusal	 rf;
	struct ipc_cert		 c;
	int			 r;

	r = signer_cert_answer(ans, &c, &rf);
	if (r == -1)
		deny(&pd->pd_dc, "signer unavailable");
	else if (r == 1 || strcmp(c.c_status, "withheld") == 0)
		tx_decision(&pd->pd_dc, IPC_TX_NONE, "");
	else
		tx_decision(&pd->pd_dc, IPC_TX_ISSUED, pd->pd_dr.dr_serial);
	finish(pd);
}

/* GetCert (RFC 8894 3.3.4): any certificate of ours by its serial, unless
 * it is withheld (it has not been handed out). */
static int
get_cert(struct validator *vd, struct decide_req *dr, struct decision *dc)
{
	struct pending	*pd;

	if (dr->dr_issuer == NULL || dr->dr_serial[0] == '\0' ||
	    strcmp(dr->dr_serial, "-") == 0 || X509_NAME_cmp(dr->dr_issuer,
	    X509_get_subject_name(vd->vd_ca_cert)) != 0)
		return tx_decision(dc, IPC_TX_NONE, "");
	if ((pd = pending_new(vd, dr, 0)) == NULL)
		return deny(dc, "out of memory");
	signer_show(vd, pd->pd_dr.dr_serial, cert_shown, pd);
	return IPC_LATER;
}

/* GetCRL (RFC 8894 3.3.4): the CRL is public; the signer sends our newest. */
static int
get_crl(struct validator *vd, struct decide_req *dr, struct decision *dc)
{
	if (dr->dr_issuer == NULL || X509_NAME_cmp(dr->dr_issuer,
	    X509_get_subject_name(vd->vd_ca_cert)) != 0)
		return deny(dc, "GetCRL for another issuer");
	dc->dc_status = SCEP_SUCCESS;
	snprintf(dc->dc_reason, sizeof(dc->dc_reason), "GetCRL");
	return 0;
}

/*
 * A PKCSReq or RenewalReq: the endpoint's mode decides whether it goes
 * to the signer, now or after approval.  A renewal needs the renewed
 * certificate to keep its subject and to be valid in the ledger.
 */
static int
request(struct validator *vd, struct decide_req *dr, int mode,
    struct decision *dc)
{
	struct pending	*pd;
	const char	*why = NULL;
	char		 serial[SERIAL_HEX_MAX];
	int		 ours;

	/* certmonger and strongSwan renew with a PKCSReq signed by the
	 * old certificate: whatever the mode, that is a renewal. */
	ours = decide_issued_by(dr->dr_cert, vd->vd_ca_cert, time(NULL),
	    &why) == 0;
	if (mode == CHALLENGE_RENEWAL && !ours)
		return deny(dc, "%s", why);
	if (ours && decide_same_subject(dr->dr_csr, dr->dr_cert) == -1)
		return deny(dc, "CSR subject differs from the requester "
		    "certificate's");
	if (ours && serial_of_cert(dr->dr_cert, serial) == -1)
		return deny(dc, "requester certificate serial unusable");
	if (!ours && mode == CHALLENGE_STATIC &&
	    decide_challenge(dr->dr_csr, vd->vd_secret) == -1)
		return deny(dc, "challenge password does not match");
	if ((pd = pending_new(vd, dr, mode)) == NULL)
		return deny(dc, "out of memory");
	if (ours) {
		memcpy(pd->pd_serial, serial, sizeof(serial));
		signer_show(vd, serial, renewal_shown, pd);
	} else
		submit(pd);
	return IPC_LATER;
}

/* Applies the endpoint's mode to one message of any type. */
static int
decide(struct validator *vd, struct decide_req *dr, struct decision *dc)
{
	int	 mode = vd->vd_conf->cf_scep_mode[dr->dr_endpoint];

	if (mode == CHALLENGE_OFF)
		return deny(dc, "endpoint disabled");
	switch (dr->dr_type) {
	case SCEP_MT_PKCSREQ:
	case SCEP_MT_RENEWALREQ:
		return request(vd, dr, mode, dc);
	case SCEP_MT_CERTPOLL:
		return poll_tx(vd, dr, dc);
	case SCEP_MT_GETCERT:
		return get_cert(vd, dr, dc);
	case SCEP_MT_GETCRL:
		return get_crl(vd, dr, dc);
	default:
		return deny(dc, "messageType %u not served", dr->dr_type);
	}
}

/* An optional Name: NULL for empty bytes; -1 if present but not one
 * whole Name. */
static int
read_name(const uint8_t *der, size_t len, X509_NAME **out)
{
	const uint8_t	*p = der;

	*out = NULL;
	if (len == 0)
		return 0;
	*out = d2i_X509_NAME(NULL, &p, (long)len);
	return *out != NULL && p == der + len ? 0 : -1;
}

/* 1 for the message types that carry a CSR. */
int
is_request(uint32_t type)
{
	return type == SCEP_MT_PKCSREQ || type == SCEP_MT_RENEWALREQ;
}

/* Decodes every field and parses the DER; -1 if the frontend sent what
 * it never should (it parsed all of it already). */
static int
decide_read(struct ipc_msg *req, struct decide_req *dr)
{
	const uint8_t	*cert, *iss, *sub;
	size_t		 certlen, isslen, sublen;
	char		 serial[SERIAL_HEX_MAX];

	ipc_get_u32(req, &dr->dr_endpoint);
	ipc_get_u32(req, &dr->dr_type);
	ipc_get_str(req, dr->dr_txid, sizeof(dr->dr_txid));
	ipc_get_bytes(req, &dr->dr_csr_der, &dr->dr_csr_len, IPC_CSR_MAX);
	ipc_get_bytes(req, &cert, &certlen, IPC_CERT_MAX);
	ipc_get_bytes(req, &iss, &isslen, IPC_NAME_MAX);
	ipc_get_bytes(req, &sub, &sublen, IPC_NAME_MAX);
	ipc_get_str(req, serial, sizeof(serial));
	if (ipc_get_end(req) == -1 || dr->dr_endpoint >= SCEP_EP__MAX ||
	    !scep_printable((const uint8_t *)dr->dr_txid,
	    strlen(dr->dr_txid)) ||
	    read_name(iss, isslen, &dr->dr_issuer) == -1 ||
	    read_name(sub, sublen, &dr->dr_subject) == -1)
		return -1;
	if (strcmp(serial, "-") == 0 || serial[0] == '\0')
		memcpy(dr->dr_serial, serial, sizeof(serial));
	else if (serial_normalize(serial, dr->dr_serial,
	    sizeof(dr->dr_serial)) == -1)
		return -1;
	if (is_request(dr->dr_type) || dr->dr_csr_len > 0) {
		dr->dr_csr = keyless_parse_req(dr->dr_csr_der,
		    dr->dr_csr_len);
		if (dr->dr_csr == NULL)
			return -1;
	}
	/* Keyless: most requesters are not ours and their key goes unused. */
	if ((dr->dr_cert = keyless_parse(cert, certlen)) == NULL)
		return -1;
	return 0;
}

/* Every decision is logged with its transactionID and serial. */
static void
decide_log(const struct decide_req *dr, const struct decision *dc)
{
	if (dc->dc_status == SCEP_SUCCESS)
		log_info("txid %s (endpoint %u, messageType %u): SUCCESS, "
		    "serial %s, %s", dr->dr_txid, dr->dr_endpoint,
		    dr->dr_type, dc->dc_serial, dc->dc_reason);
	else if (dc->dc_status == SCEP_PENDING)
		log_info("txid %s (endpoint %u, messageType %u): PENDING, %s",
		    dr->dr_txid, dr->dr_endpoint, dr->dr_type, dc->dc_reason);
	else
		log_info("txid %s (endpoint %u, messageType %u): FAILURE "
		    "failInfo %u: %s", dr->dr_txid, dr->dr_endpoint,
		    dr->dr_type, dc->dc_fail_info, dc->dc_reason);
}

int
h_decide(void *arg, struct ipc_msg *req, struct ipc_msg *ans)
{
	struct validator	*vd = arg;
	struct decide_req	 dr;
	struct decision		 dc;
	int			 r = -1;

	memset(&dr, 0, sizeof(dr));
	memset(&dc, 0, sizeof(dc));
	if (decide_read(req, &dr) == -1)
		goto out;
	/* Either takes dr and answers later, or decides now. */
	if (vd->vd_conf->cf_scep_mode[dr.dr_endpoint] == CHALLENGE_INTUNE &&
	    is_request(dr.dr_type))
		r = intune_decide(vd, &dr, &dc);
	else
		r = decide(vd, &dr, &dc);
	if (r != IPC_LATER) {
		decide_reply(ans, &dr, &dc);
		r = 0;
	}
 out:
	decide_req_free(&dr);
	return r;
}

void
decide_reply(struct ipc_msg *ans, const struct decide_req *dr,
    const struct decision *dc)
{
	decide_log(dr, dc);
	ipc_put_u32(ans, dc->dc_status);
	ipc_put_u32(ans, dc->dc_fail_info);
	ipc_put_str(ans, dc->dc_serial);
	ipc_put_str(ans, dc->dc_reason);
}

void
decide_req_free(struct decide_req *dr)
{
	X509_REQ_free(dr->dr_csr);
	X509_free(dr->dr_cert);
	X509_NAME_free(dr->dr_issuer);
	X509_NAME_free(dr->dr_subject);
	memset(dr, 0, sizeof(*dr));
}
