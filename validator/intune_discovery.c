/*
 * intune_discovery.c: finds the tenant's Intune SCEP validation service
 * in Microsoft Graph (the endpoints of Intune's service principal) and
 * keeps its URI for [intune] discovery_ttl.  The actions drop it when the
 * service answers 404, 5xx or not at all, so the next call asks again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "common.h"
#include "config.h"
#include "intune.h"

#define DISC_ATTEMPTS	2
#define PAGES_MAX	10	/* @odata.nextLink pages followed */
#define SCEP_SERVICE	"ScepRequestValidationFEService"

static int	disc_fetch(void *);
static void	disc_token(void *, const char *, enum intune_result,
		    const char *);

/* Ends the lookup for everyone waiting on it. */
static void
disc_done(struct idisc *ds, enum intune_result r, const char *msg)
{
	free(ds->ds_next);
	ds->ds_next = NULL;
	iwait_done(&ds->ds_waiters, r == INTUNE_SUCCESS ? ds->ds_uri : NULL,
	    r, msg);
}

/* The first entry named for the SCEP service; NULL if none. */
static const char *
page_find(const json_t *page)
{
	const json_t	*e;
	const char	*name;
	size_t		 i;

	json_array_foreach(json_object_get(page, "value"), i, e) {
		name = json_string_value(json_object_get(e, "providerName"));
		if (name != NULL && strcasecmp(name, SCEP_SERVICE) == 0)
			return json_string_value(json_object_get(e, "uri"));
	}
	return NULL;
}

/* Reads one page: the service's URI, the next page, or why neither. */
static enum intune_result
page_read(struct idisc *ds, const struct ihttp_res *res, char *msg,
    size_t msgsz)
{
	const struct conf	*cf = ds->ds_in->in_conf;
	json_t			*j;
	const char		*uri, *next;
	enum intune_result	 r = INTUNE_SUCCESS;

	j = json_loadb(res->hr_body, res->hr_len, 0, NULL);
	uri = page_find(j);
	next = json_string_value(json_object_get(j, "@odata.nextLink"));
	free(ds->ds_next);
	ds->ds_next = NULL;
	if (!json_is_array(json_object_get(j, "value"))) {
		snprintf(msg, msgsz, "discovery: unreadable reply from Graph "
		    "(client-request-id %s)", res->hr_reqid);
		r = INTUNE_ERR_PROTOCOL;
	} else if (uri != NULL && strncmp(uri, "https://", 8) == 0) {
		if ((ds->ds_uri = strdup(uri)) == NULL)
			r = INTUNE_ERR_INTERNAL;
		ds->ds_expires = mono_ms() +
		    cf->cf_intune_discovery_ttl * 1000LL;
	} else if (uri == NULL && next != NULL && ds->ds_pages < PAGES_MAX) {
		if ((ds->ds_next = strdup(next)) == NULL)
			r = INTUNE_ERR_INTERNAL;
	} else {
		snprintf(msg, msgsz, "discovery: Graph lists no %s with an "
		    "https URI for app %s (client-request-id %s)",
		    SCEP_SERVICE, cf->cf_intune_app_id, res->hr_reqid);
		r = INTUNE_ERR_DISCOVERY;
	}
	json_decref(j);
	return r;
}

static void
disc_reply(void *arg, const struct ihttp_res *res)
{
	struct idisc		*ds = arg;
	struct intune		*in = ds->ds_in;
	enum intune_result	 r;
	char			 msg[INTUNE_MSG_MAX];

	msg[0] = '\0';
	if (res->hr_status == 401 && !ds->ds_retried) {
		/* Graph refused a cached token: one more try with a new one. */
		ds->ds_retried = 1;
		itoken_drop(in, ISCOPE_GRAPH);
		r = itoken_get(in, ISCOPE_GRAPH, disc_token, ds) == -1 ?
		    INTUNE_ERR_INTERNAL : INTUNE_SUCCESS;
	} else if (res->hr_status == 200) {
		if ((r = page_read(ds, res, msg, sizeof(msg))) ==
		    INTUNE_SUCCESS && ds->ds_uri == NULL &&
		    itoken_get(in, ISCOPE_GRAPH, disc_token, ds) == -1)
			r = INTUNE_ERR_INTERNAL;
	} else
		r = ihttp_fail(res, "discovery", msg, sizeof(msg));
	if (r != INTUNE_SUCCESS || ds->ds_uri != NULL)
		disc_done(ds, r, msg);
}

/* With a Graph token in hand, asks for the page in ds_next. */
static void
disc_token(void *arg, const char *token, enum intune_result r,
    const char *msg)
{
	struct idisc		*ds = arg;
	struct intune		*in = ds->ds_in;
	struct ihttp_call	 hc;

	if (r != INTUNE_SUCCESS) {
		disc_done(ds, r, msg);
		return;
	}
	memset(&hc, 0, sizeof(hc));
	hc.hc_url = ds->ds_next;
	hc.hc_bearer = token;
	hc.hc_attempts = DISC_ATTEMPTS;
	hc.hc_deadline_s = intune_deadline(in->in_conf, DISC_ATTEMPTS);
	ds->ds_pages++;
	if (ihttp_start(in->in_http, &hc, disc_reply, ds) == -1)
		disc_done(ds, INTUNE_ERR_INTERNAL, "discovery: cannot start");
}

static int
disc_fetch(void *arg)
{
	struct idisc		*ds = arg;
	const struct conf	*cf = ds->ds_in->in_conf;

	idisc_invalidate(ds->ds_in);
	free(ds->ds_next);
	if (asprintf(&ds->ds_next, "%sv1.0/servicePrincipals/appId=%s/"
	    "endpoints", cf->cf_intune_graph_url, cf->cf_intune_app_id) ==
	    -1) {
		ds->ds_next = NULL;
		return -1;
	}
	ds->ds_pages = 0;
	ds->ds_retried = 0;
	return itoken_get(ds->ds_in, ISCOPE_GRAPH, disc_token, ds);
}

/* Hands cb the SCEP service's URI: the cached one or a new one. */
int
idisc_get(struct intune *in, ivalue_cb *cb, void *arg)
{
	struct idisc	*ds = &in->in_disc;
	const char	*fresh = NULL;

	if (ds->ds_uri != NULL && mono_ms() < ds->ds_expires)
		fresh = ds->ds_uri;
	return iwait_get(&ds->ds_waiters, fresh, cb, arg, disc_fetch, ds);
}

void
idisc_invalidate(struct intune *in)
{
	free(in->in_disc.ds_uri);
	in->in_disc.ds_uri = NULL;
}

void
idisc_free(struct idisc *ds)
{
	free(ds->ds_uri);
	free(ds->ds_next);
	ds->ds_uri = ds->ds_next = NULL;
	iwait_clear(&ds->ds_waiters);
}
