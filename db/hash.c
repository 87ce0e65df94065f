/*
 * hash.c: the event hash that chains the ledger.
 *
 * hash = SHA-256 over the previous event's hash, then every column of the
 * event in table order (id, ts, ca_id, kind, serial, profile, txid,
 * csr_hash, requester, dir_ids, reason, rev_time, owner, der).  Each field
 * is encoded as one type byte ('N' NULL, 'I' integer, 'T' text, 'B' blob),
 * its length as 8 bytes big-endian, then its bytes; integers are 8 bytes
 * big-endian two's complement.  So NULL differs from "", and no two
 * different rows encode to the same bytes.
 */
#include <string.h>

#include <openssl/evp.h>

#include "common.h"
#include "ledger_int.h"

static int	 hash_field(EVP_MD_CTX *, uint8_t, const void *, size_t);
static int	 hash_int(EVP_MD_CTX *, int, int64_t);
static int	 hash_text(EVP_MD_CTX *, const char *);
static int	 hash_fields(EVP_MD_CTX *, const struct ledger_event *);

void
ledger_be64(uint8_t out[8], uint64_t v)
{
	int	 i;

	for (i = 7; i >= 0; i--) {
		out[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

static int
hash_field(EVP_MD_CTX *ctx, uint8_t type, const void *p, size_t len)
{
	uint8_t	 hdr[9];

	hdr[0] = type;
	ledger_be64(hdr + 1, (uint64_t)len);
	if (EVP_DigestUpdate(ctx, hdr, sizeof(hdr)) != 1)
		return -1;
	if (len > 0 && EVP_DigestUpdate(ctx, p, len) != 1)
		return -1;
	return 0;
}

/* An integer column; present == 0 encodes SQL NULL. */
static int
hash_int(EVP_MD_CTX *ctx, int present, int64_t v)
{
	uint8_t	 b[8];

	if (!present)
		return hash_field(ctx, 'N', NULL, 0);
	ledger_be64(b, (uint64_t)v);
	return hash_field(ctx, 'I', b, sizeof(b));
}

static int
hash_text(EVP_MD_CTX *ctx, const char *s)
{
	if (s == NULL)
		return hash_field(ctx, 'N', NULL, 0);
	return hash_field(ctx, 'T', s, strlen(s));
}

static int
hash_fields(EVP_MD_CTX *ctx, const struct ledger_event *ev)
{
	if (hash_field(ctx, 'B', ev->ev_prev, LEDGER_HASH_LEN) == -1 ||
	    hash_int(ctx, 1, ev->ev_id) == -1 ||
	    hash_int(ctx, 1, ev->ev_ts) == -1 ||
	    hash_int(ctx, 1, ev->ev_ca_id) == -1 ||
	    hash_text(ctx, ev->ev_kind) == -1 ||
	    hash_text(ctx, ev->ev_serial) == -1 ||
	    hash_text(ctx, ev->ev_profile) == -1 ||
	    hash_text(ctx, ev->ev_txid) == -1 ||
	    hash_text(ctx, ev->ev_csr_hash) == -1 ||
	    hash_text(ctx, ev->ev_requester) == -1 ||
	    hash_text(ctx, ev->ev_dir_ids) == -1 ||
	    hash_int(ctx, ev->ev_has_reason, ev->ev_reason) == -1 ||
	    hash_int(ctx, ev->ev_has_rev_time, ev->ev_rev_time) == -1 ||
	    hash_text(ctx, ev->ev_owner) == -1)
		return -1;
	if (ev->ev_der == NULL)
		return hash_field(ctx, 'N', NULL, 0);
	return hash_field(ctx, 'B', ev->ev_der, ev->ev_derlen);
}

/* Computes the hash of ev (including ev_prev) into out; 0 or -1. */
int
ledger_event_hash(const struct ledger_event *ev, uint8_t out[LEDGER_HASH_LEN])
{
	EVP_MD_CTX	*ctx = NULL;
	unsigned int	 len = LEDGER_HASH_LEN;
	int		 rc = -1;

	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	if (hash_fields(ctx, ev) == -1 ||
	    EVP_DigestFinal_ex(ctx, out, &len) != 1 || len != LEDGER_HASH_LEN)
		goto out;
	rc = 0;
 out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* Hex SHA-256 of buf, upper-case like serials and CSR hashes. */
int
ledger_hex_sha256(const uint8_t *buf, size_t len, char out[65])
{
	uint8_t		 md[LEDGER_HASH_LEN];
	unsigned int	 mdlen = sizeof(md);

	if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != sizeof(md))
		return -1;
	serial_hex(md, sizeof(md), out, 65);
	return 0;
}
