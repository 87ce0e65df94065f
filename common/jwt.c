/*
 * jwt.c: the client assertion that proves keyward to Entra ID.  Only typed
 * fields go in, each checked strictly first, and jansson writes the JSON,
 * so no caller can shape the header or add a claim.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "common.h"
#include "jwt.h"

#define SIG_MAX		1024	/* RSA up to 8192 bits */
#define PSS_SALT	32	/* RFC 7518 3.5: the SHA-256 length */
#define JTI_LEN		16	/* random bytes, sent as hex */

char *
jwt_base64(const uint8_t *in, size_t len, int url)
{
	char	*out, *p;
	size_t	 n;

	if (len > INT32_MAX / 2 ||
	    (out = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return NULL;
	n = (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	out[n] = '\0';
	if (!url)
		return out;
	for (p = out; *p != '\0'; p++)
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	out[strcspn(out, "=")] = '\0';
	return out;
}

char *
jwt_thumbprint(X509 *cert, int pss)
{
	uint8_t		 md[EVP_MAX_MD_SIZE];
	unsigned	 mdlen;

	if (X509_digest(cert, pss ? EVP_sha256() : EVP_sha1(), md, &mdlen) !=
	    1)
		return NULL;
	return jwt_base64(md, mdlen, 1);
}

/* 1 if s is 1..max bytes, each a letter, digit or one of extra. */
static int
jwt_chars(const char *s, size_t max, const char *extra)
{
	size_t	 len;

	if (s == NULL || (len = strlen(s)) == 0 || len > max)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr(extra, *s) != NULL))
			return 0;
	return 1;
}

int
jwt_check(const struct jwt_claims *jc, char *why, size_t whylen)
{
	const char	*bad = NULL;

	if (!jwt_chars(jc->jc_client_id, JWT_CLIENT_ID_MAX, "-._"))
		bad = "client id: 1 to 128 letters, digits, '-', '.', '_'";
	else if (jc->jc_aud == NULL || strncmp(jc->jc_aud, "https://", 8) !=
	    0 || jc->jc_aud[8] == '/' || !jwt_chars(jc->jc_aud + 8,
	    JWT_AUD_MAX - 8, "-._~:/?#[]@!$&()*+,;=%"))
		bad = "token URL: an https URL of at most 512 plain characters";
	else if (jc->jc_lifetime < JWT_LIFETIME_MIN ||
	    jc->jc_lifetime > JWT_LIFETIME_MAX)
		bad = "lifetime: 60 to 3600 seconds";
	if (bad != NULL)
		snprintf(why, whylen, "%s", bad);
	return bad == NULL ? 0 : -1;
}

/* base64url of a JSON object's compact form; the object is released. */
static char *
json_part(json_t *j)
{
	char	*s, *out = NULL;

	if (j != NULL && (s = json_dumps(j, JSON_COMPACT)) != NULL) {
		out = jwt_base64((const uint8_t *)s, strlen(s), 1);
		free(s);
	}
	json_decref(j);
	return out;
}

/* SHA-256 signature of input, PSS or PKCS#1 v1.5, base64url. */
static char *
jwt_sign(EVP_PKEY *key, int pss, const char *input)
{
	EVP_MD_CTX	*ctx;
	EVP_PKEY_CTX	*pctx;
	uint8_t		 sig[SIG_MAX];
	size_t		 siglen = sizeof(sig);
	char		*out = NULL;

	if (EVP_PKEY_get_size(key) > SIG_MAX ||
	    (ctx = EVP_MD_CTX_new()) == NULL)
		return NULL;
	if (EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, key) != 1 ||
	    (pss && (EVP_PKEY_CTX_set_rsa_padding(pctx,
	    RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, PSS_SALT) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1)) ||
	    EVP_DigestSign(ctx, sig, &siglen, (const uint8_t *)input,
	    strlen(input)) != 1)
		log_warnx("jwt: EVP_DigestSign of the client assertion");
	else
		out = jwt_base64(sig, siglen, 1);
	EVP_MD_CTX_free(ctx);
	return out;
}

char *
jwt_assertion(const struct jwt_claims *jc, int pss, const char *thumb,
    EVP_PKEY *key)
{
	char		 why[128], *hdr, *claims, *input = NULL;
	char		*sig = NULL, *out = NULL, jti[2 * JTI_LEN + 1];
	uint8_t		 rnd[JTI_LEN];
	json_int_t	 now = (json_int_t)jc->jc_now;
	size_t		 i;

	if (jwt_check(jc, why, sizeof(why)) == -1) {
		log_warnx("jwt: %s", why);
		return NULL;
	}
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return NULL;
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(jti + 2 * i, 3, "%02x", rnd[i]);
	hdr = json_part(json_pack("{s:s, s:s, s:s}", "alg", pss ? "PS256" :
	    "RS256", "typ", "JWT", pss ? "x5t#S256" : "x5t", thumb));
	claims = json_part(json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}",
	    "aud", jc->jc_aud, "iss", jc->jc_client_id, "sub",
	    jc->jc_client_id, "jti", jti, "nbf", now, "iat", now,
	    "exp", now + jc->jc_lifetime));
	if (hdr != NULL && claims != NULL &&
	    asprintf(&input, "%s.%s", hdr, claims) == -1)
		input = NULL;
	if (input != NULL && (sig = jwt_sign(key, pss, input)) != NULL &&
	    asprintf(&out, "%s.%s", input, sig) == -1)
		out = NULL;
	free(hdr);
	free(claims);
	free(input);
	free(sig);
	return out;
}
