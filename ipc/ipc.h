/*
 * ipc.h: the framing and typed messages every keyward process shares.
 * Bump IPC_VERSION on any change to a type number or payload layout.
 *
 * Wire format: a 16-byte header in network byte order (version, type,
 * request id, CA id, body length), then the body.  Bodies are sequences
 * of u32/u64 integers and length-prefixed byte strings; strings are byte
 * strings without NUL.  A receiver checks the header against its rule
 * table, reads every field through a cursor and refuses leftover bytes.
 */
#ifndef KEYWARD_IPC_H
#define KEYWARD_IPC_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define IPC_VERSION	7
#define IPC_HDR_LEN	16
#define IPC_BODY_MAX	(1024 * 1024)	/* no message is larger */
#define IPC_CSR_MAX	(16 * 1024)
#define IPC_CERT_MAX	(16 * 1024)
#define IPC_NAME_MAX	(4 * 1024)	/* one X.509 Name in DER */
#define IPC_STR_MAX	1024
#define IPC_LIST_MAX	100		/* rows in one ANS_LIST (no DER) */

/* Requests are even, answers odd (request + 1). */
enum ipc_type {
	IPC_ANS_ERROR = 1,		/* u32 code, str message */
	IPC_REQ_PING = 10,		/* (empty) */
	IPC_ANS_PING = 11,		/* (empty) */
	IPC_REQ_ISSUE = 100,		/* str profile, bytes csr, str txid,
					   str requester, str dir_ids,
					   u32 flags (IPC_ISSUE_*) */
	IPC_ANS_ISSUE = 101,		/* cert record */
	IPC_REQ_REVOKE = 102,		/* str serial, u32 reason */
	IPC_ANS_REVOKE = 103,		/* cert record */
	IPC_REQ_UNHOLD = 104,		/* str serial */
	IPC_ANS_UNHOLD = 105,		/* cert record */
	IPC_REQ_RELEASE = 106,		/* str serial: Intune acknowledged */
	IPC_ANS_RELEASE = 107,		/* cert record */
	IPC_REQ_SHOW = 110,		/* str serial */
	IPC_ANS_SHOW = 111,		/* cert record */
	IPC_REQ_LIST = 112,		/* str status ("" = all), u64 after_rowid */
	IPC_ANS_LIST = 113,		/* u32 n, n x (u64 rowid, cert record) */
	IPC_REQ_STATUS = 114,		/* (empty) */
	IPC_ANS_STATUS = 115,		/* u32 token_ok, str token_label,
					   u64 valid, u64 revoked, u64 hold,
					   u64 withheld, u64 events,
					   u64 checkpoint_event, u64 pid */
	IPC_REQ_CACERT = 116,		/* (empty) */
	IPC_ANS_CACERT = 117,		/* bytes PEM chain, CA first */
	IPC_REQ_CHECKPOINT = 118,	/* (empty) */
	IPC_ANS_CHECKPOINT = 119,	/* u64 event id signed */
	IPC_REQ_UNWRAP = 120,		/* u32 padding (IPC_PAD_*), u32 oaep
					   digest NID (0 = SHA-1), bytes
					   recipient issuerAndSerialNumber
					   DER, bytes encryptedKey, u32 keylen */
	IPC_ANS_UNWRAP = 121,		/* bytes cek (keylen bytes; random on
					   any failure: implicit rejection) */
	IPC_REQ_CERTREP = 122,		/* str txid, bytes recipient nonce,
					   bytes requester certificate DER,
					   u32 cipher NID, u32 digest NID,
					   u32 pkiStatus, u32 failInfo,
					   str serial ("" unless SUCCESS),
					   u32 messageType of the request */
	IPC_ANS_CERTREP = 123,		/* bytes CertRep DER */
	IPC_REQ_RACERTS = 124,		/* (empty) */
	IPC_ANS_RACERTS = 125,		/* bytes degenerate certs-only
					   SignedData DER: RA, CA, root */
	IPC_REQ_PEND = 126,		/* str profile, bytes csr, str txid,
					   str requester: queue for manual
					   approval */
	IPC_ANS_PEND = 127,		/* u32 IPC_TX_*, str serial */
	IPC_REQ_TXID = 128,		/* str txid: where is it? (CertPoll) */
	IPC_ANS_TXID = 129,		/* u32 IPC_TX_*, str serial */
	/* frontend <-> validator */
	IPC_REQ_DECIDE = 130,		/* u32 endpoint (SCEP_EP_* in config.h), u32 SCEP
					   messageType, str txid, bytes CSR
					   DER (PKCSReq, RenewalReq, else
					   empty), bytes requester cert DER,
					   bytes issuer Name DER, bytes
					   subject Name DER (CertPoll), str
					   serial (GetCert, GetCRL) */
	IPC_ANS_DECIDE = 131,		/* u32 pkiStatus, u32 failInfo,
					   str serial ("" unless SUCCESS),
					   str reason (for the log) */
	/* keywardctl <-> signer: manual approval */
	IPC_REQ_PENDING = 132,		/* u64 after_id */
	IPC_ANS_PENDING = 133,		/* u32 n, n x (u64 id, u64 ts,
					   str txid, str subject, str profile,
					   str requester) */
	IPC_REQ_APPROVE = 134,		/* u64 id */
	IPC_ANS_APPROVE = 135,		/* cert record */
	IPC_REQ_DENY = 136,		/* u64 id */
	IPC_ANS_DENY = 137,		/* (empty) */
	/* OCSP and CRL: frontend (admin for CRL and export) <-> signer */
	IPC_REQ_OCSP = 140,		/* u32 n (1..OCSP_IDS_MAX), n x (u32
					   digest NID, bytes issuerNameHash,
					   bytes issuerKeyHash, str serial),
					   bytes nonce extnValue ("": none) */
	IPC_ANS_OCSP = 141,		/* bytes OCSPResponse DER, u64
					   thisUpdate, u64 nextUpdate (0 and
					   0 for an unsigned error status) */
	IPC_REQ_OCSP_PULL = 142,	/* u64 after (sequence number), u32 n
					   (0..OCSP_WANT_MAX), n x (u32 digest
					   NID, str serial) asked while due */
	IPC_ANS_OCSP_PULL = 143,	/* u64 last sequence number, u32 more,
					   u32 n, n x ocsp row (below) */
	IPC_REQ_CRL = 144,		/* u64 CRL number held (0: none) */
	IPC_ANS_CRL = 145,		/* u64 number, u64 thisUpdate, u64
					   nextUpdate, bytes CRL DER ("" if
					   the held number is current) */
	IPC_REQ_CRLREP = 146,		/* str txid, bytes recipient nonce,
					   bytes requester certificate DER,
					   u32 cipher NID, u32 digest NID:
					   CertRep SUCCESS with the CRL */
	IPC_ANS_CRLREP = 147,		/* bytes CertRep DER */
	/* directory sync: validator <-> signer, keywardctl <-> validator */
	IPC_REQ_DIRLIST = 150,		/* u64 after_rowid */
	IPC_ANS_DIRLIST = 151,		/* u32 n, n x (u64 rowid, str serial,
					   str status, str dir_ids); fewer
					   than IPC_LIST_MAX: the last page */
	IPC_REQ_SYNC = 152,		/* (empty): run a directory sync */
	IPC_ANS_SYNC = 153,		/* u32 checked, u32 revoked, u32 held,
					   u32 released, u32 unknown */
	IPC_REQ_ASSERTION = 160,	/* str client id, str token URL, u32
					   lifetime seconds: an Entra ID
					   client assertion (auth = token) */
	IPC_ANS_ASSERTION = 161,	/* str compact JWT */
};

/*
 * OCSP limits.  A pre-signed row in IPC_ANS_OCSP_PULL is u32 digest NID,
 * str serial, u64 sequence number, u64 thisUpdate, u64 nextUpdate, bytes
 * OCSPResponse DER.
 */
#define OCSP_IDS_MAX		32	/* CertIDs in one request */
#define OCSP_HASH_MAX		64	/* issuerNameHash, issuerKeyHash */
#define OCSP_NONCE_MAX		128	/* RFC 9654 */
#define OCSP_NONCE_RAW_MAX	(OCSP_NONCE_MAX + 3)	/* with its tag */
#define OCSP_WANT_MAX		1024	/* keys asked for in one pull */
#define OCSP_RESP_MAX		(32 * 1024)	/* one response DER */


/* IPC_REQ_ISSUE flags. */
#define IPC_ISSUE_WITHHELD	0x1	/* not handed out until released */

/* Key transport paddings for IPC_REQ_UNWRAP. */
#define IPC_PAD_PKCS1	1
#define IPC_PAD_OAEP	2

/* SCEP messageType values (RFC 8894 3.2.1.2). */
#define SCEP_MT_CERTREP		3
#define SCEP_MT_RENEWALREQ	17
#define SCEP_MT_PKCSREQ		19
#define SCEP_MT_CERTPOLL	20
#define SCEP_MT_GETCERT		21
#define SCEP_MT_GETCRL		22

/* SCEP pkiStatus and failInfo (RFC 8894 3.2.1.3-4). */
#define SCEP_SUCCESS		0
#define SCEP_FAILURE		2
#define SCEP_PENDING		3
#define SCEP_BAD_ALG		0
#define SCEP_BAD_MESSAGE_CHECK	1
#define SCEP_BAD_REQUEST	2
#define SCEP_BAD_TIME		3
#define SCEP_BAD_CERT_ID	4

/* Error codes carried by IPC_ANS_ERROR. */
enum ipc_err {
	IPC_ERR_INTERNAL = 1,
	IPC_ERR_MALFORMED,		/* message did not decode */
	IPC_ERR_DENIED,			/* peer may not send this */
	IPC_ERR_POLICY,			/* policy refused it (issuance, OCSP
					   for another issuer) */
	IPC_ERR_CSR,			/* CSR unparsable or bad signature */
	IPC_ERR_PROFILE,		/* no such profile */
	IPC_ERR_NOTFOUND,
	IPC_ERR_STATE,			/* e.g. already revoked */
	IPC_ERR_TOKEN,			/* token unavailable */
	IPC_ERR_LEDGER,			/* ledger write failed */
	IPC_ERR_BUSY,			/* transactionID being signed now */
	IPC_ERR__MAX
};

/* Where a SCEP transaction stands (IPC_ANS_PEND, IPC_ANS_TXID). */
#define IPC_TX_NONE		0	/* never seen */
#define IPC_TX_PENDING		1	/* waiting for an administrator */
#define IPC_TX_DENIED		2
#define IPC_TX_ISSUED		3	/* serial set; valid or on hold */
#define IPC_TX_WITHHELD		4	/* issued, not yet released */
#define IPC_TX_REVOKED		5
#define IPC_TX_CONFLICT		6	/* txid used with another CSR */
#define IPC_TX__MAX		7

/* Who is on the other end of a channel (bit mask for rule tables). */
#define PEER_FRONTEND	0x01
#define PEER_VALIDATOR	0x02
#define PEER_ADMIN	0x04

struct ipc_hdr {
	uint16_t	h_version;
	uint16_t	h_type;
	uint32_t	h_reqid;	/* echoed by the answer */
	uint32_t	h_ca_id;
	uint32_t	h_bodylen;
};

/*
 * A message being built or read.  Encoding and decoding errors are sticky:
 * after the first failure every put/get is a no-op and ipc_get_end() or
 * ipc_msg_ok() reports it, so callers check once at the end.
 */
struct ipc_msg {
	struct ipc_hdr	 m_hdr;
	uint8_t		*m_body;
	size_t		 m_len;
	size_t		 m_cap;
	size_t		 m_off;		/* read cursor */
	int		 m_err;
};

/* One row of a receiver's rule table. */
struct ipc_rule {
	uint16_t	 r_type;
	unsigned	 r_peers;	/* PEER_* mask allowed to send it */
	uint32_t	 r_min;		/* body length bounds */
	uint32_t	 r_max;
	int		(*r_handler)(void *, struct ipc_msg *, struct ipc_msg *);
};

/* The fields of an IPC_REQ_ISSUE, for whoever builds or decodes one. */
struct ipc_issue {
	const char	*is_profile;
	const uint8_t	*is_csr;
	size_t		 is_csrlen;
	const char	*is_txid;	/* SCEP transactionID or "" */
	const char	*is_requester;
	const char	*is_dir_ids;	/* directory object ids or "" */
	uint32_t	 is_flags;	/* IPC_ISSUE_* */
};

/* A certificate as carried in answers. */
struct ipc_cert {
	char		 c_serial[41];
	char		 c_subject[IPC_STR_MAX];
	char		 c_sans[IPC_STR_MAX];
	char		 c_profile[64];
	char		 c_status[16];
	uint64_t	 c_not_before;
	uint64_t	 c_not_after;
	uint64_t	 c_rev_time;
	uint32_t	 c_reason;
	const uint8_t	*c_der;		/* points into the message body */
	size_t		 c_derlen;
};

/* A pre-signed OCSP response, as a row of IPC_ANS_OCSP_PULL. */
struct ipc_ocsp_row {
	uint32_t	 or_md;		/* CertID digest NID */
	char		 or_serial[41];
	uint64_t	 or_seq;
	uint64_t	 or_this_update;
	uint64_t	 or_next_update;
	const uint8_t	*or_der;	/* points into the message body */
	size_t		 or_derlen;
};

/* msg.c */
void	ipc_msg_init(struct ipc_msg *, uint16_t type, uint32_t reqid,
	    uint32_t ca_id);
void	ipc_msg_free(struct ipc_msg *);
int	ipc_msg_ok(const struct ipc_msg *);
void	ipc_put_u32(struct ipc_msg *, uint32_t);
void	ipc_put_u64(struct ipc_msg *, uint64_t);
void	ipc_put_bytes(struct ipc_msg *, const void *, size_t);
void	ipc_put_str(struct ipc_msg *, const char *);
void	ipc_put_raw(struct ipc_msg *, const void *, size_t);
/* u32 n, then the rows encoded in rows (which is freed). */
void	ipc_put_rows(struct ipc_msg *, uint32_t n, struct ipc_msg *rows);
void	ipc_get_u32(struct ipc_msg *, uint32_t *);
void	ipc_get_u64(struct ipc_msg *, uint64_t *);
void	ipc_get_bytes(struct ipc_msg *, const uint8_t **, size_t *,
	    size_t max);
void	ipc_get_str(struct ipc_msg *, char *, size_t bufsz);
int	ipc_get_end(struct ipc_msg *);
void	ipc_put_cert(struct ipc_msg *, const struct ipc_cert *);
void	ipc_put_issue(struct ipc_msg *, const struct ipc_issue *);
void	ipc_get_cert(struct ipc_msg *, struct ipc_cert *);
void	ipc_put_ocsp_row(struct ipc_msg *, const struct ipc_ocsp_row *);
void	ipc_get_ocsp_row(struct ipc_msg *, struct ipc_ocsp_row *);
void	ipc_error(struct ipc_msg *ans, const struct ipc_msg *req,
	    uint32_t code, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
const char *ipc_type_name(uint16_t type);
/* The CA certificate from an IPC_ANS_CACERT (first of its PEM chain). */
struct x509_st *ipc_get_cacert(struct ipc_msg *);

/* frame.c */
void	ipc_hdr_pack(const struct ipc_hdr *, uint8_t out[IPC_HDR_LEN]);
int	ipc_hdr_unpack(const uint8_t in[IPC_HDR_LEN], struct ipc_hdr *,
	    const char **why);
const struct ipc_rule *ipc_rule_check(const struct ipc_rule *, size_t n,
	    const struct ipc_hdr *, unsigned peer, const char **why);
int	ipc_frame_hdr(const struct ipc_msg *, uint8_t out[IPC_HDR_LEN]);
int	ipc_body_alloc(struct ipc_msg *, const char **why);
int	ipc_answer_check(const struct ipc_hdr *req, const struct ipc_hdr *ans,
	    const char **why);
int	ipc_write(int fd, const struct ipc_msg *);
int	ipc_read(int fd, struct ipc_msg *, const char **why);
int	ipc_call(int fd, struct ipc_msg *req, struct ipc_msg *ans,
	    const char **why);

/* server.c */
/* A listening socket and who may be on the other end of it. */
struct ipc_listener {
	int		 il_fd;
	unsigned	 il_peer;	/* PEER_* */
	size_t		 il_max;	/* connections from it; 0: no limit */
};

/* An accepted connection, with the credentials the kernel gave. */
struct ipc_peer {
	int		 ip_fd;
	unsigned	 ip_peer;	/* PEER_* of its listener */
	int		 ip_lfd;	/* its listener */
	uid_t		 ip_uid;
	gid_t		 ip_gid;
	pid_t		 ip_pid;
};

/*
 * What ipc_serve() runs: peer_ok admits a connection by credentials;
 * handle fills ans for req (-1 drops the connection, nothing is sent);
 * tick, if set, runs after every wake-up and at least every tick_ms;
 * idle, if set, runs before the server blocks, when nothing is waiting,
 * told how long no message came; it returns in how many milliseconds it
 * wants to be asked again, or -1 for no sooner than tick_ms.
 */
struct ipc_server {
	const struct ipc_listener *sv_listeners;
	size_t		 sv_nlisteners;
	size_t		 sv_conn_max;
	int		 sv_io_timeout;	/* seconds, once a message started */
	int		 sv_tick_ms;
	void		*sv_arg;
	int		(*sv_peer_ok)(void *, unsigned peer, uid_t, gid_t);
	int		(*sv_handle)(void *, const struct ipc_peer *,
			    struct ipc_msg *req, struct ipc_msg *ans);
	void		(*sv_tick)(void *);
	int		(*sv_idle)(void *, int64_t quiet_ms);
};

void	ipc_serve(const struct ipc_server *);
int	ipc_dispatch(const struct ipc_rule *, size_t nrules, void *arg,
	    uint32_t ca_id, const struct ipc_peer *, struct ipc_msg *req,
	    struct ipc_msg *ans);

#endif
