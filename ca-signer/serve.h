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
struct token;

/* Listening sockets the supervisor hands over, in this fd order. */
#define SIGNER_FD_FRONT		3
#define SIGNER_FD_VALID		4
#define SIGNER_FD_ADMIN		5

struct signer {
	const struct conf	*sg_conf;
	struct token		*sg_token;
	struct ledger		*sg_ledger;
	X509			*sg_ca_cert;
	EVP_PKEY		*sg_ca_key;
	X509			*sg_ra_cert;	/* NULL: no SCEP */
	EVP_PKEY		*sg_ra_key;	/* owned by the token */
	X509			*sg_root_cert;	/* above a sub-CA, or NULL */
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

/* What one issuance is for: an IPC_REQ_ISSUE, or an approved request. */
struct issue_req {
	const char	*ir_profile;
	const uint8_t	*ir_csr;
	size_t		 ir_csrlen;
	const char	*ir_txid;
	const char	*ir_requester;
	const char	*ir_dir_ids;
	int		 ir_withheld;	/* until Intune acknowledges */
};

/* handlers.c */
void	csr_hash(const uint8_t *der, size_t len, char out[65]);
int	signer_issue_csr(struct signer *, struct ipc_msg *req,
	    struct ipc_msg *ans, const struct issue_req *,
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

/* init.c: one-shot modes run by keywardctl. */
int	signer_init(const struct conf *, int key_type, int subordinate);
int	signer_install_ca(const struct conf *, const char *path);
int	signer_load_ca(struct signer *);

#endif
