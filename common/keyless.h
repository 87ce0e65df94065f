/*
 * keyless.h: certificates and requests parsed without decoding their
 * public key.
 *
 * OpenSSL 3.0 decodes the key of every certificate it parses through its
 * decoder framework, which costs most of d2i_X509.  A certificate parsed
 * here lives in a library context that holds only the null provider, so
 * its key stays undecoded.  Use such a certificate for its names, serial,
 * extensions and DER, and as a CMS recipient once keyless_rsa_key() gave
 * it its key; never for signature verification or anything else that
 * fetches algorithms from the certificate's library context: X509_verify
 * fails, and so does X509_check_issued (and whatever else caches the
 * extensions: they include a SHA-1 fingerprint).  Parse the DER again
 * with d2i_X509 for those.  Requests parsed here verify with
 * X509_REQ_verify_ex(req, keyless_req_key(req), NULL, NULL), which names
 * the default context.
 */
#ifndef KEYWARD_KEYLESS_H
#define KEYWARD_KEYLESS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

/* Exactly one DER certificate; NULL if it does not parse or has bytes
 * after it. */
X509	*keyless_parse(const uint8_t *der, size_t len);
/* Gives a keyless certificate its RSA public key; -1 if the key is not
 * RSA or does not parse. */
int	 keyless_rsa_key(X509 *);
/* Exactly one DER PKCS#10 request, or NULL. */
X509_REQ *keyless_parse_req(const uint8_t *der, size_t len);
/* The request's public key (EVP_PKEY_free it); NULL if it does not parse.
 * Works on any request, keyless or not. */
EVP_PKEY *keyless_req_key(X509_REQ *);

#endif
