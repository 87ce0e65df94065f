/*
 * ocsp.h: OCSP request parsing and the cache of pre-signed responses in
 * the frontend (RFC 6960, RFC 5019).  Pure functions and memory, no I/O:
 * ocsp_http.c answers, ocsp_client.c talks to the signer.
 */
#ifndef KEYWARD_OCSP_H
#define KEYWARD_OCSP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "common.h"
#include "ipc.h"

#define OCSP_GET_MAX	(8 * 1024)	/* characters after the OCSP path */
#define OCSP_ETAG_LEN	(2 + 64)	/* quoted hex SHA-256 */

/* One CertID as the signer gets it. */
struct ocsp_certid {
	int		 oc_md;		/* NID_sha1 or NID_sha256 */
	uint8_t		 oc_name[OCSP_HASH_MAX];
	size_t		 oc_namelen;
	uint8_t		 oc_key[OCSP_HASH_MAX];
	size_t		 oc_keylen;
	char		 oc_serial[SERIAL_HEX_MAX];
};

/* A parsed OCSPRequest. */
struct ocsp_request {
	size_t			 oq_n;
	struct ocsp_certid	 oq_ids[OCSP_IDS_MAX];
	uint8_t			 oq_nonce[OCSP_NONCE_RAW_MAX];	/* extnValue */
	size_t			 oq_noncelen;	/* 0: no nonce */
	char			 oq_why[128];	/* log only */
};

/* Our CA's issuerNameHash and issuerKeyHash under each digest. */
struct ocsp_issuer {
	int		 oi_ready;
	struct ocsp_certid oi_ids[2];	/* SHA-1, SHA-256 (no serial) */
};

/* A pre-signed response for one (digest, serial). */
struct ocsp_entry {
	struct ocsp_entry *oe_next;	/* hash chain */
	int		 oe_md;
	char		 oe_serial[SERIAL_HEX_MAX];
	uint64_t	 oe_seq;	/* the signer's row version */
	time_t		 oe_this_update;
	time_t		 oe_next_update;
	int		 oe_wanted;	/* asked for while due, reported */
	char		 oe_etag[OCSP_ETAG_LEN + 1];
	uint8_t		*oe_der;
	size_t		 oe_len;
};

/* ocsp_parse.c */
/*
 * 0 with the CertIDs and nonce filled; -1 (malformedRequest) with a
 * reason in oq_why: not one DER OCSPRequest, no CertID or more than
 * OCSP_IDS_MAX, a digest other than SHA-1 or SHA-256, a serial that no
 * certificate may have, a nonce of 0 or more than OCSP_NONCE_MAX bytes.
 */
int	ocsp_parse(const uint8_t *der, size_t len, struct ocsp_request *);
/* A response without responseBytes (malformedRequest, tryLater...). */
int	ocsp_status_der(int status, uint8_t **der, size_t *len);
int	ocsp_issuer_init(struct ocsp_issuer *, X509 *ca);
/* 1 if every CertID of the request names our CA. */
int	ocsp_issuer_match(const struct ocsp_issuer *,
	    const struct ocsp_request *);

/* ocsp_cache.c */
/*
 * The fresh entry for (md, serial), or NULL.  An entry past half its
 * lifetime is queued once for ocsp_cache_wanted(), so the signer
 * refreshes what relying parties ask for first.
 */
const struct ocsp_entry *ocsp_cache_get(int md, const char *serial,
	    time_t now);
/* Stores a response unless the entry holds a newer one (seq). */
int	ocsp_cache_put(int md, const char *serial, uint64_t seq,
	    time_t this_update, time_t next_update, const uint8_t *der,
	    size_t len);
/* Takes up to max queued keys; returns how many. */
size_t	ocsp_cache_wanted(int *md, char (*serial)[SERIAL_HEX_MAX],
	    size_t max);
size_t	ocsp_cache_count(void);

#endif
