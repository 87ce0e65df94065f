/*
 * validator.h: keyward-validator's process state, shared by its loop,
 * its rule table, its decisions and its signer client.
 */
#ifndef KEYWARD_VALIDATOR_H
#define KEYWARD_VALIDATOR_H

#include <sys/types.h>

#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "common.h"
#include "ipc.h"

struct conf;
struct event_base;
struct intune;
struct ipc_pool;

/* The listening socket the supervisor hands over. */
#define VALID_FD_LISTEN		3

#define VALID_TXID_MAX		128	/* transactionID characters */
#define VALID_SECRET_MAX	256	/* static challenge, with its NUL */
#define VALID_REQUESTER_MAX	256	/* the signer's requester field */

struct validator {
	const struct conf *vd_conf;
	char		 vd_secret[VALID_SECRET_MAX]; /* "" if none */
	X509		*vd_ca_cert;	/* renewals must chain to it */
	struct ipc_pool	*vd_signer;	/* to signer-valid.sock */
	int		 vd_signer_max;	/* connections: one per worker */
	uid_t		 vd_uid;	/* our own */
	uid_t		 vd_frontend_uid;
	struct event_base *vd_base;
	struct ipc_evreq *vd_er;	/* the request being dispatched */
	struct intune	*vd_intune;	/* NULL unless [intune] is set */
};

/* One IPC_REQ_DECIDE, decoded and parsed. */
struct decide_req {
	uint32_t	 dr_endpoint;	/* SCEP_EP_* */
	uint32_t	 dr_type;	/* SCEP messageType */
	char		 dr_txid[VALID_TXID_MAX + 1];
	const uint8_t	*dr_csr_der;	/* points into the request */
	size_t		 dr_csr_len;
	X509_REQ	*dr_csr;	/* NULL unless PKCSReq, RenewalReq */
	X509		*dr_cert;	/* signed the pkiMessage */
	X509_NAME	*dr_issuer;	/* CertPoll, GetCert, GetCRL */
	X509_NAME	*dr_subject;	/* CertPoll */
	char		 dr_serial[SERIAL_HEX_MAX];	/* GetCert, GetCRL;
					   "-" for one that cannot be ours */
};

/* A decision, as IPC_ANS_DECIDE carries it. */
struct decision {
	uint32_t	 dc_status;	/* SCEP_SUCCESS, _FAILURE, _PENDING */
	uint32_t	 dc_fail_info;	/* SCEP_BAD_* when FAILURE */
	char		 dc_serial[SERIAL_HEX_MAX];
	char		 dc_reason[IPC_STR_MAX];	/* log only */
};

/* dispatch.c */
struct ipc_evreq;
int	dispatch(void *, struct ipc_evreq *);

/* decide.c: the handler, and the checks it makes, free of I/O. */
int	h_decide(void *, struct ipc_msg *, struct ipc_msg *);
int	decide_challenge(const X509_REQ *, const char *secret);
const char *decide_profile(const char *rule, X509_REQ *);
int	decide_issued_by(X509 *cert, X509 *ca, time_t now,
	    const char **why);
int	decide_same_subject(const X509_REQ *, const X509 *);

void	decide_reply(struct ipc_msg *ans, const struct decide_req *,
	    const struct decision *);
void	decide_req_free(struct decide_req *);
int	deny(struct decision *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	tx_decision(struct decision *, int ipc_tx, const char *serial);
int	is_request(uint32_t messagetype);
/* Asks the signer to issue dr under profile; done(arg) runs with dc
 * filled (and *cert set on SUCCESS, if cert is not NULL). */
void	decide_issue(struct validator *, const struct decide_req *,
	    const char *profile, uint32_t flags, X509 **cert,
	    struct decision *, void (*done)(void *), void *arg);

/* intune_scep.c: the intune challenge mode.  Takes dr; IPC_LATER once
 * Intune is asked, else 0 with dc filled. */
int	intune_decide(struct validator *, struct decide_req *dr,
	    struct decision *dc);

/* signer_client.c: typed calls to the signer over signer-valid.sock. */
/* The signer's refusal of a call: its IPC_ERR_* code and message. */
struct signer_refusal {
	uint32_t	 sr_code;
	char		 sr_msg[IPC_STR_MAX];
};
X509	*signer_cacert(struct validator *);
int	signer_cert_answer(struct ipc_msg *ans, struct ipc_cert *,
	    struct signer_refusal *);
int	signer_tx_answer(struct ipc_msg *ans, uint16_t type,
	    char serial[SERIAL_HEX_MAX]);
/* Each call frees its message and runs cb exactly once with the answer,
 * or NULL if the signer could not be asked, maybe before it returns. */
struct signer_issue_req {
	const char	*si_profile;
	const uint8_t	*si_csr;
	size_t		 si_csrlen;
	const char	*si_txid;
	const char	*si_requester;
	const char	*si_dir_ids;
	uint32_t	 si_flags;	/* IPC_ISSUE_* */
};
void	signer_show(struct validator *, const char *serial,
	    void (*cb)(void *, struct ipc_msg *), void *arg);
void	signer_issue(struct validator *, const struct signer_issue_req *,
	    void (*cb)(void *, struct ipc_msg *), void *arg);
void	signer_status(struct validator *, uint16_t type, const char *serial,
	    int reason, void (*cb)(void *, struct ipc_msg *), void *arg);
void	signer_pend(struct validator *, const struct signer_issue_req *,
	    void (*cb)(void *, struct ipc_msg *), void *arg);
void	signer_txid(struct validator *, const char *txid,
	    void (*cb)(void *, struct ipc_msg *), void *arg);

#endif
