/*
 * x509util.h: certificate-building steps shared by policy.c, issue.c and
 * cacert.c, so that names, serials, validity, extensions and signatures are
 * made one way only.
 */
#ifndef KEYWARD_X509UTIL_H
#define KEYWARD_X509UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509v3.h>

#include "config.h"

#define X509_SAN_MAX	100	/* SAN entries accepted from one CSR */

/* x509util.c */
void	 x509_why(char *why, size_t whylen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	 x509_why_ssl(char *why, size_t whylen, const char *call);
X509_NAME *x509_name_parse(const char *subject, char *why, size_t whylen);
ASN1_INTEGER *x509_serial_asn1(const char *hex);
int	 x509_time(const ASN1_TIME *, time_t *);
int	 x509_set_serial(X509 *, const uint8_t *serial, size_t len,
	    char *why, size_t whylen);
X509	*x509_new_cert(const uint8_t *serial, size_t serial_len,
	    const X509_NAME *issuer, const X509_NAME *subject, char *why,
	    size_t whylen);
int	 x509_spki_copy(X509 *, const X509_PUBKEY *, char *why,
	    size_t whylen);
int	 x509_set_validity(X509 *, int skew_min, int days,
	    const ASN1_TIME *cap, char *why, size_t whylen);
X509_EXTENSION *x509_ext_new(X509V3_CTX *, int nid, const char *value,
	    char *why, size_t whylen);
int	 x509_add_ext(X509 *, X509V3_CTX *, int nid, const char *value,
	    char *why, size_t whylen);
int	 x509_add_key_ids(X509 *cert, X509 *issuer, char *why, size_t whylen);
int	 x509_add_urls(X509 *, const struct conf *, char *why, size_t whylen);
int	 x509_sign(X509 *, EVP_PKEY *key, EVP_PKEY *pub, char *why,
	    size_t whylen);
int	 x509_req_ext(X509_REQ *, int nid, void **out, char *why,
	    size_t whylen);
unsigned x509_san_type(const GENERAL_NAME *, char *label, size_t labelsz);

#endif
