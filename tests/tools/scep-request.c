/*
 * scep-request: one SCEP PKIOperation as a device sends it, for the
 * end-to-end tests.  The EnvelopedData comes from a file (openssl cms
 * -encrypt -outform DER), so the cipher and key transport are OpenSSL's;
 * the tool wraps it, posts it, and checks the CertRep.  Prints the issued
 * certificate (exit 0), "FAILURE failInfo" or "PENDING" (exit 1), or
 * "HTTP code" (exit 2); anything else wrong with the exchange exits 3.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/provider.h>

#include "ipc.h"
#include "scepmsg.h"

#define ENVELOPE_MAX	(64 * 1024)

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: scep-request -u URL -k KEY.pem -e ENVELOPE.der "
	    "[-d DIGEST] [-m TYPE] [-x]\n"
	    "  -d  digest of the signature (sha256)\n"
	    "  -m  messageType (19, PKCSReq)\n"
	    "  -x  flip a bit of the signature\n");
	exit(3);
}

/* The whole file, at most ENVELOPE_MAX bytes. */
static uint8_t *
readfile(const char *path, size_t *len)
{
	FILE	*f;
	uint8_t	*buf;

	if ((f = fopen(path, "rb")) == NULL)
		err(3, "%s", path);
	if ((buf = malloc(ENVELOPE_MAX + 1)) == NULL)
		err(3, "malloc");
	*len = fread(buf, 1, ENVELOPE_MAX + 1, f);
	if (ferror(f) || *len == 0 || *len > ENVELOPE_MAX)
		errx(3, "%s: empty, unreadable or over %d bytes", path,
		    ENVELOPE_MAX);
	fclose(f);
	return buf;
}

static EVP_PKEY *
readkey(const char *path)
{
	FILE		*f;
	EVP_PKEY	*key;

	if ((f = fopen(path, "r")) == NULL)
		err(3, "%s", path);
	if ((key = PEM_read_PrivateKey(f, NULL, NULL, NULL)) == NULL)
		errx(3, "%s: not a PEM private key", path);
	fclose(f);
	return key;
}

/* The RA certificate from the server's GetCACert. */
static X509 *
fetch_ra(const char *url)
{
	uint8_t	*der = NULL;
	size_t	 len = 0;
	int	 code = 0;
	X509	*ra;

	if (scephttp_fetch(url, "GetCACert", NULL, 0, &der, &len, &code) == -1)
		exit(3);
	if (code != 200)
		errx(3, "GetCACert: HTTP %d", code);
	if ((ra = scepmsg_ra(der, len)) == NULL)
		exit(3);
	free(der);
	return ra;
}

/* Prints what the CertRep says and returns the exit status. */
static int
report(const struct scepmsg_rep *rep)
{
	switch (rep->rp_status) {
	case SCEP_SUCCESS:
		return PEM_write_X509(stdout, rep->rp_cert) == 1 ? 0 : 3;
	case SCEP_FAILURE:
		printf("FAILURE %s\n", scepmsg_failname(rep->rp_failinfo));
		return 1;
	default:
		printf("PENDING\n");
		return 1;
	}
}

/* Signs env, posts it and reads the CertRep: the exit status. */
static int
enrol(const char *url, EVP_PKEY *key, const uint8_t *env, size_t envlen,
    const char *type, const EVP_MD *md, int badsig)
{
	struct scepmsg		 m;
	struct scepmsg_rep	 rep;
	uint8_t			*der = NULL, *ans = NULL;
	size_t			 len = 0, anslen = 0;
	X509			*ra;
	int			 code = 0, rv = 3;

	ra = fetch_ra(url);
	if (scepmsg_init(&m, key) == -1)
		goto out;
	if (scepmsg_sign(&m, type, md, badsig, env, envlen, &der, &len) == -1 ||
	    scephttp_fetch(url, "PKIOperation", der, len, &ans, &anslen,
	    &code) == -1)
		rv = 3;
	else if (code != 200) {
		printf("HTTP %d\n", code);
		rv = 2;
	} else if (scepmsg_reply(&m, ra, ans, anslen, &rep) == 0) {
		rv = report(&rep);
		scepmsg_rep_free(&rep);
	}
	scepmsg_free(&m);
 out:
	X509_free(ra);
	OPENSSL_free(der);
	free(ans);
	return rv;
}

int
main(int argc, char *argv[])
{
	const char	*url = NULL, *keyf = NULL, *envf = NULL;
	const char	*type = "19", *digest = "sha256";
	const EVP_MD	*md;
	EVP_PKEY	*key;
	uint8_t		*env;
	size_t		 envlen;
	int		 ch, badsig = 0, rv;

	while ((ch = getopt(argc, argv, "d:e:k:m:u:x")) != -1) {
		switch (ch) {
		case 'd':
			digest = optarg;
			break;
		case 'e':
			envf = optarg;
			break;
		case 'k':
			keyf = optarg;
			break;
		case 'm':
			type = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		case 'x':
			badsig = 1;
			break;
		default:
			usage();
		}
	}
	if (url == NULL || keyf == NULL || envf == NULL || optind != argc)
		usage();
	if ((md = EVP_get_digestbyname(digest)) == NULL)
		errx(3, "%s: unknown digest", digest);
	/* A single-DES reply needs the legacy provider (beside the default). */
	if (OSSL_PROVIDER_load(NULL, "default") == NULL ||
	    OSSL_PROVIDER_load(NULL, "legacy") == NULL)
		errx(3, "cannot load the OpenSSL default and legacy providers");
	env = readfile(envf, &envlen);
	key = readkey(keyf);
	rv = enrol(url, key, env, envlen, type, md, badsig);
	EVP_PKEY_free(key);
	free(env);
	return rv;
}
