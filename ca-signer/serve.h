/*
 * serve.h: keyward-signer's process state, shared by its loop, its rule
 * table and its handlers.
 */
#ifndef KEYWARD_SERVE_H
#define KEYWARD_SERVE_H

#include <sys/types.h>

#include <openssl/x509.h>

#include "common.h"
#include "ipc.h"

struct conf;
struct ledger;
struct ledger_ocsp;
struct ocsp_single;
struct token;

/* Listening sockets the supervisor hands over, in this fd order. */
#define SIGNER_FD_FRONT		3
#define SIGNER_FD_VALID		4
#define SIGNER_FD_ADMIN		5
#define SIGNER_FD_VBLOCK	6

/* The newest CRL in the ledger, as this worker last read it. */
struct signer_crl {
	int64_t			 sc_event;	/* 0: none read */
	uint64_t		 sc_number;
	time_t			 sc_this_update;
	time_t			 sc_next_update;
	uint8_t			*sc_der;
	size_t			 sc_len;
};

struct signer {
	const struct conf	*sg_conf;
	struct token		*sg_token;
	struct ledger		*sg_ledger;
	X509			*sg_ca_cert;
	EVP_PKEY		*sg_ca_key;
	X509			*sg_ra_cert;	/* NULL: no SCEP */
	EVP_PKEY		*sg_ra_key;	/* owned by the token */
	X509			*sg_root_cert;	/* above a sub-CA, or NULL */
	X509			*sg_ocsp_cert;	/* NULL: no OCSP */
	EVP_PKEY		*sg_ocsp_key;	/* owned by the token */
	EVP_PKEY		*sg_intune_key;	/* owned by the token */
	char			*sg_intune_thumb;	/* NULL: no key */
	time_t			 sg_ocsp_renewed;	/* last attempt */
	struct signer_crl	 sg_crl;
	time_t			 sg_last_tick;
	time_t			 sg_last_presign;
	time_t			 sg_last_prune;
	int			 sg_worker;
	char			 sg_owner[64];	/* "pid:starttime" */
	time_t			 sg_last_checkpoint;
	/* The peer of the message being handled. */
	unsigned		 sg_peer;	/* PEER_* */
	uid_t			 sg_peer_uid;
};

/* serve.c */
void	serve_loop(struct signer *);
int	owner_alive(const char *owner);
void	owner_self(char *out, size_t outsz);

/* dispatch.c */
int	dispatch(void *, const struct ipc_peer *, struct ipc_msg *req,
	    struct ipc_msg *ans);

/* handlers.c */
void	csr_hash(const uint8_t *der, size_t len, char out[65]);
int	signer_issue_csr(struct signer *, struct ipc_msg *req,
	    struct ipc_msg *ans, const struct ipc_issue *,
	    char serial[SERIAL_HEX_MAX]);
int	h_ping(void *, struct ipc_msg *, struct ipc_msg *);
int	h_issue(void *, struct ipc_msg *, struct ipc_msg *);
int	h_revoke(void *, struct ipc_msg *, struct ipc_msg *);
int	h_unhold(void *, struct ipc_msg *, struct ipc_msg *);
int	h_release(void *, struct ipc_msg *, struct ipc_msg *);
int	h_show(void *, struct ipc_msg *, struct ipc_msg *);
int	h_list(void *, struct ipc_msg *, struct ipc_msg *);
int	h_dirlist(void *, struct ipc_msg *, struct ipc_msg *);
int	h_status(void *, struct ipc_msg *, struct ipc_msg *);
int	h_cacert(void *, struct ipc_msg *, struct ipc_msg *);
int	h_checkpoint(void *, struct ipc_msg *, struct ipc_msg *);

/* pendhandlers.c: manual approval and CertPoll. */
int	h_pend(void *, struct ipc_msg *, struct ipc_msg *);
int	h_txid(void *, struct ipc_msg *, struct ipc_msg *);
int	h_pending(void *, struct ipc_msg *, struct ipc_msg *);
int	h_approve(void *, struct ipc_msg *, struct ipc_msg *);
int	h_deny(void *, struct ipc_msg *, struct ipc_msg *);

/* scephandlers.c */
int	h_unwrap(void *, struct ipc_msg *, struct ipc_msg *);
int	h_certrep(void *, struct ipc_msg *, struct ipc_msg *);
int	h_racerts(void *, struct ipc_msg *, struct ipc_msg *);
int	h_crlrep(void *, struct ipc_msg *, struct ipc_msg *);

/* init.c: one-shot modes run by keywardctl, and loading for serving. */
int	signer_init(const struct conf *, int key_type, int subordinate);
int	signer_install_ca(const struct conf *, const char *path);
int	signer_load_ca(struct signer *);
int	signer_ensure_pair(const struct conf *, const char *role,
	    int key_type);
X509	*signer_ledger_cert(struct ledger *, uint32_t ca_id, const char *role);
int	signer_install(struct ledger *, uint32_t ca_id, const char *role,
	    X509 *);

/* assertion.c: Entra ID client assertions with the key in the token. */
int	signer_intune_key(const struct conf *, const char *subject,
	    const char *path);
int	assertion_load(struct signer *);
int	h_assertion(void *, struct ipc_msg *, struct ipc_msg *);

/* responder.c: the delegated OCSP responder certificate. */
int	responder_load(struct signer *);
void	responder_tick(struct signer *);

/* presign.c: OCSP responses from the ledger, live and ahead of time. */
/* A response for os[0..n) with statuses from the ledger (not stored). */
int	presign_respond(struct signer *, struct ocsp_single *, size_t n,
	    const uint8_t *nonce, size_t noncelen, uint8_t **der,
	    size_t *derlen, time_t *this_update, time_t *next_update);
/* Signs and stores one nonce-free response; 1 if its serial is unknown. */
int	presign_one(struct signer *, int md, const char *serial,
	    uint8_t **der, size_t *derlen, struct ledger_ocsp *);
/* After a revocation, hold or release: both digests, at once. */
void	presign_serial(struct signer *, const char *serial);
void	presign_tick(struct signer *);

/* crlsign.c: the CA's CRL, on a schedule and on every revocation. */
int	crl_issue(struct signer *);
int	crl_current(struct signer *);	/* 1 if there is none yet */
void	crl_tick(struct signer *);

/* revhandlers.c: OCSP and CRL requests. */
int	h_ocsp(void *, struct ipc_msg *, struct ipc_msg *);
int	h_ocsp_pull(void *, struct ipc_msg *, struct ipc_msg *);
int	h_crl(void *, struct ipc_msg *, struct ipc_msg *);

#endif
