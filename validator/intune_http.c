/*
 * intune_http.c: HTTPS exchanges for the Intune client on libcurl's multi
 * interface, driven by libevent: curl tells us which sockets to watch and
 * when to wake it, and we call curl_multi_socket_action on each event.
 * One multi handle keeps the connections to Entra ID, Graph and Intune
 * open between calls.  TLS is always verified; a failed attempt is tried
 * again with backoff (or after Retry-After) while the call's attempts and
 * deadline allow.
 */
#include <sys/queue.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "common.h"
#include "config.h"
#include "intune.h"

#define RESP_MAX	(1024 * 1024)	/* no reply we read is larger */
#define BACKOFF_MS	1000		/* first retry; doubles each time */
#define BACKOFF_MAX_MS	(5 * 60 * 1000)
#define CONN_MAX	16		/* open connections, all hosts */

struct ihttp_req {
	TAILQ_ENTRY(ihttp_req)	 rq_entry;
	struct ihttp		*rq_hp;
	CURL			*rq_easy;
	struct curl_slist	*rq_fixed;	/* headers of every attempt */
	struct curl_slist	*rq_hdrs;	/* those and the request id */
	char			*rq_url;
	char			*rq_body;	/* may hold a secret */
	char			*rq_resp;
	size_t			 rq_resplen;
	char			 rq_reqid[37];
	char			 rq_err[CURL_ERROR_SIZE];
	struct event		*rq_retry;
	int			 rq_tries;
	int			 rq_max;	/* 0: until the deadline */
	int64_t			 rq_deadline;
	ihttp_cb		*rq_cb;
	void			*rq_arg;
};

struct ihttp {
	struct event_base	*hp_base;
	const struct conf	*hp_conf;
	CURLM			*hp_multi;
	struct event		*hp_timer;
	char			*hp_login;	/* proxy USER:PASSWORD */
	TAILQ_HEAD(, ihttp_req)	 hp_reqs;
};

static void	collect(struct ihttp *);
static int	hdr_add(struct ihttp_req *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Frees a header list after wiping it: it may hold a bearer token. */
static void
slist_wipe(struct curl_slist *l)
{
	struct curl_slist	*p;

	for (p = l; p != NULL; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

static void
req_free(struct ihttp_req *rq)
{
	if (rq->rq_easy != NULL)
		curl_easy_cleanup(rq->rq_easy);
	slist_wipe(rq->rq_fixed);
	slist_wipe(rq->rq_hdrs);
	intune_wipe(rq->rq_body);
	free(rq->rq_url);
	intune_wipe(rq->rq_resp);	/* may hold an access token */
	if (rq->rq_retry != NULL)
		event_free(rq->rq_retry);
	free(rq);
}

/* Watches a socket for curl, or stops watching it. */
static void
sock_event(evutil_socket_t fd, short what, void *arg)
{
	struct ihttp	*hp = arg;
	int		 flags = 0, running;

	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(hp->hp_multi, fd, flags, &running);
	collect(hp);
}

static int
sock_cb(CURL *easy, curl_socket_t s, int what, void *arg, void *sockp)
{
	struct ihttp	*hp = arg;
	struct event	*ev = sockp;
	short		 kind = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (ev != NULL)
			event_free(ev);
		curl_multi_assign(hp->hp_multi, s, NULL);
		return 0;
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (ev == NULL) {
		if ((ev = event_new(hp->hp_base, s, kind, sock_event, hp)) ==
		    NULL)
			return -1;
		curl_multi_assign(hp->hp_multi, s, ev);
	} else {
		event_del(ev);
		event_assign(ev, hp->hp_base, s, kind, sock_event, hp);
	}
	return event_add(ev, NULL);
}

/* curl's one timer: when it wants to be called without socket activity. */
static void
timer_event(evutil_socket_t fd, short what, void *arg)
{
	struct ihttp	*hp = arg;
	int		 running;

	curl_multi_socket_action(hp->hp_multi, CURL_SOCKET_TIMEOUT, 0,
	    &running);
	collect(hp);
}

static int
timer_cb(CURLM *multi, long ms, void *arg)
{
	struct ihttp	*hp = arg;
	struct timeval	 tv;

	if (ms < 0)
		return evtimer_del(hp->hp_timer);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return evtimer_add(hp->hp_timer, &tv);
}

static size_t
body_write(char *data, size_t size, size_t n, void *arg)
{
	struct ihttp_req	*rq = arg;
	size_t			 len = size * n;
	char			*p;

	if (len > RESP_MAX - rq->rq_resplen)
		return 0;
	if ((p = realloc(rq->rq_resp, rq->rq_resplen + len + 1)) == NULL)
		return 0;
	memcpy(p + rq->rq_resplen, data, len);
	rq->rq_resplen += len;
	p[rq->rq_resplen] = '\0';
	rq->rq_resp = p;
	return len;
}

/* Starts one attempt with a fresh client-request-id; -1 if it cannot. */
static int
attempt_start(struct ihttp_req *rq)
{
	struct curl_slist	*p, *l = NULL;
	char			 line[64];
	int64_t			 left = rq->rq_deadline - mono_ms();
	long			 tmo = rq->rq_hp->hp_conf->cf_intune_request_timeout *
				    1000L;

	if (left <= 0)
		return -1;
	intune_uuid(rq->rq_reqid);
	snprintf(line, sizeof(line), "client-request-id: %s", rq->rq_reqid);
	for (p = rq->rq_fixed; p != NULL; p = p->next)
		if ((l = curl_slist_append(l, p->data)) == NULL)
			return -1;
	if ((l = curl_slist_append(l, line)) == NULL)
		return -1;
	slist_wipe(rq->rq_hdrs);
	rq->rq_hdrs = l;
	intune_wipe(rq->rq_resp);
	rq->rq_resp = NULL;
	rq->rq_resplen = 0;
	rq->rq_err[0] = '\0';
	rq->rq_tries++;
	curl_easy_setopt(rq->rq_easy, CURLOPT_HTTPHEADER, l);
	curl_easy_setopt(rq->rq_easy, CURLOPT_TIMEOUT_MS,
	    left < tmo ? (long)left : tmo);
	if (curl_multi_add_handle(rq->rq_hp->hp_multi, rq->rq_easy) !=
	    CURLM_OK)
		return -1;
	return 0;
}

/* Hands the last attempt's outcome to the caller and ends the request. */
static void
deliver(struct ihttp_req *rq, CURLcode cc, long status, int throttled)
{
	struct ihttp_res	 res;

	memset(&res, 0, sizeof(res));
	res.hr_status = cc == CURLE_OK ? status : 0;
	res.hr_transport = cc != CURLE_OK;
	res.hr_throttled = throttled;
	res.hr_body = rq->rq_resp != NULL ? rq->rq_resp : "";
	res.hr_len = rq->rq_resplen;
	res.hr_error = cc == CURLE_OK ? "" : rq->rq_err[0] != '\0' ?
	    rq->rq_err : curl_easy_strerror(cc);
	res.hr_reqid = rq->rq_reqid;
	TAILQ_REMOVE(&rq->rq_hp->hp_reqs, rq, rq_entry);
	rq->rq_cb(rq->rq_arg, &res);
	req_free(rq);
}

static void
retry_event(evutil_socket_t fd, short what, void *arg)
{
	struct ihttp_req	*rq = arg;

	if (attempt_start(rq) == -1)
		deliver(rq, CURLE_OPERATION_TIMEDOUT, 0, 0);
}

/* Failures that another attempt may cure; TLS verification is not one. */
static int
retryable(CURLcode cc, long status)
{
	switch (cc) {
	case CURLE_OK:
		return status == 429 || status >= 500;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

/* One attempt ended: try again if allowed and in time, else deliver. */
static void
attempt_done(struct ihttp_req *rq, CURLcode cc)
{
	struct timeval	 tv;
	curl_off_t	 after = 0;
	int64_t		 delay;
	long		 status = 0;
	int		 wait;

	curl_multi_remove_handle(rq->rq_hp->hp_multi, rq->rq_easy);
	if (cc == CURLE_OK)
		curl_easy_getinfo(rq->rq_easy, CURLINFO_RESPONSE_CODE, &status);
	wait = cc == CURLE_OK && (status == 429 || status == 503);
	if (!retryable(cc, status) ||
	    (rq->rq_max != 0 && rq->rq_tries >= rq->rq_max)) {
		deliver(rq, cc, status, 0);
		return;
	}
	delay = (int64_t)BACKOFF_MS << (rq->rq_tries < 9 ? rq->rq_tries - 1 : 8);
	if (delay > BACKOFF_MAX_MS)
		delay = BACKOFF_MAX_MS;
	if (wait && curl_easy_getinfo(rq->rq_easy, CURLINFO_RETRY_AFTER,
	    &after) == CURLE_OK && after > 0)
		delay = after < 7 * 86400 ? (int64_t)after * 1000 : INT32_MAX;
	if (mono_ms() + delay >= rq->rq_deadline) {
		deliver(rq, cc, status, wait);
		return;
	}
	log_info("intune: %s: %s; attempt %d in %lld ms", rq->rq_url,
	    cc != CURLE_OK ? (rq->rq_err[0] != '\0' ? rq->rq_err :
	    curl_easy_strerror(cc)) : wait ? "throttled" : "server error",
	    rq->rq_tries + 1, (long long)delay);
	tv.tv_sec = delay / 1000;
	tv.tv_usec = (delay % 1000) * 1000;
	evtimer_add(rq->rq_retry, &tv);
}

/* Takes the finished transfers out of the multi handle. */
static void
collect(struct ihttp *hp)
{
	struct ihttp_req	*rq;
	CURLMsg			*msg;
	int			 left;

	while ((msg = curl_multi_info_read(hp->hp_multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &rq);
		attempt_done(rq, msg->data.result);
	}
}

/* The options every attempt of a request shares. */
static int
easy_setup(struct ihttp *hp, struct ihttp_req *rq, const char *body)
{
	const struct conf	*cf = hp->hp_conf;
	CURL			*e = rq->rq_easy;
	int			 bad = 0;

	bad |= curl_easy_setopt(e, CURLOPT_URL, rq->rq_url);
	bad |= curl_easy_setopt(e, CURLOPT_PRIVATE, rq);
	bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, body_write);
	bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, rq);
	bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, rq->rq_err);
	bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	bad |= curl_easy_setopt(e, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
	if (cf->cf_intune_ca_bundle != NULL)
		bad |= curl_easy_setopt(e, CURLOPT_CAINFO,
		    cf->cf_intune_ca_bundle);
	bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	    cf->cf_intune_connect_timeout * 1000L);
	bad |= curl_easy_setopt(e, CURLOPT_USERAGENT, cf->cf_intune_provider);
	/* "" also keeps curl from taking a proxy from the environment. */
	bad |= curl_easy_setopt(e, CURLOPT_PROXY, cf->cf_intune_proxy != NULL ?
	    cf->cf_intune_proxy : "");
	if (hp->hp_login != NULL) {
		bad |= curl_easy_setopt(e, CURLOPT_PROXYUSERPWD, hp->hp_login);
		bad |= curl_easy_setopt(e, CURLOPT_PROXYAUTH, CURLAUTH_BASIC);
	}
	if (body != NULL) {
		bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, rq->rq_body);
		bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE,
		    (long)strlen(rq->rq_body));
	}
	return bad ? -1 : 0;
}

/* Appends one header line to those of every attempt; wipes the copy. */
static int
hdr_add(struct ihttp_req *rq, const char *fmt, ...)
{
	struct curl_slist	*l = NULL;
	char			 line[4096];
	va_list			 ap;
	int			 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(line))
		l = curl_slist_append(rq->rq_fixed, line);
	explicit_bzero(line, sizeof(line));
	if (l == NULL)
		return -1;
	rq->rq_fixed = l;
	return 0;
}

/* Intune's calls also carry its api-version and its UserAgent spelling. */
static int
fixed_headers(struct ihttp_req *rq, const struct ihttp_call *hc,
    const char *agent)
{
	if (hdr_add(rq, "Accept: application/json") == -1 ||
	    (hc->hc_json != NULL && hdr_add(rq, "Content-Type: "
	    "application/json; charset=utf-8") == -1) ||
	    (hc->hc_form != NULL && hdr_add(rq, "Content-Type: "
	    "application/x-www-form-urlencoded") == -1) ||
	    (hc->hc_api_version != NULL &&
	    (hdr_add(rq, "api-version: %s", hc->hc_api_version) == -1 ||
	    hdr_add(rq, "UserAgent: %s", agent) == -1)) ||
	    (hc->hc_bearer != NULL &&
	    hdr_add(rq, "Authorization: Bearer %s", hc->hc_bearer) == -1))
		return -1;
	return 0;
}

int
ihttp_start(struct ihttp *hp, const struct ihttp_call *hc, ihttp_cb *cb,
    void *arg)
{
	struct ihttp_req	*rq;
	const char		*body = hc->hc_json != NULL ? hc->hc_json :
				    hc->hc_form;

	if ((rq = calloc(1, sizeof(*rq))) == NULL) {
		log_warn("calloc");
		return -1;
	}
	rq->rq_hp = hp;
	rq->rq_cb = cb;
	rq->rq_arg = arg;
	rq->rq_max = hc->hc_attempts;
	rq->rq_deadline = mono_ms() + hc->hc_deadline_s * 1000LL;
	if ((rq->rq_url = strdup(hc->hc_url)) == NULL ||
	    (body != NULL && (rq->rq_body = strdup(body)) == NULL) ||
	    (rq->rq_easy = curl_easy_init()) == NULL ||
	    (rq->rq_retry = evtimer_new(hp->hp_base, retry_event, rq)) ==
	    NULL || fixed_headers(rq, hc, hp->hp_conf->cf_intune_provider) ==
	    -1 || easy_setup(hp, rq, body) == -1 || attempt_start(rq) == -1) {
		log_warnx("intune: cannot start a request to %s", hc->hc_url);
		req_free(rq);
		return -1;
	}
	TAILQ_INSERT_TAIL(&hp->hp_reqs, rq, rq_entry);
	return 0;
}

struct ihttp *
ihttp_new(struct event_base *base, const struct conf *cf,
    const char *login)
{
	struct ihttp	*hp;

	if ((hp = calloc(1, sizeof(*hp))) == NULL) {
		log_warn("calloc");
		return NULL;
	}
	hp->hp_base = base;
	hp->hp_conf = cf;
	TAILQ_INIT(&hp->hp_reqs);
	if ((login != NULL && (hp->hp_login = strdup(login)) == NULL) ||
	    (hp->hp_timer = evtimer_new(base, timer_event, hp)) == NULL ||
	    (hp->hp_multi = curl_multi_init()) == NULL) {
		log_warnx("intune: cannot set up HTTP");
		ihttp_free(hp);
		return NULL;
	}
	curl_multi_setopt(hp->hp_multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(hp->hp_multi, CURLMOPT_SOCKETDATA, hp);
	curl_multi_setopt(hp->hp_multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(hp->hp_multi, CURLMOPT_TIMERDATA, hp);
	curl_multi_setopt(hp->hp_multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
	    (long)CONN_MAX);
	return hp;
}

/* Drops every request without its callback. */
void
ihttp_free(struct ihttp *hp)
{
	struct ihttp_req	*rq;

	if (hp == NULL)
		return;
	while ((rq = TAILQ_FIRST(&hp->hp_reqs)) != NULL) {
		TAILQ_REMOVE(&hp->hp_reqs, rq, rq_entry);
		curl_multi_remove_handle(hp->hp_multi, rq->rq_easy);
		req_free(rq);
	}
	if (hp->hp_multi != NULL)
		curl_multi_cleanup(hp->hp_multi);
	if (hp->hp_timer != NULL)
		event_free(hp->hp_timer);
	intune_wipe(hp->hp_login);
	free(hp);
}

/* The outcome of an exchange without a usable answer, for the log. */
enum intune_result
ihttp_fail(const struct ihttp_res *res, const char *what, char *msg,
    size_t msgsz)
{
	char	 body[128];

	if (res->hr_transport) {
		snprintf(msg, msgsz, "%s: %s (client-request-id %s)", what,
		    res->hr_error, res->hr_reqid);
		return INTUNE_ERR_TRANSPORT;
	}
	intune_clean(body, sizeof(body), res->hr_body, res->hr_len);
	snprintf(msg, msgsz, "%s: HTTP %ld%s: %s (client-request-id %s)",
	    what, res->hr_status, res->hr_throttled ? ", throttled beyond the "
	    "deadline" : "", body, res->hr_reqid);
	return res->hr_throttled ? INTUNE_ERR_THROTTLED : INTUNE_ERR_HTTP;
}
