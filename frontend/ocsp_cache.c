/*
 * ocsp_cache.c: the pre-signed OCSP responses this frontend serves from
 * memory, keyed by (CertID digest, serial).  Each entry carries the
 * signer's sequence number, so a late answer never replaces a newer one
 * (a revocation).  The table doubles as it fills; entries are only
 * replaced, never removed: the signer's set is bounded by the live
 * certificates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ocsp.h"

#define BUCKETS_MIN	1024

static struct ocsp_entry	**table;
static size_t			  nbuckets;
static size_t			  nentries;
/* Keys asked for while due, for the next pull. */
static int			  want_md[OCSP_WANT_MAX];
static char			  want_serial[OCSP_WANT_MAX][SERIAL_HEX_MAX];
static size_t			  nwant;

static size_t	key_hash(int, const char *);
static struct ocsp_entry *find(int, const char *);
static int	grow(void);
static void	etag(const uint8_t *, size_t, char *);

/* FNV-1a over the serial and the digest NID. */
static size_t
key_hash(int md, const char *serial)
{
	uint64_t	 h = 1469598103934665603ULL;

	for (; *serial != '\0'; serial++)
		h = (h ^ (uint8_t)*serial) * 1099511628211ULL;
	h = (h ^ (uint64_t)md) * 1099511628211ULL;
	return (size_t)h;
}

static struct ocsp_entry *
find(int md, const char *serial)
{
	struct ocsp_entry	*e;

	if (nbuckets == 0)
		return NULL;
	for (e = table[key_hash(md, serial) & (nbuckets - 1)]; e != NULL;
	    e = e->oe_next)
		if (e->oe_md == md && strcmp(e->oe_serial, serial) == 0)
			return e;
	return NULL;
}

/* Doubles the table (a power of two) and rehashes. */
static int
grow(void)
{
	struct ocsp_entry	**nt, *e, *next;
	size_t			  n, i, b;

	n = nbuckets == 0 ? BUCKETS_MIN : 2 * nbuckets;
	if ((nt = calloc(n, sizeof(*nt))) == NULL)
		return -1;
	for (i = 0; i < nbuckets; i++)
		for (e = table[i]; e != NULL; e = next) {
			next = e->oe_next;
			b = key_hash(e->oe_md, e->oe_serial) & (n - 1);
			e->oe_next = nt[b];
			nt[b] = e;
		}
	free(table);
	table = nt;
	nbuckets = n;
	return 0;
}

/* A strong validator (RFC 5019 6.2): the quoted hex SHA-256 of the DER. */
static void
etag(const uint8_t *der, size_t len, char *out)
{
	uint8_t		 md[32];
	unsigned int	 mdlen = sizeof(md);
	size_t		 i;

	EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL);
	out[0] = '"';
	for (i = 0; i < sizeof(md); i++)
		snprintf(out + 1 + 2 * i, 3, "%02x", md[i]);
	out[OCSP_ETAG_LEN - 1] = '"';
	out[OCSP_ETAG_LEN] = '\0';
}

const struct ocsp_entry *
ocsp_cache_get(int md, const char *serial, time_t now)
{
	struct ocsp_entry	*e;

	if ((e = find(md, serial)) == NULL || now >= e->oe_next_update)
		return NULL;
	if (!e->oe_wanted && now >= e->oe_this_update +
	    (e->oe_next_update - e->oe_this_update) / 2 &&
	    nwant < OCSP_WANT_MAX) {
		e->oe_wanted = 1;
		want_md[nwant] = md;
		memcpy(want_serial[nwant++], e->oe_serial, SERIAL_HEX_MAX);
	}
	return e;
}

int
ocsp_cache_put(int md, const char *serial, uint64_t seq, time_t this_update,
    time_t next_update, const uint8_t *der, size_t len)
{
	struct ocsp_entry	*e;
	uint8_t			*copy;
	size_t			 b;

	if (strlen(serial) >= SERIAL_HEX_MAX || len == 0)
		return -1;
	if ((e = find(md, serial)) != NULL && e->oe_seq >= seq)
		return 0;
	if ((copy = malloc(len)) == NULL)
		return -1;
	memcpy(copy, der, len);
	if (e == NULL) {
		if ((nentries >= nbuckets && grow() == -1) ||
		    (e = calloc(1, sizeof(*e))) == NULL) {
			free(copy);
			return -1;
		}
		e->oe_md = md;
		memcpy(e->oe_serial, serial, strlen(serial) + 1);
		b = key_hash(md, serial) & (nbuckets - 1);
		e->oe_next = table[b];
		table[b] = e;
		nentries++;
	}
	free(e->oe_der);
	e->oe_der = copy;
	e->oe_len = len;
	e->oe_seq = seq;
	e->oe_this_update = this_update;
	e->oe_next_update = next_update;
	e->oe_wanted = 0;
	etag(der, len, e->oe_etag);
	return 0;
}

size_t
ocsp_cache_wanted(int *md, char (*serial)[SERIAL_HEX_MAX], size_t max)
{
	size_t	 n = nwant < max ? nwant : max;

	memcpy(md, want_md, n * sizeof(*md));
	memcpy(serial, want_serial, n * sizeof(*serial));
	memmove(want_md, want_md + n, (nwant - n) * sizeof(*want_md));
	memmove(want_serial, want_serial + n, (nwant - n) *
	    sizeof(*want_serial));
	nwant -= n;
	return n;
}

size_t
ocsp_cache_count(void)
{
	return nentries;
}
