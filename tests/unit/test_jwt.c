/*
 * test_jwt.c: the Entra ID client assertion built from typed fields.  A
 * good assertion decodes to exactly the header and claims asked for and
 * verifies as PS256 (salt 32) or RS256; hostile client ids, token URLs and
 * lifetimes are refused before anything is signed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "jwt.h"

#define CID	"11111111-2222-3333-4444-555555555555"
#define AUD	"https://login.example/contoso/oauth2/v2.0/token"

static EVP_PKEY	*key;

static int
setup(void **state)
{
	(void)state;
	return (key = EVP_RSA_gen(2048)) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(key);
	return 0;
}

/* Decodes base64url of len bytes into a NUL-terminated buffer. */
static uint8_t *
unb64(const char *s, size_t len, size_t *outlen)
{
	char		*b = calloc(1, len + 4);
	uint8_t		*out = calloc(1, len + 4);
	size_t		 i;
	int		 n;

	assert_non_null(b);
	assert_non_null(out);
	for (i = 0; i < len; i++)
		b[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	while (i % 4 != 0)
		b[i++] = '=';
	n = EVP_DecodeBlock(out, (uint8_t *)b, (int)i);
	assert_true(n >= 0);
	*outlen = (size_t)n - (len % 4 == 2 ? 2 : len % 4 == 3 ? 1 : 0);
	out[*outlen] = '\0';
	free(b);
	return out;
}

static json_t *
part(const char *s, size_t len)
{
	size_t		 n;
	uint8_t		*raw = unb64(s, len, &n);
	json_t		*j = json_loads((char *)raw, 0, NULL);

	free(raw);
	assert_non_null(j);
	return j;
}

static int
verify(const char *jwt, int pss)
{
	const char	*d2 = strrchr(jwt, '.');
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX	*pctx;
	uint8_t		*sig;
	size_t		 siglen;
	int		 r;

	sig = unb64(d2 + 1, strlen(d2 + 1), &siglen);
	assert_int_equal(EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), NULL,
	    key), 1);
	if (pss) {
		EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32);
	}
	r = EVP_DigestVerify(ctx, sig, siglen, (const uint8_t *)jwt,
	    (size_t)(d2 - jwt));
	EVP_MD_CTX_free(ctx);
	free(sig);
	return r;
}

static void
t_good(void **state)
{
	struct jwt_claims	 jc = { CID, AUD, 300, 1700000000 };
	char			*jwt, *d1;
	json_t			*h, *c;

	(void)state;
	assert_non_null(jwt = jwt_assertion(&jc, 1, "THUMB", key));
	assert_non_null(d1 = strchr(jwt, '.'));
	h = part(jwt, (size_t)(d1 - jwt));
	c = part(d1 + 1, (size_t)(strrchr(jwt, '.') - d1 - 1));
	assert_int_equal(json_object_size(h), 3);
	assert_string_equal(json_string_value(json_object_get(h, "alg")),
	    "PS256");
	assert_string_equal(json_string_value(json_object_get(h, "typ")),
	    "JWT");
	assert_string_equal(json_string_value(json_object_get(h, "x5t#S256")),
	    "THUMB");
	assert_int_equal(json_object_size(c), 7);
	assert_string_equal(json_string_value(json_object_get(c, "aud")), AUD);
	assert_string_equal(json_string_value(json_object_get(c, "iss")), CID);
	assert_string_equal(json_string_value(json_object_get(c, "sub")), CID);
	assert_int_equal(strlen(json_string_value(json_object_get(c, "jti"))),
	    32);
	assert_int_equal(json_integer_value(json_object_get(c, "nbf")),
	    1700000000);
	assert_int_equal(json_integer_value(json_object_get(c, "iat")),
	    1700000000);
	assert_int_equal(json_integer_value(json_object_get(c, "exp")),
	    1700000300);
	assert_int_equal(verify(jwt, 1), 1);
	assert_int_not_equal(verify(jwt, 0), 1);
	json_decref(h);
	json_decref(c);
	free(jwt);
}

static void
t_rs256(void **state)
{
	struct jwt_claims	 jc = { CID, AUD, 60, 1700000000 };
	char			*jwt;

	(void)state;
	assert_non_null(jwt = jwt_assertion(&jc, 0, "T1", key));
	assert_int_equal(verify(jwt, 0), 1);
	free(jwt);
}

static void
t_jti_fresh(void **state)
{
	struct jwt_claims	 jc = { CID, AUD, 300, 1700000000 };
	char			*a, *b;

	(void)state;
	a = jwt_assertion(&jc, 1, "T", key);
	b = jwt_assertion(&jc, 1, "T", key);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_not_equal(strncmp(a, b, (size_t)(strrchr(a, '.') - a)), 0);
	free(a);
	free(b);
}

static void
t_hostile(void **state)
{
	static const struct {
		const char	*cid, *aud;
		int		 life;
	} bad[] = {
		{ "", AUD, 300 },
		{ CID "\", \"iss\": \"evil", AUD, 300 },
		{ "a\\b", AUD, 300 },
		{ "a b", AUD, 300 },
		{ "a\nb", AUD, 300 },
		{ "caf\xc3\xa9", AUD, 300 },
		{ CID, "http://login.example/token", 300 },
		{ CID, "https://login.example/\"}", 300 },
		{ CID, "https://login.example/a b", 300 },
		{ CID, "https://login.example/\\u0000", 300 },
		{ CID, "https://login.example/'", 300 },
		{ CID, "https://", 300 },
		{ CID, AUD, 59 },
		{ CID, AUD, 3601 },
		{ CID, AUD, -1 },
	};
	char			 why[128], long_id[JWT_CLIENT_ID_MAX + 2];
	char			 long_aud[JWT_AUD_MAX + 2];
	struct jwt_claims	 jc;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		jc = (struct jwt_claims){ bad[i].cid, bad[i].aud, bad[i].life,
		    1700000000 };
		why[0] = '\0';
		assert_int_equal(jwt_check(&jc, why, sizeof(why)), -1);
		assert_true(why[0] != '\0');
		assert_null(jwt_assertion(&jc, 1, "T", key));
	}
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	jc = (struct jwt_claims){ long_id, AUD, 300, 0 };
	assert_int_equal(jwt_check(&jc, why, sizeof(why)), -1);
	long_id[JWT_CLIENT_ID_MAX] = '\0';
	assert_int_equal(jwt_check(&jc, why, sizeof(why)), 0);
	memcpy(long_aud, "https://", 8);
	memset(long_aud + 8, 'a', sizeof(long_aud) - 9);
	long_aud[sizeof(long_aud) - 1] = '\0';
	jc = (struct jwt_claims){ CID, long_aud, 300, 0 };
	assert_int_equal(jwt_check(&jc, why, sizeof(why)), -1);
	long_aud[JWT_AUD_MAX] = '\0';
	assert_int_equal(jwt_check(&jc, why, sizeof(why)), 0);
}

static void
t_base64(void **state)
{
	static const uint8_t	 in[] = { 0xfb, 0xff, 0xfe };
	char			*s;

	(void)state;
	assert_non_null(s = jwt_base64(in, sizeof(in), 1));
	assert_string_equal(s, "-__-");
	free(s);
	assert_non_null(s = jwt_base64(in, 2, 0));
	assert_string_equal(s, "+/8=");
	free(s);
	assert_non_null(s = jwt_base64(in, 2, 1));
	assert_string_equal(s, "-_8");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_good),
		cmocka_unit_test(t_rs256),
		cmocka_unit_test(t_jti_fresh),
		cmocka_unit_test(t_hostile),
		cmocka_unit_test(t_base64),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
