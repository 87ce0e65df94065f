/*
 * intune_delta.c: a copy of the tenant's Entra devices or users kept in
 * step with Graph delta queries, so that a directory sync costs what
 * changed since the last one, not the fleet.  The first round reads
 * every object; each later one follows the deltaLink Graph handed out.
 * The copy answers for an object only while the last round completed:
 * after a failed one every answer is UNKNOWN.
 */
#include <ctype.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common.h"
#include "config.h"
#include "intune.h"

#define DELTA_ATTEMPTS	1
#define ID_MAX		64

/* One object: its object id, the id certificates name, enabled. */
struct dentry {
	char	 de_obj[ID_MAX];
	char	 de_key[ID_MAX];
	int	 de_enabled;
};

struct idelta {
	struct intune		*dl_in;
	enum intune_dir_kind	 dl_kind;	/* IDIR_ENTRA or IDIR_USER */
	void			*dl_byobj;	/* tsearch trees of dentry */
	void			*dl_bykey;
	char			*dl_link;	/* deltaLink, NULL: full */
	char			*dl_next;	/* the page being fetched */
	int			 dl_fresh;	/* the last round completed */
	int			 dl_retried;	/* a 401 dropped the token */
	idelta_cb		*dl_cb;
	void			*dl_arg;
};

static void	delta_token(void *, const char *, enum intune_result,
		    const char *);

static int
by_obj(const void *a, const void *b)
{
	return strcmp(((const struct dentry *)a)->de_obj,
	    ((const struct dentry *)b)->de_obj);
}

static int
by_key(const void *a, const void *b)
{
	return strcmp(((const struct dentry *)a)->de_key,
	    ((const struct dentry *)b)->de_key);
}

/* A GUID as the copy keeps it: lower case; 0 if too long to be one. */
static int
id_copy(char dst[ID_MAX], const char *src)
{
	size_t	 i;

	if (src == NULL || strlen(src) >= ID_MAX)
		return 0;
	for (i = 0; src[i] != '\0'; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
	return 1;
}

static void
no_free(void *p)
{
}

/* Forgets every object: the next round reads them all again. */
static void
delta_clear(struct idelta *dl)
{
	tdestroy(dl->dl_bykey, no_free);
	tdestroy(dl->dl_byobj, free);
	dl->dl_bykey = dl->dl_byobj = NULL;
	free(dl->dl_link);
	dl->dl_link = NULL;
}

/* Applies one object of a delta page: removed, new or changed. */
static void
delta_apply(struct idelta *dl, json_t *o)
{
	struct dentry	 want, *de, **found;
	json_t		*en = json_object_get(o, "accountEnabled");
	const char	*key = json_string_value(json_object_get(o,
			    dl->dl_kind == IDIR_ENTRA ? "deviceId" : "id"));

	if (!id_copy(want.de_obj, json_string_value(json_object_get(o, "id"))))
		return;
	if ((found = tfind(&want, &dl->dl_byobj, by_obj)) != NULL) {
		de = *found;
		if (json_object_get(o, "@removed") == NULL && (key == NULL ||
		    strcasecmp(key, de->de_key) == 0)) {
			if (json_is_boolean(en))
				de->de_enabled = json_is_true(en);
			return;
		}
		tdelete(de, &dl->dl_bykey, by_key);
		tdelete(de, &dl->dl_byobj, by_obj);
		free(de);
	}
	if (json_object_get(o, "@removed") != NULL ||
	    (de = calloc(1, sizeof(*de))) == NULL)
		return;
	memcpy(de->de_obj, want.de_obj, sizeof(de->de_obj));
	de->de_enabled = !json_is_false(en);
	if (!id_copy(de->de_key, key) ||
	    tsearch(de, &dl->dl_byobj, by_obj) == NULL) {
		free(de);
		return;
	}
	if (tsearch(de, &dl->dl_bykey, by_key) == NULL) {
		tdelete(de, &dl->dl_byobj, by_obj);
		free(de);
	}
}

/* Ends a round: ok or not, the callback runs once. */
static void
delta_done(struct idelta *dl, int ok, const char *msg)
{
	dl->dl_fresh = ok;
	free(dl->dl_next);
	dl->dl_next = NULL;
	dl->dl_cb(dl->dl_arg, ok, msg);
}

/* A link Graph gave: followed only if it stays on the Graph host. */
static int
delta_link(struct idelta *dl, char **dst, const char *link)
{
	const char	*base = dl->dl_in->in_conf->cf_intune_graph_url;

	if (link == NULL || strncmp(link, base, strlen(base)) != 0)
		return -1;
	free(*dst);
	return (*dst = strdup(link)) == NULL ? -1 : 0;
}

/* One page: its objects applied, then the next page or the end. */
static int
delta_page(struct idelta *dl, const struct ihttp_res *res)
{
	json_t		*j, *o;
	const char	*next, *link;
	size_t		 i;
	int		 r = -1;

	j = json_loadb(res->hr_body, res->hr_len, 0, NULL);
	next = json_string_value(json_object_get(j, "@odata.nextLink"));
	link = json_string_value(json_object_get(j, "@odata.deltaLink"));
	if (json_is_array(json_object_get(j, "value"))) {
		json_array_foreach(json_object_get(j, "value"), i, o)
			delta_apply(dl, o);
		if (next != NULL)
			r = delta_link(dl, &dl->dl_next, next) == 0 ? 1 : -1;
		else
			r = delta_link(dl, &dl->dl_link, link);
	}
	json_decref(j);
	return r;
}

static void
delta_reply(void *arg, const struct ihttp_res *res)
{
	struct idelta	*dl = arg;
	char		 msg[INTUNE_MSG_MAX];
	int		 r;

	if (res->hr_status == 401 && !dl->dl_retried) {
		dl->dl_retried = 1;
		itoken_drop(dl->dl_in, ISCOPE_GRAPH);
		r = itoken_get(dl->dl_in, ISCOPE_GRAPH, delta_token, dl);
	} else if (res->hr_status == 200) {
		if ((r = delta_page(dl, res)) == 1)
			r = itoken_get(dl->dl_in, ISCOPE_GRAPH, delta_token, dl);
		else if (r == 0) {
			delta_done(dl, 1, "up to date");
			return;
		}
	} else {
		/* 410: Graph forgot our deltaLink; start over next time. */
		if (res->hr_status == 410)
			delta_clear(dl);
		ihttp_fail(res, "delta query", msg, sizeof(msg));
		delta_done(dl, 0, msg);
		return;
	}
	if (r == -1)
		delta_done(dl, 0, "delta query: unusable page");
}

static void
delta_token(void *arg, const char *token, enum intune_result r,
    const char *msg)
{
	struct idelta		*dl = arg;
	struct ihttp_call	 hc;

	if (r != INTUNE_SUCCESS) {
		delta_done(dl, 0, msg);
		return;
	}
	memset(&hc, 0, sizeof(hc));
	hc.hc_url = dl->dl_next;
	hc.hc_bearer = token;
	hc.hc_attempts = DELTA_ATTEMPTS;
	hc.hc_deadline_s = intune_deadline(dl->dl_in->in_conf,
	    DELTA_ATTEMPTS);
	if (ihttp_start(dl->dl_in->in_http, &hc, delta_reply, dl) == -1)
		delta_done(dl, 0, "delta query: cannot start");
}

struct idelta *
idelta_new(struct intune *in, enum intune_dir_kind kind)
{
	struct idelta	*dl;

	if ((dl = calloc(1, sizeof(*dl))) == NULL)
		return NULL;
	dl->dl_in = in;
	dl->dl_kind = kind;
	return dl;
}

void
idelta_free(struct idelta *dl)
{
	if (dl == NULL)
		return;
	delta_clear(dl);
	free(dl->dl_next);
	free(dl);
}

/* Brings the copy up to date: 0 if started (cb runs later, once). */
int
idelta_update(struct idelta *dl, idelta_cb *cb, void *arg)
{
	const struct conf	*cf = dl->dl_in->in_conf;
	int			 entra = dl->dl_kind == IDIR_ENTRA;

	dl->dl_fresh = dl->dl_retried = 0;
	dl->dl_cb = cb;
	dl->dl_arg = arg;
	free(dl->dl_next);
	if (dl->dl_link != NULL)
		dl->dl_next = strdup(dl->dl_link);
	else {
		/* A full round: what an earlier one left is not trusted. */
		delta_clear(dl);
		if (asprintf(&dl->dl_next, "%sv1.0/%s/delta?$select=%s",
		    cf->cf_intune_graph_url, entra ? "devices" : "users",
		    entra ? "id,deviceId,accountEnabled" :
		    "id,accountEnabled") == -1)
			dl->dl_next = NULL;
	}
	if (dl->dl_next == NULL)
		return -1;
	return itoken_get(dl->dl_in, ISCOPE_GRAPH, delta_token, dl);
}

/* What the copy says of the object id names. */
enum intune_dir_state
idelta_state(const struct idelta *dl, const char *id)
{
	struct dentry	 want, **found;

	if (!dl->dl_fresh || !id_copy(want.de_key, id))
		return IDIR_UNKNOWN;
	if ((found = tfind(&want, &dl->dl_bykey, by_key)) == NULL)
		return IDIR_GONE;
	return (*found)->de_enabled ? IDIR_ENABLED : IDIR_DISABLED;
}
