/*
 * signer.h: keyward-signer's private interfaces: the token, issuance
 * policy, certificate building, and the request handlers.
 */
#ifndef KEYWARD_SIGNER_H
#define KEYWARD_SIGNER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

struct conf;
struct conf_profile;
struct ledger;

/* Token object labels for CA id n: "keyward-ca-n", "keyward-ra-n", ... */
#define KEY_ROLE_CA	"ca"
#define KEY_ROLE_RA	"ra"
#define KEY_ROLE_OCSP	"ocsp"
#define KEY_ROLE_INTUNE	"intune"	/* Entra ID client assertions */
#define KEY_LABEL_MAX	64

#define SERIAL_LEN	16	/* 128 bits of CSPRNG output */

/* token.c: libp11 session for this process, opened after fork. */
struct token;
int	 token_open(const struct conf *, struct token **);
void	 token_close(struct token *);
/* Private key handle for role of ca_id, or NULL; owned by the token. */
EVP_PKEY *token_key(struct token *, uint32_t ca_id, const char *role);
/* Public half of the same key pair, or NULL; caller frees. */
EVP_PKEY *token_pubkey(struct token *, uint32_t ca_id, const char *role);
int	 token_alive(struct token *);		/* 1 if the token answers */
void	 token_label(uint32_t ca_id, const char *role, char *out, size_t);

/*
 * keygen.c: raw PKCS#11 for what libp11 0.4.12 cannot do.  Sets
 * SOFTHSM2_CONF from the config before loading the module.
 */
/* Creates the token (SoftHSM: C_InitToken + C_InitPIN) unless it exists;
 * *created says which. */
int	 keygen_token(const struct conf *, int *created);
/* Generates a sensitive, non-extractable pair labelled for role unless one
 * exists; *created says which. */
int	 keygen_pair(const struct conf *, uint32_t ca_id, const char *role,
	    int key_type, int *created);

/* policy.c: design.md rule 2, applied to every request whoever sends it. */
/* 0 if the CSR may be issued under profile, else -1 with a reason. */
int	 policy_check(const struct conf *, const struct conf_profile *,
	    X509_REQ *, char *why, size_t whylen);
/* 0 if the public key meets the minimum sizes (RSA >= 2048, P-256+). */
int	 policy_key_ok(EVP_PKEY *, char *why, size_t whylen);

/* issue.c: builds and signs certificates from checked inputs. */
int	 serial_generate(uint8_t out[SERIAL_LEN]);
/* End-entity certificate from req under profile, signed by ca_key. */
X509	*issue_cert(const struct conf *, const struct conf_profile *,
	    X509_REQ *, X509 *ca_cert, EVP_PKEY *ca_key,
	    const uint8_t serial[SERIAL_LEN], char *why, size_t whylen);

/* cacert.c: the CA's own certificates. */
X509	*cacert_selfsign(const struct conf *, EVP_PKEY *pub, EVP_PKEY *key);
X509_REQ *cacert_csr(const struct conf *, EVP_PKEY *pub, EVP_PKEY *key);
/* RA (KU digitalSignature+keyEncipherment, EKU serverAuth and Certificate
 * Request Agent) or OCSP responder (EKU OCSPSigning, ocsp-nocheck). */
X509	*cacert_ra(const struct conf *, EVP_PKEY *pub, X509 *ca_cert,
	    EVP_PKEY *ca_key);
X509	*cacert_ocsp(const struct conf *, EVP_PKEY *pub, X509 *ca_cert,
	    EVP_PKEY *ca_key);
/* Self-signed, for the Entra ID app registration (no CA extensions). */
X509	*cacert_intune(const struct conf *, const char *subject,
	    EVP_PKEY *pub, EVP_PKEY *key);
/* 0 if cert is a CA certificate for the public key pub. */
int	 cacert_matches(X509 *cert, EVP_PKEY *pub, char *why, size_t whylen);

/* certrep.c: SCEP replies (RFC 8894 3.3.2), built whole from typed fields. */
#define CERTREP_TXID_MAX	128	/* transactionID, PrintableString */
#define CERTREP_NONCE_MAX	256	/* recipientNonce echoed as received */
#define CERTREP_NONCE_LEN	16	/* our fresh senderNonce */

struct certrep_in {
	const char	*ci_txid;	/* request's transactionID */
	const uint8_t	*ci_nonce;	/* request's senderNonce */
	size_t		 ci_noncelen;
	X509		*ci_requester;	/* signed the request, gets the reply */
	int		 ci_cipher;	/* NID of the request's cipher */
	int		 ci_digest;	/* NID of the request's digest; 0 or
					   one not accepted: SHA-256 */
	int		 ci_status;	/* SCEP_SUCCESS, _FAILURE, _PENDING */
	int		 ci_failinfo;	/* SCEP_BAD_*, FAILURE only */
	const uint8_t	*ci_cert;	/* SUCCESS: issued certificate DER */
	size_t		 ci_certlen;
	STACK_OF(X509)	*ci_chain;	/* SUCCESS: certs after it, or NULL */
	int		 ci_legacy;	/* single DES and MD5 allowed */
	const uint8_t	*ci_crl;	/* SUCCESS to GetCRL: the CRL DER */
	size_t		 ci_crllen;	/* (then ci_cert stays NULL) */
};

/* 1 if nid may encrypt a reply / sign it (digest 0 means the default). */
/* 0 if in describes a CertRep we would build, else -1 with a reason. */
int	 certrep_check(const struct certrep_in *, char *why, size_t whylen);
/*
 * The DER CertRep signed with rakey: envelope to the requester for SUCCESS,
 * detached empty content otherwise; racert and extra_certs (duplicates of
 * racert skipped) in certificates.  *der is freed with OPENSSL_free.
 */
int	 certrep_build(const struct certrep_in *, X509 *racert,
	    EVP_PKEY *rakey, STACK_OF(X509) *extra_certs, uint8_t **der,
	    size_t *derlen, char *why, size_t whylen);
/* Degenerate certs-only SignedData: RA, CA, then root (may be NULL). */
int	 racerts_build(X509 *ra, X509 *ca, X509 *root, uint8_t **der,
	    size_t *derlen);

/* ocsp.c: OCSP responses from typed fields (RFC 6960, RFC 5019). */
struct ocsp_single {
	int		 os_md;		/* CertID digest: SHA-1, SHA-256 */
	const char	*os_serial;	/* upper-case hex */
	int		 os_status;	/* V_OCSP_CERTSTATUS_* */
	time_t		 os_rev_time;
	int		 os_reason;	/* CRLReason; 0 or -1: left out */
};

struct ocsp_signer {
	X509		*osg_ca;	/* issuer of what is asked about */
	X509		*osg_cert;	/* delegated responder certificate */
	EVP_PKEY	*osg_key;	/* its key (in the token) */
};

/* 1 if the CertID hashes name ca (its subject and key) under md. */
int	 ocsp_issuer_ok(X509 *ca, int md, const uint8_t *name_hash,
	    size_t nlen, const uint8_t *key_hash, size_t klen);
/*
 * A signed OCSPResponse with one SingleResponse per os, echoing the nonce
 * extnValue if noncelen > 0.  *der is freed with OPENSSL_free.
 */
int	 ocsp_build(const struct ocsp_signer *, const struct ocsp_single *,
	    size_t n, const uint8_t *nonce, size_t noncelen,
	    time_t this_update, time_t next_update, uint8_t **der,
	    size_t *derlen, char *why, size_t whylen);

/* crl.c: the full CRL (RFC 5280 section 5). */
struct crl_entry {
	const char	*ce_serial;	/* upper-case hex */
	int64_t		 ce_time;
	int		 ce_reason;	/* CRLReason; 0 or -1: left out */
};

/* A v2 CRL with cRLNumber and AKI, signed by key and checked with ca. */
int	 crl_build(X509 *ca, EVP_PKEY *key, const struct crl_entry *,
	    size_t n, uint64_t number, time_t this_update,
	    time_t next_update, uint8_t **der, size_t *derlen, char *why,
	    size_t whylen);
/* The cRLNumber, thisUpdate and nextUpdate of a DER CRL; -1 if none. */
int	 crl_info(const uint8_t *der, size_t len, uint64_t *number,
	    time_t *this_update, time_t *next_update);

/* unwrap.c: the content-encryption key of a SCEP envelope. */
#define UNWRAP_IAS_MAX		2048	/* recipient issuerAndSerialNumber */
#define UNWRAP_EK_MAX		1024	/* encryptedKey: RSA up to 8192 bits */
#define UNWRAP_KEY_MAX		32

/*
 * RSA-decrypts ek (padding IPC_PAD_PKCS1 or IPC_PAD_OAEP, OAEP digest
 * oaep_md_nid, 0 = SHA-1, also for MGF1) into cek.  Implicit rejection: 0
 * and keylen random bytes on any failure; -1 for a keylen other than 8,
 * 16, 24, 32 or an unknown padding code; -2 if no random bytes.
 */
int	 unwrap_cek(EVP_PKEY *rakey, int padding, int oaep_md_nid,
	    const uint8_t *ek, size_t eklen, uint8_t *cek, size_t keylen);

#endif
