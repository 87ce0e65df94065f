/*
 * token.c: the signer's one libp11 session (design.md rule 5).  The token is
 * opened after the fork, logged in once, and hands out EVP_PKEY handles whose
 * private operations run inside the PKCS#11 module.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libp11.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common.h"
#include "../common/config.h"
#include "signer.h"

#define TOKEN_PIN_MAX	256

/* A private key handle looked up once and kept for the session. */
struct token_keyent {
	struct token_keyent	*ke_next;
	char			 ke_label[KEY_LABEL_MAX];
	EVP_PKEY		*ke_pkey;
};

struct token {
	PKCS11_CTX		*tk_ctx;
	int			 tk_loaded;	/* PKCS11_CTX_load succeeded */
	PKCS11_SLOT		*tk_slots;
	unsigned int		 tk_nslots;
	PKCS11_SLOT		*tk_slot;	/* ours, inside tk_slots */
	char			*tk_module;
	char			*tk_name;	/* token label, for messages */
	struct token_keyent	*tk_keys;
};

static const char	*token_err(void);
static int		 token_load(struct token *, const struct conf *);
static int		 token_find(struct token *);
static int		 token_login(struct token *, const char *);
static PKCS11_KEY	*token_find_key(struct token *, const char *);
static EVP_PKEY		*token_plain_pubkey(EVP_PKEY *);

/* The newest libp11/OpenSSL error as text, clearing the queue. */
static const char *
token_err(void)
{
	const char	*s = NULL;
	unsigned long	 e;

	e = ERR_peek_last_error();
	if (e != 0)
		s = ERR_reason_error_string(e);
	ERR_clear_error();
	return s != NULL ? s : "unknown error";
}

void
token_label(uint32_t ca_id, const char *role, char *out, size_t outsz)
{
	snprintf(out, outsz, "keyward-%s-%u", role, (unsigned)ca_id);
}

/* Loads the module named by the config into a new libp11 context. */
static int
token_load(struct token *tk, const struct conf *cf)
{
	char	 path[PATH_MAX];

	if (cf->cf_softhsm2_conf != NULL &&
	    setenv("SOFTHSM2_CONF", cf->cf_softhsm2_conf, 1) == -1) {
		log_warn("setenv SOFTHSM2_CONF");
		return -1;
	}
	/* Resolve first so a missing module is reported as such, and the
	 * module that gets loaded is the file we checked. */
	if (realpath(cf->cf_module, path) == NULL) {
		log_warn("PKCS#11 module %s", cf->cf_module);
		return -1;
	}
	if ((tk->tk_module = strdup(cf->cf_module)) == NULL ||
	    (tk->tk_name = strdup(cf->cf_token_label)) == NULL) {
		log_warn("strdup");
		return -1;
	}
	if ((tk->tk_ctx = PKCS11_CTX_new()) == NULL) {
		log_warnx("PKCS11_CTX_new: %s", token_err());
		return -1;
	}
	if (PKCS11_CTX_load(tk->tk_ctx, path) != 0) {
		log_warnx("cannot load PKCS#11 module %s: %s", cf->cf_module,
		    token_err());
		return -1;
	}
	tk->tk_loaded = 1;
	if (PKCS11_enumerate_slots(tk->tk_ctx, &tk->tk_slots,
	    &tk->tk_nslots) != 0) {
		log_warnx("cannot list slots of PKCS#11 module %s: %s",
		    cf->cf_module, token_err());
		return -1;
	}
	return 0;
}

/* Points tk_slot at the initialized token whose label is tk_name. */
static int
token_find(struct token *tk)
{
	PKCS11_SLOT	*slot = NULL;
	unsigned int	 i;

	for (i = 0; i < tk->tk_nslots; i++) {
		slot = &tk->tk_slots[i];
		/* libp11 strips the label's space padding. */
		if (slot->token != NULL && slot->token->initialized &&
		    slot->token->label != NULL &&
		    strcmp(slot->token->label, tk->tk_name) == 0) {
			tk->tk_slot = slot;
			return 0;
		}
	}
	log_warnx("token '%s' not found in module %s", tk->tk_name,
	    tk->tk_module);
	return -1;
}

/* Opens the session and logs in as the user; the PIN never outlives it. */
static int
token_login(struct token *tk, const char *pinfile)
{
	char	 pin[TOKEN_PIN_MAX];
	int	 rv = -1;

	if (PKCS11_open_session(tk->tk_slot, 0) != 0) {
		log_warnx("cannot open a session on token '%s': %s",
		    tk->tk_name, token_err());
		goto out;
	}
	if (secret_read(pinfile, pin, sizeof(pin)) == -1)
		goto out;
	if (PKCS11_login(tk->tk_slot, 0, pin) != 0) {
		log_warnx("login to token '%s' failed: wrong PIN? (%s)",
		    tk->tk_name, token_err());
		goto out;
	}
	rv = 0;
 out:
	OPENSSL_cleanse(pin, sizeof(pin));
	return rv;
}

int
token_open(const struct conf *cf, struct token **tkp)
{
	struct token	*tk = NULL;
	int		 rv = -1;

	*tkp = NULL;
	if (cf->cf_module == NULL || cf->cf_token_label == NULL ||
	    cf->cf_pin_file == NULL) {
		log_warnx("token: module, token label and PIN file must be "
		    "configured");
		return -1;
	}
	if ((tk = calloc(1, sizeof(*tk))) == NULL) {
		log_warn("calloc");
		goto out;
	}
	if (token_load(tk, cf) == -1 || token_find(tk) == -1 ||
	    token_login(tk, cf->cf_pin_file) == -1)
		goto out;
	*tkp = tk;
	tk = NULL;
	rv = 0;
 out:
	token_close(tk);
	return rv;
}

void
token_close(struct token *tk)
{
	struct token_keyent	*ke = NULL, *next = NULL;

	if (tk == NULL)
		return;
	for (ke = tk->tk_keys; ke != NULL; ke = next) {
		next = ke->ke_next;
		EVP_PKEY_free(ke->ke_pkey);
		free(ke);
	}
	if (tk->tk_slots != NULL)
		PKCS11_release_all_slots(tk->tk_ctx, tk->tk_slots,
		    tk->tk_nslots);
	if (tk->tk_loaded)
		PKCS11_CTX_unload(tk->tk_ctx);
	if (tk->tk_ctx != NULL)
		PKCS11_CTX_free(tk->tk_ctx);
	free(tk->tk_module);
	free(tk->tk_name);
	free(tk);
}

/* The private key object labelled label, or NULL. */
static PKCS11_KEY *
token_find_key(struct token *tk, const char *label)
{
	PKCS11_KEY	*keys = NULL;
	unsigned int	 i, n = 0;

	if (PKCS11_enumerate_keys(tk->tk_slot->token, &keys, &n) != 0) {
		log_warnx("cannot list keys on token '%s': %s", tk->tk_name,
		    token_err());
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (keys[i].label != NULL && strcmp(keys[i].label, label) == 0)
			return &keys[i];
	return NULL;
}

EVP_PKEY *
token_key(struct token *tk, uint32_t ca_id, const char *role)
{
	struct token_keyent	*ke = NULL;
	PKCS11_KEY		*key = NULL;
	char			 label[KEY_LABEL_MAX];

	if (tk == NULL || role == NULL)
		return NULL;
	token_label(ca_id, role, label, sizeof(label));
	for (ke = tk->tk_keys; ke != NULL; ke = ke->ke_next)
		if (strcmp(ke->ke_label, label) == 0)
			return ke->ke_pkey;
	if ((key = token_find_key(tk, label)) == NULL) {
		log_warnx("no private key '%s' on token '%s'", label,
		    tk->tk_name);
		return NULL;
	}
	if ((ke = calloc(1, sizeof(*ke))) == NULL) {
		log_warn("calloc");
		return NULL;
	}
	if ((ke->ke_pkey = PKCS11_get_private_key(key)) == NULL) {
		log_warnx("PKCS11_get_private_key '%s': %s", label,
		    token_err());
		free(ke);
		return NULL;
	}
	snprintf(ke->ke_label, sizeof(ke->ke_label), "%s", label);
	ke->ke_next = tk->tk_keys;
	tk->tk_keys = ke;
	return ke->ke_pkey;
}

/* Copies a key's public half into a plain EVP_PKEY that does not refer to
 * the token, so it outlives token_close and suits X509_set_pubkey. */
static EVP_PKEY *
token_plain_pubkey(EVP_PKEY *pk)
{
	EVP_PKEY		*pub = NULL;
	unsigned char		*der = NULL;
	const unsigned char	*p = NULL;
	int			 len;

	if ((len = i2d_PUBKEY(pk, &der)) <= 0) {
		log_warnx("i2d_PUBKEY: %s", token_err());
		goto out;
	}
	p = der;
	if ((pub = d2i_PUBKEY(NULL, &p, len)) == NULL)
		log_warnx("d2i_PUBKEY: %s", token_err());
 out:
	OPENSSL_free(der);
	return pub;
}

/*
 * The public half comes from the cached private handle, which libp11 fills
 * from the public key object with the same CKA_ID.  PKCS11_get_public_key
 * would do the same, but in 0.4.12 it leaks a key object holding a slot
 * reference, which keeps the slot and libp11's copy of the PIN alive.
 */
EVP_PKEY *
token_pubkey(struct token *tk, uint32_t ca_id, const char *role)
{
	EVP_PKEY	*key = NULL;

	if ((key = token_key(tk, ca_id, role)) == NULL)
		return NULL;
	return token_plain_pubkey(key);
}

/*
 * 1 if the token answers a request on our session.  libp11 0.4.12 answers
 * PKCS11_is_logged_in from its own cache, and re-listing the slots closes
 * every session on them (C_CloseAllSessions), so ask the token for one
 * random byte instead, or look for keys if it has no generator.
 */
int
token_alive(struct token *tk)
{
	PKCS11_KEY	*keys = NULL;
	unsigned char	 r[1];
	unsigned int	 n = 0;
	int		 rv;

	if (tk == NULL || tk->tk_slot == NULL)
		return 0;
	if (tk->tk_slot->token->hasRng)
		rv = PKCS11_generate_random(tk->tk_slot, r, sizeof(r));
	else
		rv = PKCS11_enumerate_keys(tk->tk_slot->token, &keys, &n);
	if (rv != 0) {
		log_warnx("token '%s' does not answer: %s", tk->tk_name,
		    token_err());
		return 0;
	}
	return 1;
}
