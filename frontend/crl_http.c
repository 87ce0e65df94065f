/*
 * crl_http.c: the CA's CRL at /crl/NAME.crl (RFC 5280 4.2.1.13: one DER
 * CRL over plain HTTP), from memory.  ocsp_client.c pulls a new one from
 * the signer as soon as it is signed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "common.h"
#include "config.h"
#include "frontend.h"

static char	 crl_path[64];
static struct {
	uint64_t	 number;
	time_t		 this_update;
	time_t		 next_update;
	char		 etag[32];
	uint8_t		*der;
	size_t		 len;
} crl;

void
crl_http_init(const struct conf *cf)
{
	snprintf(crl_path, sizeof(crl_path), "/crl/%s.crl", cf->cf_ca_name);
}

uint64_t
crl_http_number(void)
{
	return crl.number;
}

/* Keeps a copy of the newest CRL; a failed copy keeps the old one. */
void
crl_http_set(uint64_t number, time_t this_update, time_t next_update,
    const uint8_t *der, size_t len)
{
	uint8_t	*copy;

	if ((copy = malloc(len)) == NULL)
		return;
	memcpy(copy, der, len);
	free(crl.der);
	crl.der = copy;
	crl.len = len;
	crl.number = number;
	crl.this_update = this_update;
	crl.next_update = next_update;
	snprintf(crl.etag, sizeof(crl.etag), "\"%llu\"",
	    (unsigned long long)number);
	log_info("crl: number %llu (%zu bytes)", (unsigned long long)number,
	    len);
}

void
crl_http_free(void)
{
	free(crl.der);
	memset(&crl, 0, sizeof(crl));
}

/* Returns 1 if path is the CRL's (and answers it), else 0. */
int
crl_http_route(struct evhttp_request *req, const char *path)
{
	if (strcmp(path, crl_path) != 0)
		return 0;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD)
		http_text(req, 405, "use GET");
	else if (crl.der == NULL)
		http_text(req, 503, "no CRL yet");
	else
		http_cached(req, "application/pkix-crl", crl.der, crl.len,
		    crl.this_update, crl.next_update, crl.etag);
	return 1;
}
