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
	int		 vd_signer_fd;	/* to signer-valid-block.sock */
	uint32_t	 vd_reqid;	/* its last request */
	uid_t		 vd_uid;	/* our own */
	uid_t		 vd_frontend_uid;
	struct event_base *vd_base;
	struct ipc_evreq *vd_er;	/* the request being dispatched */
	struct intune	*vd_intune;	/* NULL unless [intune] is set */
	struct dirsync	*vd_dirsync;	/* NULL unless [intune] is set */
	gid_t		 vd_admin_gid;	/* may ask for a sync */
};

/* The admin listener the supervisor hands over (keywardctl sync). */
#define VALID_FD_ADMIN		4

#define DIRIDS_MAX	3		/* one of each kind */
#define DIRID_LEN	36		/* a GUID */
#define DIRIDS_STR_MAX	512		/* as the signer accepts them */
struct dirid {
	int		 di_kind;	/* enum intune_dir_kind */
	char		 di_id[DIRID_LEN + 1];
};

/* One IPC_REQ_DECIDE, decoded and parsed. */
struct decide_req {
	uint32_t	 dr_endpoint;	/* SCEP_EP_* */
	uint32_t	 dr_type;	/* SCEP messageType */
	char		 dr_txid[VALID_TXID_MAX + 1];
	const uint8_t	*dr_csr_der;	/* points into the request */
	size_t		 dr_csr_len;
	X509_REQ	*dr_csr;	/* NULL unless PKCSReq, RenewalReq */
	X509		*dr_cert;	/* signed the pkiMessage; keyless */
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
/* Asks the signer to issue dr under profile, bound to the directory
 * objects dir_ids names ("" none); done(arg) runs with dc filled (and
 * *cert set on SUCCESS, if cert is not NULL). */
void	decide_issue(struct validator *, const struct decide_req *,
	    const char *profile, uint32_t flags, const char *dir_ids,
	    X509 **cert, struct decision *, void (*done)(void *), void *arg);

/* dirids.c */
void	dirids_from_csr(const struct conf *, X509_REQ *, char *out,
	    size_t outsz);
int	dirids_parse(const char *, struct dirid ids[DIRIDS_MAX]);

/* dirsync.c: the directory sync, scheduled and on demand. */
struct dirsync	*dirsync_new(struct validator *);
void		 dirsync_free(struct dirsync *);
int		 h_sync(void *, struct ipc_msg *, struct ipc_msg *);

/* intune_scep.c: the intune challenge mode.  Takes dr; IPC_LATER once
 * Intune is asked, else 0 with dc filled. */
int	intune_decide(struct validator *, struct decide_req *dr,
	    struct decision *dc);

/* The signer's refusal of a call: its IPC_ERR_* code and message. */
struct signer_refusal {
	uint32_t	 sr_code;
	char		 sr_msg[IPC_STR_MAX];
};

/* signer_client.c: typed calls to the signer over the pool on
 * signer-valid.sock, and what the blocking calls share with them. */
int	signer_connect(struct validator *, const char *sock);
int	signer_refused(struct ipc_msg *ans, struct signer_refusal *);
int	signer_cert_answer(struct ipc_msg *ans, struct ipc_cert *,
	    struct signer_refusal *);
int	signer_tx_answer(struct ipc_msg *ans, uint16_t type,
	    char serial[SERIAL_HEX_MAX]);
void	signer_status_msg(struct validator *, struct ipc_msg *req,
	    uint16_t type, const char *serial, int reason);
/* Each call frees its message and runs cb exactly once with the answer,
 * or NULL if the signer could not be asked, maybe before it returns. */
void	signer_show(struct validator *, const char *serial,
	    void (*cb)(void *, struct ipc_msg *), void *arg);
void	signer_issue(struct validator *, const struct ipc_issue *,
	    void (*cb)(void *, struct ipc_msg *), void *arg);
void	signer_status(struct validator *, uint16_t type, const char *serial,
	    int reason, void (*cb)(void *, struct ipc_msg *), void *arg);
void	signer_pend(struct validator *, const struct ipc_issue *,
	    void (*cb)(void *, struct ipc_msg *), void *arg);
void	signer_txid(struct validator *, const char *txid,
	    void (*cb)(void *, struct ipc_msg *), void *arg);

/*
 * signer_block.c: blocking calls on a connection of their own, for the
 * rare calls made outside a client request: the CA certificate at start,
 * the directory sync, the Entra ID client assertion.
 */
X509	*signer_cacert(struct validator *);
int	signer_status_wait(struct validator *, uint16_t type,
	    const char *serial, int reason, struct signer_refusal *);
/* One page of certificate rows after rowid: rows given to cb, or -1. */
typedef void	signer_dirrow_cb(void *, uint64_t rowid, const char *serial,
		    const char *status, const char *dir_ids);
int	signer_dirlist(struct validator *, uint64_t after, signer_dirrow_cb *,
	    void *);
void	signer_close(struct validator *);
char	*signer_assertion(void *validator, const char *aud);

#endif
