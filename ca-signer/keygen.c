/*
 * keygen.c: token and key creation through the module's own function list,
 * for what libp11 0.4.12 cannot do: create a SoftHSM token, generate EC
 * keys, and set CKA_SENSITIVE / CKA_EXTRACTABLE (design.md rule 5).  This
 * runs in the short-lived init process; the module is finalized and
 * unloaded before each function returns.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "common.h"
#include "../common/config.h"
#include "signer.h"

#define KG_PIN_MAX	256
#define KG_LABEL_LEN	32	/* CK_TOKEN_INFO label, space padded */
#define KG_ATTR_MAX	12

/* The module, loaded for one call. */
struct kg {
	void			*kg_dl;
	CK_FUNCTION_LIST_PTR	 kg_fn;
	int			 kg_init;	/* we called C_Initialize */
	int			 kg_softhsm;
	const char		*kg_module;	/* as configured */
	char			 kg_path[PATH_MAX];
	CK_SESSION_HANDLE	 kg_session;
};

/* What C_GenerateKeyPair needs for each enum key_type. */
struct kg_spec {
	const char		*ks_name;
	CK_MECHANISM_TYPE	 ks_mech;
	CK_ULONG		 ks_bits;	/* RSA */
	const CK_BYTE		*ks_params;	/* EC: DER curve OID */
	CK_ULONG		 ks_paramslen;
};

static const CK_BYTE	kg_oid_p256[] = {	/* 1.2.840.10045.3.1.7 */
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07
};
static const CK_BYTE	kg_oid_p384[] = {	/* 1.3.132.0.34 */
	0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22
};

static const struct kg_spec kg_specs[KEY__MAX] = {
	[KEY_RSA2048] = { "rsa:2048", CKM_RSA_PKCS_KEY_PAIR_GEN, 2048 },
	[KEY_RSA3072] = { "rsa:3072", CKM_RSA_PKCS_KEY_PAIR_GEN, 3072 },
	[KEY_RSA4096] = { "rsa:4096", CKM_RSA_PKCS_KEY_PAIR_GEN, 4096 },
	[KEY_EC_P256] = { "ec:p256", CKM_EC_KEY_PAIR_GEN, 0,
	    kg_oid_p256, sizeof(kg_oid_p256) },
	[KEY_EC_P384] = { "ec:p384", CKM_EC_KEY_PAIR_GEN, 0,
	    kg_oid_p384, sizeof(kg_oid_p384) },
};

static const char	*kg_rv(CK_RV);
static void		 kg_attr(CK_ATTRIBUTE *, CK_ULONG *, CK_ATTRIBUTE_TYPE,
			    const void *, CK_ULONG);
static int		 kg_padlabel(const char *, CK_UTF8CHAR *);
static int		 kg_load(struct kg *, const struct conf *);
static void		 kg_unload(struct kg *);
static int		 kg_slot(struct kg *, const CK_UTF8CHAR *, CK_SLOT_ID *);
static int		 kg_open(struct kg *, CK_SLOT_ID, const char *);
static int		 kg_init_token(struct kg *, const struct conf *,
			    CK_SLOT_ID, const CK_UTF8CHAR *);
static int		 kg_login(struct kg *, const struct conf *, CK_SLOT_ID);
static int		 kg_has_key(struct kg *, const char *);
static int		 kg_generate(struct kg *, const char *,
			    const struct kg_spec *);

/* Name of a PKCS#11 return value, for log lines. */
static const char *
kg_rv(CK_RV rv)
{
	static const struct {
		CK_RV		 rv;
		const char	*name;
	} names[] = {
		{ CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD" },
		{ CKR_ATTRIBUTE_VALUE_INVALID, "CKR_ATTRIBUTE_VALUE_INVALID" },
		{ CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED" },
		{ CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR" },
		{ CKR_DOMAIN_PARAMS_INVALID, "CKR_DOMAIN_PARAMS_INVALID" },
		{ CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED" },
		{ CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR" },
		{ CKR_HOST_MEMORY, "CKR_HOST_MEMORY" },
		{ CKR_KEY_SIZE_RANGE, "CKR_KEY_SIZE_RANGE" },
		{ CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID" },
		{ CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT (wrong PIN?)" },
		{ CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE" },
		{ CKR_PIN_LOCKED, "CKR_PIN_LOCKED" },
		{ CKR_SESSION_READ_ONLY, "CKR_SESSION_READ_ONLY" },
		{ CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID" },
		{ CKR_TEMPLATE_INCOMPLETE, "CKR_TEMPLATE_INCOMPLETE" },
		{ CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT" },
		{ CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT" },
		{ CKR_TOKEN_WRITE_PROTECTED, "CKR_TOKEN_WRITE_PROTECTED" },
		{ CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN" },
		{ CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED" },
	};
	static char	 buf[32];
	size_t		 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].rv == rv)
			return names[i].name;
	snprintf(buf, sizeof(buf), "CKR 0x%lx", (unsigned long)rv);
	return buf;
}

/* Appends one attribute to a template of KG_ATTR_MAX entries. */
static void
kg_attr(CK_ATTRIBUTE *t, CK_ULONG *n, CK_ATTRIBUTE_TYPE type, const void *v,
    CK_ULONG len)
{
	if (*n >= KG_ATTR_MAX)
		fatalx("kg_attr: template overflow");
	t[*n].type = type;
	t[*n].pValue = (void *)v;
	t[*n].ulValueLen = len;
	(*n)++;
}

/* Token labels are compared as the 32 space-padded bytes of CK_TOKEN_INFO. */
static int
kg_padlabel(const char *label, CK_UTF8CHAR *out)
{
	size_t	 len;

	if (label == NULL || (len = strlen(label)) == 0 ||
	    len > KG_LABEL_LEN) {
		log_warnx("token label must be 1 to %d bytes", KG_LABEL_LEN);
		return -1;
	}
	memset(out, ' ', KG_LABEL_LEN);
	memcpy(out, label, len);
	return 0;
}

/* dlopens the configured module and initializes it. */
static int
kg_load(struct kg *kg, const struct conf *cf)
{
	CK_C_GetFunctionList	 getfl = NULL;
	CK_C_INITIALIZE_ARGS	 args;
	CK_RV			 rv;

	if ((kg->kg_module = cf->cf_module) == NULL) {
		log_warnx("token: no PKCS#11 module configured");
		return -1;
	}
	if (cf->cf_softhsm2_conf != NULL &&
	    setenv("SOFTHSM2_CONF", cf->cf_softhsm2_conf, 1) == -1) {
		log_warn("setenv SOFTHSM2_CONF");
		return -1;
	}
	if (realpath(kg->kg_module, kg->kg_path) == NULL) {
		log_warn("PKCS#11 module %s", kg->kg_module);
		return -1;
	}
	if ((kg->kg_dl = dlopen(kg->kg_path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		log_warnx("cannot load PKCS#11 module %s: %s", kg->kg_module,
		    dlerror());
		return -1;
	}
	getfl = (CK_C_GetFunctionList)dlsym(kg->kg_dl, "C_GetFunctionList");
	if (getfl == NULL || (rv = getfl(&kg->kg_fn)) != CKR_OK) {
		log_warnx("%s: no PKCS#11 function list", kg->kg_module);
		return -1;
	}
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	rv = kg->kg_fn->C_Initialize(&args);
	/* A libp11 context in this process already holds the module: share
	 * it, and leave C_Finalize to libp11. */
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		log_warnx("C_Initialize %s: %s", kg->kg_module, kg_rv(rv));
		return -1;
	}
	kg->kg_init = rv == CKR_OK;
	kg->kg_softhsm = strstr(kg->kg_path, "softhsm") != NULL;
	return 0;
}

/* Closes the session, finalizes and unloads; safe on a partial load. */
static void
kg_unload(struct kg *kg)
{
	/* No C_Logout: the login state is shared with any other session
	 * in this process, and C_Finalize ends ours anyway. */
	if (kg->kg_session != CK_INVALID_HANDLE)
		(void)kg->kg_fn->C_CloseSession(kg->kg_session);
	if (kg->kg_init)
		(void)kg->kg_fn->C_Finalize(NULL);
	if (kg->kg_dl != NULL)
		dlclose(kg->kg_dl);
	memset(kg, 0, sizeof(*kg));
}

/*
 * Finds the slot holding the initialized token with this padded label, or
 * with label NULL the first slot whose token is not initialized.  Returns 1
 * if found, 0 if not, -1 on error.
 */
static int
kg_slot(struct kg *kg, const CK_UTF8CHAR *label, CK_SLOT_ID *slotp)
{
	CK_SLOT_ID	*slots = NULL;
	CK_TOKEN_INFO	 ti;
	CK_ULONG	 i, n = 0;
	CK_RV		 rv;
	int		 inited, ret = -1;

	if ((rv = kg->kg_fn->C_GetSlotList(CK_TRUE, NULL, &n)) != CKR_OK ||
	    (slots = calloc(n + 1, sizeof(*slots))) == NULL ||
	    (rv = kg->kg_fn->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK) {
		log_warnx("C_GetSlotList %s: %s", kg->kg_module,
		    slots == NULL && rv == CKR_OK ? "out of memory" : kg_rv(rv));
		goto out;
	}
	ret = 0;
	for (i = 0; i < n && ret == 0; i++) {
		if (kg->kg_fn->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		inited = (ti.flags & CKF_TOKEN_INITIALIZED) != 0;
		if (label == NULL ? !inited :
		    inited && memcmp(ti.label, label, KG_LABEL_LEN) == 0) {
			*slotp = slots[i];
			ret = 1;
		}
	}
 out:
	free(slots);
	return ret;
}

/* Opens a read-write session on slot. */
static int
kg_open(struct kg *kg, CK_SLOT_ID slot, const char *tokname)
{
	CK_RV	 rv;

	rv = kg->kg_fn->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &kg->kg_session);
	if (rv != CKR_OK) {
		kg->kg_session = CK_INVALID_HANDLE;
		log_warnx("C_OpenSession on token '%s': %s", tokname,
		    kg_rv(rv));
		return -1;
	}
	return 0;
}

/* SoftHSM: C_InitToken with the SO PIN, then C_InitPIN for the user. */
static int
kg_init_token(struct kg *kg, const struct conf *cf, CK_SLOT_ID slot,
    const CK_UTF8CHAR *label)
{
	char		 so[KG_PIN_MAX], pin[KG_PIN_MAX];
	const char	*what = NULL;
	CK_RV		 rv = CKR_OK;
	int		 ret = -1;

	so[0] = pin[0] = '\0';
	if (cf->cf_so_pin_file == NULL || cf->cf_pin_file == NULL) {
		log_warnx("token: PIN and SO PIN files must be configured");
		goto out;
	}
	if (secret_read(cf->cf_so_pin_file, so, sizeof(so)) == -1 ||
	    secret_read(cf->cf_pin_file, pin, sizeof(pin)) == -1)
		goto out;
	/* SoftHSM moves the new token to another slot id at the next
	 * C_GetSlotList; the old id stays valid until then. */
	if ((rv = kg->kg_fn->C_InitToken(slot, (CK_UTF8CHAR_PTR)so,
	    strlen(so), (CK_UTF8CHAR_PTR)label)) != CKR_OK) {
		what = "C_InitToken";
		goto out;
	}
	if (kg_open(kg, slot, cf->cf_token_label) == -1)
		goto out;
	if ((rv = kg->kg_fn->C_Login(kg->kg_session, CKU_SO,
	    (CK_UTF8CHAR_PTR)so, strlen(so))) != CKR_OK) {
		what = "login as SO";
		goto out;
	}
	if ((rv = kg->kg_fn->C_InitPIN(kg->kg_session, (CK_UTF8CHAR_PTR)pin,
	    strlen(pin))) != CKR_OK) {
		what = "C_InitPIN";
		goto out;
	}
	ret = 0;
 out:
	if (what != NULL)
		log_warnx("%s on token '%s' failed: %s", what,
		    cf->cf_token_label, kg_rv(rv));
	OPENSSL_cleanse(so, sizeof(so));
	OPENSSL_cleanse(pin, sizeof(pin));
	return ret;
}

int
keygen_token(const struct conf *cf, int *created)
{
	struct kg	 kg;
	CK_UTF8CHAR	 label[KG_LABEL_LEN];
	CK_SLOT_ID	 slot = 0;
	int		 r, rv = -1;

	*created = 0;
	memset(&kg, 0, sizeof(kg));
	if (kg_padlabel(cf->cf_token_label, label) == -1 ||
	    kg_load(&kg, cf) == -1)
		goto out;
	if ((r = kg_slot(&kg, label, &slot)) != 0) {
		rv = r == 1 ? 0 : -1;
		goto out;
	}
	if (!kg.kg_softhsm) {
		log_warnx("token '%s' not found in module %s: create it with "
		    "the vendor's tool", cf->cf_token_label, cf->cf_module);
		goto out;
	}
	if ((r = kg_slot(&kg, NULL, &slot)) != 1) {
		if (r == 0)
			log_warnx("module %s has no free slot for token '%s'",
			    cf->cf_module, cf->cf_token_label);
		goto out;
	}
	if (kg_init_token(&kg, cf, slot, label) == -1)
		goto out;
	log_info("created token '%s' in %s", cf->cf_token_label,
	    cf->cf_module);
	*created = 1;
	rv = 0;
 out:
	kg_unload(&kg);
	return rv;
}

/* Opens a read-write session on slot and logs in as the user. */
static int
kg_login(struct kg *kg, const struct conf *cf, CK_SLOT_ID slot)
{
	char	 pin[KG_PIN_MAX];
	CK_RV	 rv;
	int	 ret = -1;

	pin[0] = '\0';
	if (cf->cf_pin_file == NULL) {
		log_warnx("token: no PIN file configured");
		goto out;
	}
	if (kg_open(kg, slot, cf->cf_token_label) == -1 ||
	    secret_read(cf->cf_pin_file, pin, sizeof(pin)) == -1)
		goto out;
	rv = kg->kg_fn->C_Login(kg->kg_session, CKU_USER, (CK_UTF8CHAR_PTR)pin,
	    strlen(pin));
	/* Already logged in: libp11 in this process holds the module. */
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
		log_warnx("login to token '%s' failed: %s", cf->cf_token_label,
		    kg_rv(rv));
		goto out;
	}
	ret = 0;
 out:
	OPENSSL_cleanse(pin, sizeof(pin));
	return ret;
}

/* 1 if a private key object labelled label exists, 0 if not, -1 on error. */
static int
kg_has_key(struct kg *kg, const char *label)
{
	CK_OBJECT_CLASS		 cls = CKO_PRIVATE_KEY;
	CK_OBJECT_HANDLE	 h = CK_INVALID_HANDLE;
	CK_ATTRIBUTE		 t[KG_ATTR_MAX];
	CK_ULONG		 nt = 0, n = 0;
	CK_RV			 rv;

	kg_attr(t, &nt, CKA_CLASS, &cls, sizeof(cls));
	kg_attr(t, &nt, CKA_LABEL, label, strlen(label));
	if ((rv = kg->kg_fn->C_FindObjectsInit(kg->kg_session, t, nt)) !=
	    CKR_OK) {
		log_warnx("C_FindObjectsInit '%s': %s", label, kg_rv(rv));
		return -1;
	}
	rv = kg->kg_fn->C_FindObjects(kg->kg_session, &h, 1, &n);
	(void)kg->kg_fn->C_FindObjectsFinal(kg->kg_session);
	if (rv != CKR_OK) {
		log_warnx("C_FindObjects '%s': %s", label, kg_rv(rv));
		return -1;
	}
	return n > 0;
}

/* Generates the pair; both halves carry label and the same CKA_ID (SHA-1
 * of the label), which is how libp11 pairs them. */
static int
kg_generate(struct kg *kg, const char *label, const struct kg_spec *ks)
{
	static const CK_BBOOL	 yes = CK_TRUE, no = CK_FALSE;
	static const CK_BYTE	 e65537[] = { 0x01, 0x00, 0x01 };
	CK_ATTRIBUTE		 pub[KG_ATTR_MAX], priv[KG_ATTR_MAX];
	CK_MECHANISM		 mech = { ks->ks_mech, NULL, 0 };
	CK_OBJECT_HANDLE	 hpub = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE	 hpriv = CK_INVALID_HANDLE;
	CK_ULONG		 npub = 0, npriv = 0, bits = ks->ks_bits;
	CK_ULONG		 len = strlen(label);
	CK_BYTE			 id[SHA_DIGEST_LENGTH];
	CK_RV			 rv;

	SHA1((const unsigned char *)label, len, id);
	kg_attr(pub, &npub, CKA_TOKEN, &yes, sizeof(yes));
	kg_attr(pub, &npub, CKA_PRIVATE, &no, sizeof(no));
	kg_attr(pub, &npub, CKA_VERIFY, &yes, sizeof(yes));
	kg_attr(pub, &npub, CKA_LABEL, label, len);
	kg_attr(pub, &npub, CKA_ID, id, sizeof(id));
	kg_attr(priv, &npriv, CKA_TOKEN, &yes, sizeof(yes));
	kg_attr(priv, &npriv, CKA_PRIVATE, &yes, sizeof(yes));
	kg_attr(priv, &npriv, CKA_SENSITIVE, &yes, sizeof(yes));
	kg_attr(priv, &npriv, CKA_EXTRACTABLE, &no, sizeof(no));
	kg_attr(priv, &npriv, CKA_SIGN, &yes, sizeof(yes));
	kg_attr(priv, &npriv, CKA_LABEL, label, len);
	kg_attr(priv, &npriv, CKA_ID, id, sizeof(id));
	if (ks->ks_params == NULL) {
		kg_attr(pub, &npub, CKA_ENCRYPT, &yes, sizeof(yes));
		kg_attr(pub, &npub, CKA_MODULUS_BITS, &bits, sizeof(bits));
		kg_attr(pub, &npub, CKA_PUBLIC_EXPONENT, e65537,
		    sizeof(e65537));
		/* The RA key unwraps SCEP envelopes (rule 4). */
		kg_attr(priv, &npriv, CKA_DECRYPT, &yes, sizeof(yes));
	} else
		kg_attr(pub, &npub, CKA_EC_PARAMS, ks->ks_params,
		    ks->ks_paramslen);
	rv = kg->kg_fn->C_GenerateKeyPair(kg->kg_session, &mech, pub, npub,
	    priv, npriv, &hpub, &hpriv);
	if (rv != CKR_OK) {
		log_warnx("C_GenerateKeyPair %s '%s': %s", ks->ks_name, label,
		    kg_rv(rv));
		return -1;
	}
	return 0;
}

int
keygen_pair(const struct conf *cf, uint32_t ca_id, const char *role,
    int key_type, int *created)
{
	struct kg	 kg;
	CK_UTF8CHAR	 tlabel[KG_LABEL_LEN];
	CK_SLOT_ID	 slot = 0;
	char		 label[KEY_LABEL_MAX];
	int		 r, rv = -1;

	*created = 0;
	memset(&kg, 0, sizeof(kg));
	if (role == NULL || key_type < 0 || key_type >= KEY__MAX) {
		log_warnx("keygen_pair: %s", role == NULL ? "no key role" :
		    "unknown key type");
		goto out;
	}
	token_label(ca_id, role, label, sizeof(label));
	if (kg_padlabel(cf->cf_token_label, tlabel) == -1 ||
	    kg_load(&kg, cf) == -1)
		goto out;
	if ((r = kg_slot(&kg, tlabel, &slot)) != 1) {
		if (r == 0)
			log_warnx("token '%s' not found in module %s",
			    cf->cf_token_label, cf->cf_module);
		goto out;
	}
	if (kg_login(&kg, cf, slot) == -1 || (r = kg_has_key(&kg, label)) == -1)
		goto out;
	if (r == 0) {
		if (kg_generate(&kg, label, &kg_specs[key_type]) == -1)
			goto out;
		log_info("generated %s key '%s' on token '%s'",
		    kg_specs[key_type].ks_name, label, cf->cf_token_label);
		*created = 1;
	}
	rv = 0;
 out:
	kg_unload(&kg);
	return rv;
}
