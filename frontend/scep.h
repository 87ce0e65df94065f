/*
 * scep.h: SCEP PKIOperation decoding and parsing for the frontend (RFC
 * 8894).  Pure functions, no I/O: the HTTP layer hands over the bytes and
 * asks the signer for the content key between the two parsing phases.
 */
#ifndef KEYWARD_SCEP_H
#define KEYWARD_SCEP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "ipc.h"

#define SCEP_B64_MAX	(64 * 1024)	/* base64 characters of one message */
#define SCEP_DER_MAX	(64 * 1024)	/* pkiMessage DER */
#define SCEP_TXID_MAX	128		/* transactionID characters */
#define SCEP_NONCE_MAX	64		/* senderNonce bytes */
#define SCEP_EK_MAX	1024		/* encryptedKey: RSA up to 8192 bits */
#define SCEP_IAS_MAX	2048		/* recipient issuerAndSerialNumber */
#define SCEP_CEK_MAX	32		/* AES-256 */

/* What the caller answers (zero is not OK, so a blank request fails). */
enum scep_result {
	SCEP_R_HTTP400,		/* nothing to address a CertRep to */
	SCEP_R_OK,		/* sr_* filled for the message type */
	SCEP_R_FAIL,		/* CertRep FAILURE with sr_fail_info */
	SCEP_R_INTERNAL,	/* our fault (memory, signer): HTTP 500/503 */
	SCEP_R_UNWRAP,		/* needs the content key: sr_unwrap */
	SCEP_R__MAX
};

/* Which check failed; scep_err_name() gives a short name for the log. */
enum scep_err {
	SCEP_E_NONE,
	SCEP_E_INTERNAL,	/* allocation or library failure */
	SCEP_E_DER,		/* not one whole ContentInfo, or too large */
	SCEP_E_STRUCTURE,	/* not SignedData/id-data with one signer */
	SCEP_E_SIGNER_CERT,	/* signer certificate not embedded */
	SCEP_E_ATTR,		/* transactionID/senderNonce/type unusable */
	SCEP_E_SIGNATURE,	/* CMS_verify failed: badMessageCheck */
	SCEP_E_DIGEST,		/* digest not accepted: badAlg */
	SCEP_E_TIME,		/* signingTime skew: badTime */
	SCEP_E_TYPE,		/* messageType not served: badRequest */
	SCEP_E_ENVELOPE,	/* pkcsPKIEnvelope missing or malformed */
	SCEP_E_KEYTRANS,	/* key transport not accepted: badAlg */
	SCEP_E_CIPHER,		/* content cipher not accepted: badAlg */
	SCEP_E_UNWRAP,		/* no content key from the signer */
	SCEP_E_DECRYPT,		/* padding or plaintext: badMessageCheck */
	SCEP_E_CSR,		/* CSR too large or without usable key */
	SCEP_E_CSR_SIG,		/* CSR self-signature wrong: badRequest */
	SCEP_E__MAX
};

/* Per-CA acceptance policy. */
struct scep_policy {
	int		 sp_legacy;	/* accept single DES and MD5 */
	long		 sp_max_skew;	/* signingTime seconds; 0 = no check */
	time_t		 sp_now;	/* 0 = time(NULL); tests pin it */
};

/*
 * What the signer needs to decrypt encryptedKey with the RA key named by
 * the recipient issuerAndSerialNumber: su_pad is IPC_PAD_PKCS1 or
 * IPC_PAD_OAEP, su_oaep_md the OAEP (and MGF1) digest NID, 0 with PKCS#1.
 * The bytes belong to the request being parsed.
 */
struct scep_unwrap {
	int		 su_pad;
	int		 su_oaep_md;
	const uint8_t	*su_ias;
	size_t		 su_iaslen;
	const uint8_t	*su_ek;
	size_t		 su_eklen;
	size_t		 su_keylen;	/* bytes of content key expected */
};

struct sp_ctx;

/*
 * A parsed request.  Whatever the result, sr_txid, sr_nonce and sr_signer
 * hold what was recovered; SCEP_R_FAIL implies all three are set.
 */
struct scep_req {
	enum scep_result sr_result;
	enum scep_err	 sr_err;
	int		 sr_fail_info;	/* SCEP_BAD_* (ipc.h) when FAIL */
	char		 sr_reason[160];	/* log only, never the client */

	int		 sr_type;	/* messageType, -1 if unreadable */
	char		 sr_txid[SCEP_TXID_MAX + 1];	/* "" if none */
	uint8_t		 sr_nonce[SCEP_NONCE_MAX];
	size_t		 sr_noncelen;	/* 0 if none */
	X509		*sr_signer;	/* requester certificate (own ref) */
	int		 sr_digest;	/* digest NID, 0 if not accepted */
	int		 sr_cipher;	/* cipher NID, 0 if not accepted */
	int		 sr_keytrans;	/* IPC_PAD_*, 0 if not read */

	/* PKCSReq, RenewalReq (sr_csr alone on SCEP_E_CSR*, for the log) */
	uint8_t		*sr_csr_der;	/* exactly the decrypted messageData */
	size_t		 sr_csr_len;
	X509_REQ	*sr_csr;
	/* CertPoll: issuer + subject; GetCert, GetCRL: issuer + serial */
	X509_NAME	*sr_issuer;
	X509_NAME	*sr_subject;
	ASN1_INTEGER	*sr_serial;

	/* SCEP_R_UNWRAP: the question for the signer, and where parsing
	 * stopped until scep_parse_key() brings the answer. */
	struct scep_unwrap sr_unwrap;
	struct sp_ctx	*sr_ctx;
};

/* scep_decode.c */
/* GET message= value (still percent-encoded) into malloc'd DER. */
int	scep_query_decode(const char *raw_query_value, uint8_t **der,
	    size_t *len);
/* POST body into malloc'd DER: copied if DER, decoded if base64 text. */
int	scep_body_decode(const uint8_t *body, size_t bodylen, uint8_t **der,
	    size_t *len);

/* scep_parse.c */
/*
 * Phase one: fills out (always; free with scep_req_free) up to the content
 * key.  0 if out->sr_result is SCEP_R_UNWRAP, else -1 and out says how to
 * answer.
 */
int	scep_parse(const uint8_t *der, size_t len,
	    const struct scep_policy *pol, struct scep_req *out);
/*
 * Phase two: the signer's content key (random bytes when the key did not
 * decrypt; NULL if the signer could not be asked) decrypts and parses the
 * messageData.  0 if r->sr_result is SCEP_R_OK, else -1.
 */
int	scep_parse_key(struct scep_req *r, const uint8_t *cek, size_t ceklen);
void	scep_req_free(struct scep_req *);
const char *scep_err_name(enum scep_err);

#endif
