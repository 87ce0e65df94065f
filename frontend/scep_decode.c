/*
 * scep_decode.c: the base64 forms in which a pkiMessage arrives (RFC 8894
 * 4.1 and what clients really send, spec A.2).  GET carries it in
 * message=, percent-escaped to various degrees, wrapped with %0A, in
 * base64url or without padding; a few POST bodies are base64 text too.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "scep.h"

/* Percent-escaping triples the length at most. */
#define SCEP_RAW_MAX	(3 * SCEP_B64_MAX)

static int	hexval(int);
static int	b64_map(int);
static int	b64_clean(const char *, size_t, char *, size_t *);
static int	b64_pad(char *, size_t *);
static int	b64_decode(const char *, size_t, uint8_t **, size_t *);
static int	b64_text(const char *, size_t, uint8_t **, size_t *);

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * One character after percent-decoding: the standard alphabet character
 * it stands for, 0 for white space to drop, -1 if it cannot be base64.
 */
static int
b64_map(int c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=')
		return c;
	if (c == '-')
		return '+';	/* base64url */
	if (c == '_')
		return '/';
	if (c == '\r' || c == '\n' || c == ' ' || c == '\t')
		return 0;
	return -1;
}

/*
 * Percent-decodes in (%XX only) into standard base64 without white space.
 * out must hold inlen bytes.  A literal space is a '+' that a form decoder
 * mangled; an escaped one (%20) is formatting like %0A.
 */
static int
b64_clean(const char *in, size_t inlen, char *out, size_t *outlen)
{
	size_t	 i, n = 0;
	int	 c, hi, lo;

	for (i = 0; i < inlen; i++) {
		c = (unsigned char)in[i];
		if (c == ' ')
			c = '+';
		else if (c == '%') {
			if (inlen - i < 3 || (hi = hexval(in[i + 1])) == -1 ||
			    (lo = hexval(in[i + 2])) == -1)
				return -1;
			c = hi << 4 | lo;
			i += 2;
		}
		if ((c = b64_map(c)) == -1)
			return -1;
		if (c == 0)
			continue;
		if (n == SCEP_B64_MAX)
			return -1;
		out[n++] = (char)c;
	}
	*outlen = n;
	return 0;
}

/*
 * Drops what padding there is and pads again to a multiple of four, so
 * missing '=' is accepted; '=' anywhere else is an error.  s has room for
 * three more bytes.
 */
static int
b64_pad(char *s, size_t *len)
{
	size_t	 n = *len, i;

	for (i = 0; i < 2 && n > 0 && s[n - 1] == '='; i++)
		n--;
	if (n == 0 || memchr(s, '=', n) != NULL || n % 4 == 1)
		return -1;
	while (n % 4 != 0)
		s[n++] = '=';
	*len = n;
	return 0;
}

/* Standard, padded base64 into malloc'd bytes (EVP strips the padding). */
static int
b64_decode(const char *s, size_t n, uint8_t **der, size_t *len)
{
	EVP_ENCODE_CTX	*ctx = NULL;
	uint8_t		*buf = NULL;
	int		 ul = 0, fl = 0, r = -1;

	if ((ctx = EVP_ENCODE_CTX_new()) == NULL ||
	    (buf = malloc(n / 4 * 3 + 3)) == NULL)
		goto out;
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, buf, &ul, (const unsigned char *)s,
	    (int)n) == -1 || EVP_DecodeFinal(ctx, buf + ul, &fl) != 1 ||
	    ul + fl <= 0)
		goto out;
	*der = buf;
	*len = (size_t)(ul + fl);
	buf = NULL;
	r = 0;
 out:
	free(buf);
	EVP_ENCODE_CTX_free(ctx);
	return r;
}

/* The whole A.2 procedure on n characters of text. */
static int
b64_text(const char *in, size_t n, uint8_t **der, size_t *len)
{
	char	*clean = NULL;
	size_t	 cn = 0;
	int	 r = -1;

	if (n == 0 || n > SCEP_RAW_MAX || (clean = malloc(n + 3)) == NULL)
		goto out;
	if (b64_clean(in, n, clean, &cn) == -1 || b64_pad(clean, &cn) == -1)
		goto out;
	r = b64_decode(clean, cn, der, len);
 out:
	free(clean);
	return r;
}

/*
 * Decodes the value of message= in a GET PKIOperation, taken from the raw
 * query string (not through a form decoder).  Returns 0 with a malloc'd
 * *der of *len bytes, -1 if the value is too long or not base64.
 */
int
scep_query_decode(const char *raw_query_value, uint8_t **der, size_t *len)
{
	size_t	 n;

	*der = NULL;
	*len = 0;
	if (raw_query_value == NULL)
		return -1;
	/* One past the limit tells "too long" without reading further. */
	n = strnlen(raw_query_value, SCEP_RAW_MAX + 1);
	return b64_text(raw_query_value, n, der, len);
}

/*
 * A POST PKIOperation body: DER (first byte 0x30, a SEQUENCE) is copied;
 * printable text is tried as base64 (defensive, no client known to need
 * it).  Returns 0 with a malloc'd *der, else -1.
 */
int
scep_body_decode(const uint8_t *body, size_t bodylen, uint8_t **der,
    size_t *len)
{
	size_t	 i;

	*der = NULL;
	*len = 0;
	if (body == NULL || bodylen == 0)
		return -1;
	if (body[0] == 0x30) {
		if (bodylen > SCEP_DER_MAX || (*der = malloc(bodylen)) == NULL)
			return -1;
		memcpy(*der, body, bodylen);
		*len = bodylen;
		return 0;
	}
	for (i = 0; i < bodylen; i++)
		if ((body[i] < 0x20 || body[i] > 0x7e) && body[i] != '\r' &&
		    body[i] != '\n' && body[i] != '\t')
			return -1;
	return b64_text((const char *)body, bodylen, der, len);
}
