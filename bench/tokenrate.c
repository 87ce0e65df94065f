/*
 * tokenrate.c: the raw signing rate of one key in the token, through the
 * same libp11 path the signer uses (token_open, token_key, EVP_DigestSign
 * over SHA-256), in one session on one thread: what a signer worker can
 * do at best.  Part of the OCSP benchmark (bench/ocsp-bench.sh).
 *
 * usage: tokenrate -c keyward.conf [-r ROLE] [-s SECONDS]
 * Prints "signatures/s N".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common.h"
#include "config.h"
#include "signer.h"

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One SHA-256 signature over a fixed message; -1 if the token refused. */
static int
sign_once(EVP_PKEY *key)
{
	static const unsigned char	 msg[100] = "keyward token rate";
	unsigned char			 sig[1024];
	size_t				 siglen = sizeof(sig);
	EVP_MD_CTX			*ctx;
	int				 r = -1;

	if ((ctx = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestSign(ctx, sig, &siglen, msg, sizeof(msg)) == 1)
		r = 0;
	EVP_MD_CTX_free(ctx);
	return r;
}

int
main(int argc, char *argv[])
{
	struct conf	 cf;
	struct token	*tk = NULL;
	EVP_PKEY	*key;
	const char	*path = NULL, *role = KEY_ROLE_OCSP;
	double		 secs = 5, t0, t;
	long		 n = 0;
	int		 ch;

	while ((ch = getopt(argc, argv, "c:r:s:")) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'r': role = optarg; break;
		case 's': secs = atof(optarg); break;
		default:
			fprintf(stderr, "usage: tokenrate -c FILE [-r ROLE] "
			    "[-s SECONDS]\n");
			return 2;
		}
	}
	log_init("tokenrate", LOG_LVL_WARN);
	if (path == NULL || secs <= 0 || conf_load(path, &cf) == -1)
		return 2;
	if (token_open(&cf, &tk) == -1 ||
	    (key = token_key(tk, cf.cf_ca_id, role)) == NULL)
		return 1;
	t0 = now();
	do {
		if (sign_once(key) == -1) {
			fprintf(stderr, "tokenrate: signature refused\n");
			return 1;
		}
		n++;
	} while ((t = now() - t0) < secs);
	printf("signatures/s %.0f\n", (double)n / t);
	token_close(tk);
	conf_free(&cf);
	return 0;
}
