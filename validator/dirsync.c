/*
 * dirsync.c: the directory sync (design.md "Directory sync").  For each
 * live certificate bound to directory objects, Graph is asked whether
 * they still exist and are enabled: a deleted one revokes the
 * certificate, a disabled one holds it, and a hold is lifted once all
 * are enabled again.  Entra devices and users come from copies kept by
 * delta queries, Intune devices from one GET each, one at a time so that
 * a sync never floods Graph.  An object without an authoritative answer
 * changes nothing.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common.h"
#include "config.h"
#include "intune.h"
#include "ipc.h"
#include "ipcev.h"
#include "validator.h"

#define WAITERS_MAX	8	/* keywardctl sync calls during one run */

enum ds_count { DS_CHECKED, DS_REVOKED, DS_HELD, DS_RELEASED, DS_UNKNOWN,
    DS__MAX };

struct dscert {
	char			 dc_serial[SERIAL_HEX_MAX];
	int			 dc_hold;	/* else valid */
	struct dirid		 dc_ids[DIRIDS_MAX];
	enum intune_dir_state	 dc_st[DIRIDS_MAX];
	int			 dc_nids;
};

struct dirsync {
	struct validator	*ds_vd;
	struct event		*ds_timer;	/* the schedule */
	struct event		*ds_step;	/* the next look-up */
	int			 ds_running;
	struct dscert		*ds_certs;
	size_t			 ds_ncerts, ds_cur;
	int			 ds_id;		/* in ds_certs[ds_cur] */
	uint64_t		 ds_after;	/* rowid of the last row read */
	struct intune_dirq	 ds_dq;
	struct idelta		*ds_delta[IDIR__MAX];	/* NULL: no delta */
	int			 ds_dk;		/* delta being updated */
	uint32_t		 ds_counts[DS__MAX];
	struct ipc_evreq	*ds_waiters[WAITERS_MAX];
	size_t			 ds_nwaiters;
};

static void	ds_next(struct dirsync *);
static void	ds_updated(void *, int, const char *);

/* signer_dirlist callback: keeps a live row bound to directory objects. */
static void
ds_row(void *arg, uint64_t rowid, const char *serial, const char *status,
    const char *dir_ids)
{
	struct dirsync	*ds = arg;
	struct dscert	*c, *certs;

	ds->ds_after = rowid;
	if ((strcmp(status, "valid") != 0 && strcmp(status, "hold") != 0) ||
	    dir_ids[0] == '\0')
		return;
	if ((certs = reallocarray(ds->ds_certs, ds->ds_ncerts + 1,
	    sizeof(*certs))) == NULL) {
		log_warn("reallocarray");
		return;
	}
	ds->ds_certs = certs;
	c = &certs[ds->ds_ncerts];
	memset(c, 0, sizeof(*c));
	if ((c->dc_nids = dirids_parse(dir_ids, c->dc_ids)) <= 0) {
		log_warnx("dirsync: %s: unreadable dir_ids \"%s\"", serial,
		    dir_ids);
		return;
	}
	snprintf(c->dc_serial, sizeof(c->dc_serial), "%s", serial);
	c->dc_hold = strcmp(status, "hold") == 0;
	ds->ds_ncerts++;
}

/* Every live certificate with directory ids, from the signer: 0 or -1. */
static int
ds_load(struct dirsync *ds)
{
	int	 n;

	ds->ds_after = 0;
	do {
		if ((n = signer_dirlist(ds->ds_vd, ds->ds_after, ds_row,
		    ds)) == -1)
			return -1;
	} while (n == IPC_LIST_MAX);
	return 0;
}

/* Asks the signer for one status change; counts it if made. */
static void
ds_change(struct dirsync *ds, const struct dscert *c, uint16_t type,
    int reason, enum ds_count what)
{
	struct signer_refusal	 rf;

	if (signer_status_wait(ds->ds_vd, type, c->dc_serial, reason,
	    &rf) != 0) {
		log_warnx("dirsync: %s: %s not done", c->dc_serial,
		    ipc_type_name(type));
		return;
	}
	log_info("dirsync: certificate %s %s", c->dc_serial,
	    what == DS_REVOKED ? reason_name(reason) : what == DS_HELD ?
	    "on hold" : "released from hold");
	ds->ds_counts[what]++;
}

/*
 * A certificate whose objects have all been asked: any deleted revokes;
 * else any unknown changes nothing; else any disabled holds; else all
 * are enabled and a hold is lifted.
 */
static void
ds_decide(struct dirsync *ds, const struct dscert *c)
{
	int	 i, unknown = 0, disabled = 0;

	ds->ds_counts[DS_CHECKED]++;
	for (i = 0; i < c->dc_nids; i++) {
		if (c->dc_st[i] == IDIR_GONE) {
			ds_change(ds, c, IPC_REQ_REVOKE, c->dc_ids[i].di_kind ==
			    IDIR_USER ? REASON_AFFILIATION : REASON_CESSATION,
			    DS_REVOKED);
			return;
		}
		unknown |= c->dc_st[i] == IDIR_UNKNOWN;
		disabled |= c->dc_st[i] == IDIR_DISABLED;
	}
	if (unknown)
		ds->ds_counts[DS_UNKNOWN]++;
	else if (disabled && !c->dc_hold)
		ds_change(ds, c, IPC_REQ_REVOKE, REASON_HOLD, DS_HELD);
	else if (!disabled && c->dc_hold)
		ds_change(ds, c, IPC_REQ_UNHOLD, 0, DS_RELEASED);
}

/* Records what was learnt of the current object, and moves on. */
static void
ds_note(struct dirsync *ds, enum intune_dir_state st, const char *msg)
{
	struct dscert	*c = &ds->ds_certs[ds->ds_cur];

	c->dc_st[ds->ds_id] = st;
	if (st != IDIR_ENABLED)
		log_info("dirsync: %s %s: %s: %s", c->dc_serial,
		    c->dc_ids[ds->ds_id].di_id, st == IDIR_GONE ? "deleted" :
		    st == IDIR_DISABLED ? "disabled" : "no answer", msg);
	ds->ds_id++;
}

/* intune_device_lookup callback: notes the answer, then goes on. */
static void
ds_looked(void *arg, enum intune_dir_state st, const char *msg)
{
	struct dirsync		*ds = arg;
	const struct timeval	 now = { 0, 0 };

	ds_note(ds, st, msg);
	evtimer_add(ds->ds_step, &now);	/* from the loop, not from here */
}

/* Answers every keywardctl sync waiting, and re-arms the schedule. */
static void
ds_finish(struct dirsync *ds)
{
	const struct timeval	 tv = {
	    ds->ds_vd->vd_conf->cf_intune_sync_interval, 0 };
	struct ipc_evreq	*er;
	int			 i;

	log_info("dirsync: %u checked, %u revoked, %u held, %u released, "
	    "%u unanswered", ds->ds_counts[DS_CHECKED],
	    ds->ds_counts[DS_REVOKED], ds->ds_counts[DS_HELD],
	    ds->ds_counts[DS_RELEASED], ds->ds_counts[DS_UNKNOWN]);
	while (ds->ds_nwaiters > 0) {
		er = ds->ds_waiters[--ds->ds_nwaiters];
		for (i = 0; i < DS__MAX; i++)
			ipc_put_u32(&er->er_ans, ds->ds_counts[i]);
		ipc_evreply(er);
	}
	free(ds->ds_certs);
	ds->ds_certs = NULL;
	ds->ds_running = 0;
	if (tv.tv_sec > 0)
		evtimer_add(ds->ds_timer, &tv);
}

/* The next look-up, or the decision on a certificate fully asked. */
static void
ds_next(struct dirsync *ds)
{
	struct dscert	*c;
	struct dirid	*id;

	while (ds->ds_cur < ds->ds_ncerts) {
		c = &ds->ds_certs[ds->ds_cur];
		if (ds->ds_id < c->dc_nids) {
			id = &c->dc_ids[ds->ds_id];
			if (ds->ds_delta[id->di_kind] != NULL)
				ds_note(ds, idelta_state(ds->ds_delta[
				    id->di_kind], id->di_id), "delta query");
			else if (intune_device_lookup(ds->ds_vd->vd_intune,
			    &ds->ds_dq, id->di_id, ds_looked, ds) == 0)
				return;
			else
				ds_note(ds, IDIR_UNKNOWN, "not asked");
			continue;
		}
		ds_decide(ds, c);
		ds->ds_cur++;
		ds->ds_id = 0;
	}
	ds_finish(ds);
}

/* 1 if some certificate of this run names an object of kind. */
static int
ds_needs(const struct dirsync *ds, int kind)
{
	size_t	 i;
	int	 j;

	for (i = 0; i < ds->ds_ncerts; i++)
		for (j = 0; j < ds->ds_certs[i].dc_nids; j++)
			if (ds->ds_certs[i].dc_ids[j].di_kind == kind)
				return 1;
	return 0;
}

/* Brings the delta copies this run needs up to date, then looks up. */
static void
ds_deltas(struct dirsync *ds)
{
	for (; ds->ds_dk < IDIR__MAX; ds->ds_dk++)
		if (ds->ds_delta[ds->ds_dk] != NULL &&
		    ds_needs(ds, ds->ds_dk) &&
		    idelta_update(ds->ds_delta[ds->ds_dk], ds_updated, ds) == 0)
			return;
	ds_next(ds);
}

static void
ds_updated(void *arg, int ok, const char *msg)
{
	struct dirsync	*ds = arg;

	if (!ok)
		log_warnx("dirsync: %s", msg);
	ds->ds_dk++;
	ds_deltas(ds);
}

static void
ds_step(evutil_socket_t fd, short ev, void *arg)
{
	ds_next(arg);
}

/* Starts a run unless one is under way. */
static void
ds_start(evutil_socket_t fd, short ev, void *arg)
{
	struct dirsync	*ds = arg;

	if (ds->ds_running)
		return;
	ds->ds_running = 1;
	evtimer_del(ds->ds_timer);
	memset(ds->ds_counts, 0, sizeof(ds->ds_counts));
	ds->ds_ncerts = ds->ds_cur = 0;
	ds->ds_id = ds->ds_dk = 0;
	if (ds_load(ds) == -1) {
		log_warnx("dirsync: the signer did not list certificates");
		ds->ds_ncerts = 0;
	}
	ds_deltas(ds);
}

/* IPC_REQ_SYNC from keywardctl: answered when the run ends. */
int
h_sync(void *arg, struct ipc_msg *req, struct ipc_msg *ans)
{
	struct validator	*vd = arg;
	struct dirsync		*ds = vd->vd_dirsync;

	if (ipc_get_end(req) == -1)
		return -1;
	if (ds == NULL) {
		ipc_error(ans, req, IPC_ERR_STATE, "no [intune] section: "
		    "nothing to sync");
		return 0;
	}
	if (ds->ds_nwaiters == WAITERS_MAX) {
		ipc_error(ans, req, IPC_ERR_BUSY, "too many sync requests");
		return 0;
	}
	ds->ds_waiters[ds->ds_nwaiters++] = vd->vd_er;
	ds_start(-1, 0, ds);
	return IPC_LATER;
}

struct dirsync *
dirsync_new(struct validator *vd)
{
	struct dirsync		*ds;
	const struct timeval	 tv = { vd->vd_conf->cf_intune_sync_interval,
	    0 };

	if ((ds = calloc(1, sizeof(*ds))) == NULL ||
	    (ds->ds_timer = evtimer_new(vd->vd_base, ds_start, ds)) == NULL ||
	    (ds->ds_step = evtimer_new(vd->vd_base, ds_step, ds)) == NULL ||
	    (ds->ds_delta[IDIR_ENTRA] = idelta_new(vd->vd_intune,
	    IDIR_ENTRA)) == NULL || (ds->ds_delta[IDIR_USER] =
	    idelta_new(vd->vd_intune, IDIR_USER)) == NULL) {
		dirsync_free(ds);
		return NULL;
	}
	ds->ds_vd = vd;
	if (tv.tv_sec > 0)
		evtimer_add(ds->ds_timer, &tv);
	return ds;
}

/* Ends a run under way without answers; the look-up in flight is
 * dropped with the Intune client, freed after this. */
void
dirsync_free(struct dirsync *ds)
{
	struct ipc_evreq	*er;

	if (ds == NULL)
		return;
	while (ds->ds_nwaiters > 0) {
		er = ds->ds_waiters[--ds->ds_nwaiters];
		ipc_error(&er->er_ans, &er->er_req, IPC_ERR_INTERNAL,
		    "the validator is stopping");
		ipc_evreply(er);
	}
	if (ds->ds_timer != NULL)
		event_free(ds->ds_timer);
	if (ds->ds_step != NULL)
		event_free(ds->ds_step);
	idelta_free(ds->ds_delta[IDIR_ENTRA]);
	idelta_free(ds->ds_delta[IDIR_USER]);
	free(ds->ds_certs);
	free(ds);
}
