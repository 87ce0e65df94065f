/*
 * intune_directory.c: does the Intune managed device behind a
 * certificate still exist?  Graph has no delta query for managed
 * devices in v1.0, so one plain GET per device (spec/intune.md section
 * 10.2), by the Intune device id recorded at issuance.  Only a 200 or a
 * 404 is an answer; anything else is UNKNOWN, and a single attempt is
 * made: the next sync asks again.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common.h"
#include "config.h"
#include "intune.h"

#define DIR_ATTEMPTS	1

static void	dir_token(void *, const char *, enum intune_result,
		    const char *);
static void	dir_reply(void *, const struct ihttp_res *);

#define DEVICE_PATH	"v1.0/deviceManagement/managedDevices/"
#define DEVICE_SELECT	"?$select=id,azureADDeviceId"

/* A 200 names the device, or it is unreadable. */
static enum intune_dir_state
dir_state(const struct ihttp_res *res)
{
	json_t			*j;
	enum intune_dir_state	 st = IDIR_UNKNOWN;

	j = json_loadb(res->hr_body, res->hr_len, 0, NULL);
	if (json_is_string(json_object_get(j, "id")))
		st = IDIR_ENABLED;	/* Intune has no "disabled" */
	json_decref(j);
	return st;
}

static void
dir_reply(void *arg, const struct ihttp_res *res)
{
	struct intune_dirq	*dq = arg;
	enum intune_dir_state	 st = IDIR_UNKNOWN;
	char			 msg[INTUNE_MSG_MAX];

	if (res->hr_status == 401 && !dq->dq_retried) {
		dq->dq_retried = 1;
		itoken_drop(dq->dq_in, ISCOPE_GRAPH);
		if (itoken_get(dq->dq_in, ISCOPE_GRAPH, dir_token, dq) == -1)
			dq->dq_cb(dq->dq_arg, IDIR_UNKNOWN, "no Graph token");
		return;
	}
	if (res->hr_status == 404) {
		st = IDIR_GONE;
		snprintf(msg, sizeof(msg), "not found (client-request-id %s)",
		    res->hr_reqid);
	} else if (res->hr_status == 200) {
		st = dir_state(res);
		snprintf(msg, sizeof(msg), "%s (client-request-id %s)",
		    st == IDIR_UNKNOWN ? "unreadable answer" : "found",
		    res->hr_reqid);
	} else
		ihttp_fail(res, "directory", msg, sizeof(msg));
	dq->dq_cb(dq->dq_arg, st, msg);
}

static void
dir_token(void *arg, const char *token, enum intune_result r,
    const char *msg)
{
	struct intune_dirq	*dq = arg;
	struct ihttp_call	 hc;

	if (r != INTUNE_SUCCESS) {
		dq->dq_cb(dq->dq_arg, IDIR_UNKNOWN, msg);
		return;
	}
	memset(&hc, 0, sizeof(hc));
	hc.hc_url = dq->dq_url;
	hc.hc_bearer = token;
	hc.hc_attempts = DIR_ATTEMPTS;
	hc.hc_deadline_s = intune_deadline(dq->dq_in->in_conf, DIR_ATTEMPTS);
	if (ihttp_start(dq->dq_in->in_http, &hc, dir_reply, dq) == -1)
		dq->dq_cb(dq->dq_arg, IDIR_UNKNOWN, "cannot start");
}

int
intune_device_lookup(struct intune *in, struct intune_dirq *dq,
    const char *id, intune_dir_cb *cb, void *arg)
{
	int	 n;

	memset(dq, 0, sizeof(*dq));
	n = snprintf(dq->dq_url, sizeof(dq->dq_url), "%s" DEVICE_PATH "%s"
	    DEVICE_SELECT, in->in_conf->cf_intune_graph_url, id);
	if (n < 0 || (size_t)n >= sizeof(dq->dq_url))
		return -1;
	dq->dq_in = in;
	dq->dq_cb = cb;
	dq->dq_arg = arg;
	return itoken_get(in, ISCOPE_GRAPH, dir_token, dq);
}
