/*
 * checkpoint.c: the chain head, and checkpoints: the head signed with the
 * CA key, so that a chain recomputed by someone without the token no
 * longer matches.  The signed message is fixed and built here:
 *   "keyward-checkpoint" || be64(ca_id) || be64(event_id) || head hash
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common.h"
#include "ledger_int.h"

#define CP_TAG		"keyward-checkpoint"
#define CP_TAGLEN	(sizeof(CP_TAG) - 1)
#define CP_MSGLEN	(CP_TAGLEN + 8 + 8 + LEDGER_HASH_LEN)

static void	 checkpoint_msg(uint32_t, int64_t,
		    const uint8_t [LEDGER_HASH_LEN], uint8_t [CP_MSGLEN]);
static int	 checkpoint_sign(EVP_PKEY *, const uint8_t *, size_t,
		    uint8_t **, size_t *);
static int	 checkpoint_insert(struct ledger *, uint32_t, int64_t,
		    const uint8_t *, const uint8_t *, size_t);

/* The newest event's id and hash; 0 and 32 zero bytes when empty. */
int
ledger_head(struct ledger *l, int64_t *id, uint8_t hash[LEDGER_HASH_LEN])
{
	sqlite3_stmt	*st = NULL;
	int		 r;

	*id = 0;
	memset(hash, 0, LEDGER_HASH_LEN);
	if ((r = ledger_row(l, "chain head", "SELECT id, hash FROM events"
	    " ORDER BY id DESC LIMIT 1", NULL, 0, &st)) != 0)
		goto out;
	if (sqlite3_column_type(st, 1) != SQLITE_BLOB ||
	    sqlite3_column_bytes(st, 1) != LEDGER_HASH_LEN) {
		r = ledger_seterr(l, "event %lld: stored hash is malformed",
		    sqlite3_column_int64(st, 0));
		goto out;
	}
	*id = sqlite3_column_int64(st, 0);
	memcpy(hash, sqlite3_column_blob(st, 1), LEDGER_HASH_LEN);
 out:
	ledger_done(l, st);
	return r == -1 ? -1 : 0;
}

static void
checkpoint_msg(uint32_t ca_id, int64_t event_id,
    const uint8_t hash[LEDGER_HASH_LEN], uint8_t msg[CP_MSGLEN])
{
	memcpy(msg, CP_TAG, CP_TAGLEN);
	ledger_be64(msg + CP_TAGLEN, ca_id);
	ledger_be64(msg + CP_TAGLEN + 8, (uint64_t)event_id);
	memcpy(msg + CP_TAGLEN + 16, hash, LEDGER_HASH_LEN);
}

/* SHA-256 signature with whatever key type key is (RSA PKCS#1, ECDSA). */
static int
checkpoint_sign(EVP_PKEY *key, const uint8_t *msg, size_t len,
    uint8_t **sig, size_t *siglen)
{
	EVP_MD_CTX	*ctx = NULL;
	int		 rc = -1;

	*sig = NULL;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, NULL, siglen, msg, len) != 1 ||
	    (*sig = malloc(*siglen)) == NULL ||
	    EVP_DigestSign(ctx, *sig, siglen, msg, len) != 1)
		goto out;
	rc = 0;
 out:
	if (rc != 0) {
		free(*sig);
		*sig = NULL;
	}
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* 0 if sig signs the checkpoint under the key of the DER certificate. */
int
ledger_checkpoint_ok(const uint8_t *cert, size_t certlen, uint32_t ca_id,
    int64_t event_id, const uint8_t hash[LEDGER_HASH_LEN],
    const uint8_t *sig, size_t siglen)
{
	uint8_t		 msg[CP_MSGLEN];
	const uint8_t	*p = cert;
	EVP_MD_CTX	*ctx = NULL;
	X509		*x = NULL;
	EVP_PKEY	*pub;
	int		 rc = -1;

	if (certlen > LONG_MAX ||
	    (x = d2i_X509(NULL, &p, (long)certlen)) == NULL ||
	    (pub = X509_get0_pubkey(x)) == NULL)
		goto out;
	checkpoint_msg(ca_id, event_id, hash, msg);
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pub) != 1 ||
	    EVP_DigestVerify(ctx, sig, siglen, msg, sizeof(msg)) != 1)
		goto out;
	rc = 0;
 out:
	if (rc != 0)
		ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	X509_free(x);
	return rc;
}

static int
checkpoint_insert(struct ledger *l, uint32_t ca_id, int64_t event_id,
    const uint8_t *hash, const uint8_t *sig, size_t siglen)
{
	const struct ledger_arg	 a[] = { LA_INT((int64_t)time(NULL)),
	    LA_INT(ca_id), LA_INT(event_id), LA_BLOB(hash, LEDGER_HASH_LEN),
	    LA_BLOB(sig, siglen) };

	return ledger_run(l, "insert checkpoint", "INSERT INTO checkpoints"
	    " (ts, ca_id, event_id, head_hash, sig) VALUES (?1, ?2, ?3, ?4,"
	    " ?5)", a, nitems(a));
}

/*
 * Signs the current head with key and stores the checkpoint.  The
 * signature is checked against the installed CA certificate first, so a
 * checkpoint that verify would reject is never written.  The token is
 * not used under the write lock: the head may move on meanwhile, which
 * is fine, the checkpoint covers the events up to *event_id.
 */
int
ledger_checkpoint(struct ledger *l, uint32_t ca_id, EVP_PKEY *key,
    int64_t *event_id)
{
	uint8_t		 hash[LEDGER_HASH_LEN], msg[CP_MSGLEN];
	uint8_t		*sig = NULL, *cert = NULL;
	size_t		 siglen = 0, certlen = 0;
	int64_t		 id;
	int		 r, rc = -1;

	if (l->l_readonly)
		return ledger_seterr(l, "ledger is open read-only");
	if (ledger_head(l, &id, hash) == -1)
		goto out;
	if (id == 0) {
		ledger_seterr(l, "the ledger has no events to checkpoint");
		goto out;
	}
	if ((r = ledger_ca_cert(l, ca_id, ROLE_CA, &cert, &certlen)) != 0) {
		if (r == 1)
			ledger_seterr(l, "no CA certificate for CA %u", ca_id);
		goto out;
	}
	checkpoint_msg(ca_id, id, hash, msg);
	if (key == NULL ||
	    checkpoint_sign(key, msg, sizeof(msg), &sig, &siglen) == -1) {
		ledger_seterr(l, "signing the checkpoint failed");
		goto out;
	}
	if (ledger_checkpoint_ok(cert, certlen, ca_id, id, hash, sig,
	    siglen) == -1) {
		ledger_seterr(l, "the key is not CA %u's certificate key", ca_id);
		goto out;
	}
	if (checkpoint_insert(l, ca_id, id, hash, sig, siglen) == -1)
		goto out;
	if (event_id != NULL)
		*event_id = id;
	rc = 0;
 out:
	free(sig);
	free(cert);
	return rc;
}
