/*
 * jwt.h: JWT client assertions for Entra ID (RFC 7523), built whole from
 * typed fields.  Shared by the validator (key in a file) and the signer
 * (key in the token).
 */
#ifndef KEYWARD_JWT_H
#define KEYWARD_JWT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define JWT_CLIENT_ID_MAX	128
#define JWT_AUD_MAX		512
#define JWT_LIFETIME_MIN	60	/* seconds */
#define JWT_LIFETIME_MAX	3600
#define JWT_MAX			4096	/* a compact assertion */

struct jwt_claims {
	const char	*jc_client_id;	/* iss and sub */
	const char	*jc_aud;	/* the token endpoint */
	int		 jc_lifetime;	/* seconds, JWT_LIFETIME_MIN..MAX */
	time_t		 jc_now;	/* nbf and iat */
};

/* Base64 without line breaks; url: the JWT alphabet without padding. */
char	*jwt_base64(const uint8_t *, size_t, int url);
/* The certificate's thumbprint for x5t#S256 (pss) or x5t, base64url. */
char	*jwt_thumbprint(X509 *, int pss);
/* 0 if the claims may go into an assertion, else -1 with a reason. */
int	 jwt_check(const struct jwt_claims *, char *why, size_t whylen);
/*
 * header.claims.signature with a random jti, signed with key: PS256 (RSASSA-PSS, SHA-256,
 * salt 32) naming thumb as x5t#S256, or RS256 naming it as x5t.  NULL if
 * the claims fail jwt_check (logged) or signing fails.
 */
char	*jwt_assertion(const struct jwt_claims *, int pss, const char *thumb,
	    EVP_PKEY *key);

#endif
