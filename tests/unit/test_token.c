/*
 * test_token.c: token creation, key generation and signing against a
 * private SoftHSM token in a temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <dlfcn.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* This target's CFLAGS may lack $(P11KIT_CFLAGS). */
#include <p11-kit/pkcs11.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common.h"
#include "config.h"
#include "signer.h"

#define SOFTHSM_MODULE	"/usr/lib/softhsm/libsofthsm2.so"
#define OTHER_MODULE	"/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-trust.so"
#define TOKEN_NAME	"keyward"

struct env {
	char		 e_dir[PATH_MAX];
	char		 e_tokens[PATH_MAX];
	char		 e_hsmconf[PATH_MAX];
	char		 e_pin[PATH_MAX];
	char		 e_sopin[PATH_MAX];
	char		 e_badpin[PATH_MAX];
	struct conf	 e_cf;
};

/* The module through its own function list, as an auditor would read it. */
struct raw {
	void			*r_dl;
	CK_FUNCTION_LIST_PTR	 r_fn;
	CK_SESSION_HANDLE	 r_s;
};

static void
path_join(char *out, const char *dir, const char *name)
{
	int	 n;

	n = snprintf(out, PATH_MAX, "%s/%s", dir, name);
	assert_true(n > 0 && n < PATH_MAX);
}

static int
write_file(const char *path, const char *text)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int
teardown(void **state)
{
	struct env	*e = *state;
	int		 rv;

	rv = nftw(e->e_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(e);
	return rv;
}

/* Writes softhsm2.conf, the PIN files and the struct conf the tests use. */
static int
setup_files(struct env *e)
{
	char	 pin[33], text[PATH_MAX + 128];

	path_join(e->e_tokens, e->e_dir, "tokens");
	path_join(e->e_hsmconf, e->e_dir, "softhsm2.conf");
	path_join(e->e_pin, e->e_dir, "pin");
	path_join(e->e_sopin, e->e_dir, "so-pin");
	path_join(e->e_badpin, e->e_dir, "bad-pin");
	snprintf(text, sizeof(text), "directories.tokendir = %s\n"
	    "objectstore.backend = file\nlog.level = ERROR\n", e->e_tokens);
	if (mkdir(e->e_tokens, 0700) == -1 ||
	    write_file(e->e_hsmconf, text) == -1 ||
	    secret_random(pin, 16) == -1 || secret_write(e->e_pin, pin) == -1 ||
	    secret_random(pin, 16) == -1 ||
	    secret_write(e->e_sopin, pin) == -1 ||
	    secret_write(e->e_badpin, "not-the-pin") == -1)
		return -1;
	e->e_cf.cf_module = SOFTHSM_MODULE;
	e->e_cf.cf_token_label = TOKEN_NAME;
	e->e_cf.cf_pin_file = e->e_pin;
	e->e_cf.cf_so_pin_file = e->e_sopin;
	e->e_cf.cf_softhsm2_conf = e->e_hsmconf;
	return 0;
}

static int
setup(void **state)
{
	struct env	*e = NULL;
	const char	*tmp = getenv("TMPDIR");

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return -1;
	snprintf(e->e_dir, sizeof(e->e_dir), "%s/keyward-token.XXXXXX",
	    tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(e->e_dir) == NULL) {
		free(e);
		return -1;
	}
	*state = e;
	if (setup_files(e) == -1) {
		teardown(state);
		return -1;
	}
	return 0;
}

/* Token and keys every later test relies on; idempotent. */
static void
ensure_keys(const struct conf *cf)
{
	int	 created;

	assert_int_equal(keygen_token(cf, &created), 0);
	assert_int_equal(keygen_pair(cf, 1, KEY_ROLE_CA, KEY_RSA2048,
	    &created), 0);
	assert_int_equal(keygen_pair(cf, 1, KEY_ROLE_OCSP, KEY_EC_P256,
	    &created), 0);
	assert_int_equal(keygen_pair(cf, 2, KEY_ROLE_CA, KEY_EC_P384,
	    &created), 0);
}

static void
test_keygen_token(void **state)
{
	struct env	*e = *state;
	int		 created = -1;

	assert_int_equal(keygen_token(&e->e_cf, &created), 0);
	assert_int_equal(created, 1);
	assert_int_equal(keygen_token(&e->e_cf, &created), 0);
	assert_int_equal(created, 0);
}

static void
check_pair(const struct conf *cf, uint32_t ca_id, const char *role, int type)
{
	int	 created = -1;

	assert_int_equal(keygen_pair(cf, ca_id, role, type, &created), 0);
	assert_int_equal(created, 1);
	assert_int_equal(keygen_pair(cf, ca_id, role, type, &created), 0);
	assert_int_equal(created, 0);
}

static void
test_keygen_pair(void **state)
{
	struct env	*e = *state;

	check_pair(&e->e_cf, 1, KEY_ROLE_CA, KEY_RSA2048);
	check_pair(&e->e_cf, 1, KEY_ROLE_OCSP, KEY_EC_P256);
	check_pair(&e->e_cf, 2, KEY_ROLE_CA, KEY_EC_P384);
}

static void
test_keygen_bad_args(void **state)
{
	struct env	*e = *state;
	struct conf	 cf = e->e_cf;
	int		 created = -1;

	assert_int_equal(keygen_pair(&cf, 1, KEY_ROLE_RA, KEY__MAX, &created),
	    -1);
	assert_int_equal(keygen_pair(&cf, 1, NULL, KEY_RSA2048, &created), -1);
	cf.cf_token_label = "no-such-token";
	assert_int_equal(keygen_pair(&cf, 1, KEY_ROLE_RA, KEY_RSA2048,
	    &created), -1);
	assert_int_equal(created, 0);
	cf.cf_token_label = "a-label-longer-than-thirty-two-bytes";
	assert_int_equal(keygen_token(&cf, &created), -1);
}

/* dlopens and initializes the module; returns C_Initialize's answer. */
static CK_RV
raw_load(struct raw *r)
{
	CK_C_GetFunctionList	 getfl = NULL;

	memset(r, 0, sizeof(*r));
	assert_non_null(r->r_dl = dlopen(SOFTHSM_MODULE, RTLD_NOW));
	getfl = (CK_C_GetFunctionList)dlsym(r->r_dl, "C_GetFunctionList");
	assert_non_null(getfl);
	assert_int_equal(getfl(&r->r_fn), CKR_OK);
	return r->r_fn->C_Initialize(NULL);
}

/* The slot holding our token. */
static CK_SLOT_ID
raw_slot(struct raw *r)
{
	CK_SLOT_ID		 slots[16];
	CK_TOKEN_INFO		 ti;
	CK_ULONG		 i, n = 16;

	assert_int_equal(r->r_fn->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
	for (i = 0; i < n; i++) {
		assert_int_equal(r->r_fn->C_GetTokenInfo(slots[i], &ti),
		    CKR_OK);
		if (memcmp(ti.label, TOKEN_NAME " ", 8) == 0)
			return slots[i];
	}
	fail_msg("token %s not found", TOKEN_NAME);
	return 0;
}

static void
raw_open(struct raw *r, const struct env *e)
{
	CK_SLOT_ID	 slot;
	char		 pin[64];

	assert_int_equal(raw_load(r), CKR_OK);
	slot = raw_slot(r);
	assert_int_equal(r->r_fn->C_OpenSession(slot, CKF_SERIAL_SESSION,
	    NULL, NULL, &r->r_s), CKR_OK);
	assert_int_equal(secret_read(e->e_pin, pin, sizeof(pin)), 0);
	assert_int_equal(r->r_fn->C_Login(r->r_s, CKU_USER,
	    (CK_UTF8CHAR_PTR)pin, strlen(pin)), CKR_OK);
}

static void
raw_close(struct raw *r)
{
	assert_int_equal(r->r_fn->C_CloseSession(r->r_s), CKR_OK);
	assert_int_equal(r->r_fn->C_Finalize(NULL), CKR_OK);
	dlclose(r->r_dl);
}

/* The one object of class cls labelled label. */
static CK_OBJECT_HANDLE
raw_find(struct raw *r, CK_OBJECT_CLASS cls, const char *label)
{
	CK_ATTRIBUTE		 t[2] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};
	CK_OBJECT_HANDLE	 h[2];
	CK_ULONG		 n = 0;

	assert_int_equal(r->r_fn->C_FindObjectsInit(r->r_s, t, 2), CKR_OK);
	assert_int_equal(r->r_fn->C_FindObjects(r->r_s, h, 2, &n), CKR_OK);
	assert_int_equal(r->r_fn->C_FindObjectsFinal(r->r_s), CKR_OK);
	assert_int_equal(n, 1);
	return h[0];
}

static void
check_attrs(struct raw *r, const char *label)
{
	CK_BBOOL		 sens = 0, ext = 1, asens = 0, nev = 0, tok = 0;
	CK_BBOOL		 priv = 0, sign = 0;
	CK_BYTE			 id[64], pid[64], secret[1024];
	CK_ATTRIBUTE		 a[] = {
		{ CKA_SENSITIVE, &sens, sizeof(sens) },
		{ CKA_EXTRACTABLE, &ext, sizeof(ext) },
		{ CKA_ALWAYS_SENSITIVE, &asens, sizeof(asens) },
		{ CKA_NEVER_EXTRACTABLE, &nev, sizeof(nev) },
		{ CKA_TOKEN, &tok, sizeof(tok) },
		{ CKA_PRIVATE, &priv, sizeof(priv) },
		{ CKA_SIGN, &sign, sizeof(sign) },
		{ CKA_ID, id, sizeof(id) },
	};
	CK_ATTRIBUTE		 pa = { CKA_ID, pid, sizeof(pid) };
	CK_KEY_TYPE		 kt = CKK_RSA;
	CK_ATTRIBUTE		 ka = { CKA_KEY_TYPE, &kt, sizeof(kt) };
	CK_ATTRIBUTE		 sa = { CKA_VALUE, secret, sizeof(secret) };
	CK_OBJECT_HANDLE	 hpriv, hpub;

	hpriv = raw_find(r, CKO_PRIVATE_KEY, label);
	hpub = raw_find(r, CKO_PUBLIC_KEY, label);
	assert_int_equal(r->r_fn->C_GetAttributeValue(r->r_s, hpriv, a, 8),
	    CKR_OK);
	assert_true(sens == CK_TRUE && ext == CK_FALSE);
	assert_true(asens == CK_TRUE && nev == CK_TRUE);
	assert_true(tok == CK_TRUE && priv == CK_TRUE && sign == CK_TRUE);
	assert_int_equal(r->r_fn->C_GetAttributeValue(r->r_s, hpub, &pa, 1),
	    CKR_OK);
	assert_true(a[7].ulValueLen > 0);
	assert_int_equal(pa.ulValueLen, a[7].ulValueLen);
	assert_memory_equal(id, pid, pa.ulValueLen);
	/* The key material itself must not come out. */
	assert_int_equal(r->r_fn->C_GetAttributeValue(r->r_s, hpriv, &ka, 1),
	    CKR_OK);
	if (kt == CKK_RSA)
		sa.type = CKA_PRIVATE_EXPONENT;
	assert_int_equal(r->r_fn->C_GetAttributeValue(r->r_s, hpriv, &sa, 1),
	    CKR_ATTRIBUTE_SENSITIVE);
}

static void
test_key_attributes(void **state)
{
	struct env	*e = *state;
	struct raw	 r;

	ensure_keys(&e->e_cf);
	raw_open(&r, e);
	check_attrs(&r, "keyward-ca-1");
	check_attrs(&r, "keyward-ocsp-1");
	check_attrs(&r, "keyward-ca-2");
	raw_close(&r);
}

/* Signs with the token key, verifies with the public half, and checks
 * that a changed signature fails. */
static void
sign_verify(EVP_PKEY *key, EVP_PKEY *pub)
{
	static const unsigned char	 msg[] = "keyward token test";
	unsigned char			 sig[1024];
	size_t				 siglen = sizeof(sig);
	EVP_MD_CTX			*md;

	assert_non_null(md = EVP_MD_CTX_new());
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL,
	    key), 1);
	assert_int_equal(EVP_DigestSign(md, sig, &siglen, msg, sizeof(msg)),
	    1);
	assert_int_equal(EVP_MD_CTX_reset(md), 1);
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL,
	    pub), 1);
	assert_int_equal(EVP_DigestVerify(md, sig, siglen, msg, sizeof(msg)),
	    1);
	sig[siglen / 2] ^= 0x01;
	assert_int_equal(EVP_MD_CTX_reset(md), 1);
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL,
	    pub), 1);
	assert_int_not_equal(EVP_DigestVerify(md, sig, siglen, msg,
	    sizeof(msg)), 1);
	EVP_MD_CTX_free(md);
}

/* The way cacert.c uses the pair: public half into a request, signed by
 * the token key. */
static void
sign_csr(EVP_PKEY *key, EVP_PKEY *pub)
{
	X509_REQ	*req;
	X509_NAME	*name;

	assert_non_null(req = X509_REQ_new());
	name = X509_REQ_get_subject_name(req);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"keyward test", -1, -1, 0), 1);
	assert_int_equal(X509_REQ_set_pubkey(req, pub), 1);
	assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
	assert_int_equal(X509_REQ_verify(req, pub), 1);
	X509_REQ_free(req);
}

static void
check_role(struct token *tk, uint32_t ca_id, const char *role, int pkid)
{
	EVP_PKEY	*key, *pub;

	assert_non_null(key = token_key(tk, ca_id, role));
	/* Cached: the second lookup is the same handle. */
	assert_ptr_equal(token_key(tk, ca_id, role), key);
	assert_non_null(pub = token_pubkey(tk, ca_id, role));
	assert_int_equal(EVP_PKEY_get_base_id(pub), pkid);
	sign_verify(key, pub);
	sign_csr(key, pub);
	EVP_PKEY_free(pub);
}

static void
test_sign(void **state)
{
	struct env	*e = *state;
	struct token	*tk = NULL;

	ensure_keys(&e->e_cf);
	assert_int_equal(token_open(&e->e_cf, &tk), 0);
	assert_non_null(tk);
	assert_int_equal(token_alive(tk), 1);
	check_role(tk, 1, KEY_ROLE_CA, EVP_PKEY_RSA);
	check_role(tk, 1, KEY_ROLE_OCSP, EVP_PKEY_EC);
	check_role(tk, 2, KEY_ROLE_CA, EVP_PKEY_EC);
	assert_int_equal(token_alive(tk), 1);
	token_close(tk);
}

static void
test_missing_role(void **state)
{
	struct env	*e = *state;
	struct token	*tk = NULL;

	ensure_keys(&e->e_cf);
	assert_int_equal(token_open(&e->e_cf, &tk), 0);
	assert_null(token_key(tk, 1, KEY_ROLE_RA));
	assert_null(token_key(tk, 99, KEY_ROLE_CA));
	assert_null(token_key(tk, 1, NULL));
	assert_null(token_pubkey(tk, 1, KEY_ROLE_RA));
	assert_int_equal(token_alive(tk), 1);
	token_close(tk);
}

/* keygen while libp11 holds the module must not finalize it under libp11. */
static void
test_keygen_while_open(void **state)
{
	struct env	*e = *state;
	struct token	*tk = NULL;
	int		 created = -1;

	ensure_keys(&e->e_cf);
	assert_int_equal(token_open(&e->e_cf, &tk), 0);
	assert_int_equal(keygen_pair(&e->e_cf, 3, KEY_ROLE_CA, KEY_EC_P256,
	    &created), 0);
	assert_int_equal(created, 1);
	assert_int_equal(token_alive(tk), 1);
	assert_non_null(token_key(tk, 3, KEY_ROLE_CA));
	assert_non_null(token_key(tk, 1, KEY_ROLE_CA));
	token_close(tk);
}

/* An HSM restart drops our sessions: token_alive must notice. */
static void
test_alive_lost_session(void **state)
{
	struct env	*e = *state;
	struct token	*tk = NULL;
	struct raw	 r;

	ensure_keys(&e->e_cf);
	assert_int_equal(token_open(&e->e_cf, &tk), 0);
	assert_int_equal(token_alive(tk), 1);
	/* Same module in this process: libp11 already initialized it. */
	assert_int_equal(raw_load(&r), CKR_CRYPTOKI_ALREADY_INITIALIZED);
	assert_int_equal(r.r_fn->C_CloseAllSessions(raw_slot(&r)), CKR_OK);
	assert_int_equal(token_alive(tk), 0);
	token_close(tk);
	dlclose(r.r_dl);
}

static void
test_wrong_pin(void **state)
{
	struct env	*e = *state;
	struct conf	 cf = e->e_cf;
	struct token	*tk = NULL;
	int		 created = -1;

	ensure_keys(&e->e_cf);
	cf.cf_pin_file = e->e_badpin;
	tk = (struct token *)e;		/* token_open must reset it */
	assert_int_equal(token_open(&cf, &tk), -1);
	assert_null(tk);
	assert_int_equal(keygen_pair(&cf, 1, KEY_ROLE_RA, KEY_RSA2048,
	    &created), -1);
	assert_int_equal(created, 0);
	/* A missing PIN file fails the same way. */
	cf.cf_pin_file = "/nonexistent/pin";
	assert_int_equal(token_open(&cf, &tk), -1);
	assert_null(tk);
}

static void
test_unknown_token(void **state)
{
	struct env	*e = *state;
	struct conf	 cf = e->e_cf;
	struct token	*tk = NULL;

	ensure_keys(&e->e_cf);
	cf.cf_token_label = "no-such-token";
	assert_int_equal(token_open(&cf, &tk), -1);
	assert_null(tk);
}

static void
test_bad_module(void **state)
{
	struct env	*e = *state;
	struct conf	 cf = e->e_cf;
	struct token	*tk = NULL;
	int		 created = -1;

	cf.cf_module = "/nonexistent/libpkcs11.so";
	assert_int_equal(token_open(&cf, &tk), -1);
	assert_null(tk);
	assert_int_equal(keygen_token(&cf, &created), -1);
	/* Not SoftHSM: keyward will not create tokens there. */
	if (access(OTHER_MODULE, R_OK) == 0) {
		cf.cf_module = OTHER_MODULE;
		assert_int_equal(keygen_token(&cf, &created), -1);
		assert_int_equal(created, 0);
	}
}

/* design.md rule 5: each worker opens its own context after the fork. */
static void
test_open_after_fork(void **state)
{
	struct env	*e = *state;
	struct token	*tk = NULL;
	EVP_PKEY	*key, *pub;
	EVP_MD_CTX	*md;
	unsigned char	 sig[512];
	size_t		 siglen = sizeof(sig);
	pid_t		 pid;
	int		 status, ok;

	ensure_keys(&e->e_cf);
	assert_true((pid = fork()) != -1);
	if (pid == 0) {
		ok = token_open(&e->e_cf, &tk) == 0 &&
		    (key = token_key(tk, 1, KEY_ROLE_OCSP)) != NULL &&
		    (pub = token_pubkey(tk, 1, KEY_ROLE_OCSP)) != NULL &&
		    (md = EVP_MD_CTX_new()) != NULL &&
		    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
		    EVP_DigestSign(md, sig, &siglen, sig, 32) == 1 &&
		    token_alive(tk) == 1;
		token_close(tk);
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keygen_token),
		cmocka_unit_test(test_keygen_pair),
		cmocka_unit_test(test_keygen_bad_args),
		cmocka_unit_test(test_key_attributes),
		cmocka_unit_test(test_sign),
		cmocka_unit_test(test_missing_role),
		cmocka_unit_test(test_keygen_while_open),
		cmocka_unit_test(test_alive_lost_session),
		cmocka_unit_test(test_wrong_pin),
		cmocka_unit_test(test_unknown_token),
		cmocka_unit_test(test_bad_module),
		cmocka_unit_test(test_open_after_fork),
	};

	log_init("test_token", LOG_LVL_INFO);
	return cmocka_run_group_tests(tests, setup, teardown);
}
