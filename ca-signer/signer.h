/*
 * signer.h: keyward-signer's private interfaces: the token, issuance
 * policy, certificate building, and the request handlers.
 */
#ifndef KEYWARD_SIGNER_H
#define KEYWARD_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

struct conf;
struct conf_profile;
struct ledger;

/* Token object labels for CA id n: "keyward-ca-n", "keyward-ra-n", ... */
#define KEY_ROLE_CA	"ca"
#define KEY_ROLE_RA	"ra"
#define KEY_ROLE_OCSP	"ocsp"
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
/* 0 if cert is a CA certificate for the public key pub. */
int	 cacert_matches(X509 *cert, EVP_PKEY *pub, char *why, size_t whylen);

#endif
