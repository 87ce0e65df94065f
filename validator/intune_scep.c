/*
 * intune_scep.c: the intune challenge mode (design.md "Flows", "Intune
 * notifications").  Intune validates every request before anything is
 * signed and is told the outcome.  By default the certificate stays
 * withheld until Intune acknowledges successNotification: a client whose
 * acknowledgement takes longer than REPLY_WAIT_S is told PENDING and gets
 * the certificate by CertPoll once it has been released; one Intune never
 * acknowledges (the module retries until [intune] notification_deadline)
 * is revoked, having never left the CA.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/x509.h>

#include "common.h"
#include "config.h"
#include "intune.h"
#include "ipc.h"
#include "ipcev.h"
#include "validator.h"

#define REPLY_WAIT_S	5	/* then PENDING, and CertPoll */
#define HRESULT_E_FAIL	0x80004005u

/* One request on its way through Intune. */
struct ivreq {
	struct validator	*iv_vd;
	struct ipc_evreq	*iv_er;		/* NULL once answered */
	struct decide_req	 iv_dr;		/* dr_csr_der: iv_csr */
	uint8_t			*iv_csr;
	const char		*iv_profile;
	X509			*iv_cert;
	struct event		*iv_timer;
	struct decision		 iv_dc;
};

static void	iv_answer(struct ivreq *);
static void	iv_finish(struct ivreq *);
static void	txid_known(void *, struct ipc_msg *);
static void	validated(void *, enum intune_result, const char *);
static void	issued(void *);
static void	notified(void *, enum intune_result, const char *);
static void	released(void *, struct ipc_msg *);
static void	revoked(void *, struct ipc_msg *);
static void	notified_late(void *, enum intune_result, const char *);
static void	reply_wait(evutil_socket_t, short, void *);

/* Sends the decision so far, once. */
static void
iv_answer(struct ivreq *iv)
{
	if (iv->iv_er == NULL)
		return;
	decide_reply(&iv->iv_er->er_ans, &iv->iv_dr, &iv->iv_dc);
	ipc_evreply(iv->iv_er);
	iv->iv_er = NULL;
}

static void
iv_finish(struct ivreq *iv)
{
	iv_answer(iv);
	if (iv->iv_timer != NULL)
		event_free(iv->iv_timer);
	X509_free(iv->iv_cert);
	decide_req_free(&iv->iv_dr);
	free(iv->iv_csr);
	free(iv);
}

/* A notification whose outcome changes nothing but the log. */
static void
notified_late(void *arg, enum intune_result res, const char *msg)
{
	if (res == INTUNE_SUCCESS)
		log_info("intune: notification delivered: %s", msg);
	else
		log_warnx("intune: notification not delivered (%s): %s",
		    intune_result_name(res), msg);
}

/* The client has waited long enough: PENDING, then CertPoll. */
static void
reply_wait(evutil_socket_t fd, short ev, void *arg)
{
	struct ivreq	*iv = arg;

	tx_decision(&iv->iv_dc, IPC_TX_WITHHELD, "");
	iv_answer(iv);
}

/* Intune's word on successNotification decides the withheld certificate. */
static void
notified(void *arg, enum intune_result res, const char *msg)
{
	struct ivreq	*iv = arg;
	const char	*serial = iv->iv_dc.dc_serial;

	if (res == INTUNE_SUCCESS) {
		signer_status(iv->iv_vd, IPC_REQ_RELEASE, serial, 0, released,
		    iv);
		return;
	}
	log_warnx("txid %s: Intune never acknowledged %s (%s): %s; "
	    "revoking it", iv->iv_dr.dr_txid, serial,
	    intune_result_name(res), msg);
	signer_status(iv->iv_vd, IPC_REQ_REVOKE, serial, REASON_CESSATION,
	    revoked, iv);
}

static void
released(void *arg, struct ipc_msg *ans)
{
	struct ivreq		*iv = arg;
	struct signer_refusal	 rf;
	struct ipc_cert		 c;
	char			 keep[SERIAL_HEX_MAX];

	snprintf(keep, sizeof(keep), "%s", iv->iv_dc.dc_serial);
	if (signer_cert_answer(ans, &c, &rf) == 0)
		tx_decision(&iv->iv_dc, IPC_TX_ISSUED, keep);
	else
		deny(&iv->iv_dc, "certificate %s not released", keep);
	iv_finish(iv);
}

static void
revoked(void *arg, struct ipc_msg *ans)
{
	struct ivreq		*iv = arg;
	struct signer_refusal	 rf;
	struct ipc_cert		 c;

	if (signer_cert_answer(ans, &c, &rf) != 0)
		log_warnx("txid %s: CERTIFICATE %s STILL WITHHELD: "
		    "revoke it by hand", iv->iv_dr.dr_txid,
		    iv->iv_dc.dc_serial);
	deny(&iv->iv_dc, "Intune did not acknowledge the certificate");
	iv_finish(iv);
}

/* Intune has judged the request: issue, then tell it the outcome. */
static void
validated(void *arg, enum intune_result res, const char *msg)
{
	struct ivreq		*iv = arg;
	struct validator	*vd = iv->iv_vd;
	struct decide_req	*dr = &iv->iv_dr;
	int			 wait = vd->vd_conf->cf_intune_wait_success;
	char			 dir_ids[DIRIDS_STR_MAX];

	if (res != INTUNE_SUCCESS) {
		log_warnx("txid %s: Intune refused or did not answer (%s): %s",
		    dr->dr_txid, intune_result_name(res), msg);
		deny(&iv->iv_dc, "Intune: %s", intune_result_name(res));
		iv_finish(iv);
		return;
	}
	dirids_from_csr(vd->vd_conf, dr->dr_csr, dir_ids, sizeof(dir_ids));
	decide_issue(vd, dr, iv->iv_profile, wait ? IPC_ISSUE_WITHHELD : 0,
	    dir_ids, &iv->iv_cert, &iv->iv_dc, issued, iv);
}

/* The signer's decision, then Intune is told the outcome. */
static void
issued(void *arg)
{
	struct ivreq		*iv = arg;
	struct validator	*vd = iv->iv_vd;
	struct decide_req	*dr = &iv->iv_dr;
	int			 wait = vd->vd_conf->cf_intune_wait_success;
	struct timeval		 tv = { REPLY_WAIT_S, 0 };

	if (iv->iv_dc.dc_status != SCEP_SUCCESS) {
		if (iv->iv_dc.dc_status == SCEP_FAILURE &&
		    intune_notify_failure(vd->vd_intune, dr->dr_txid,
		    dr->dr_csr_der, dr->dr_csr_len, HRESULT_E_FAIL,
		    iv->iv_dc.dc_reason, notified_late, NULL) == -1)
			log_warnx("txid %s: failureNotification not sent",
			    dr->dr_txid);
		iv_finish(iv);
		return;
	}
	if (!wait) {
		iv_answer(iv);
		if (intune_notify_success(vd->vd_intune, dr->dr_txid,
		    dr->dr_csr_der, dr->dr_csr_len, iv->iv_cert,
		    notified_late, NULL) == -1)
			log_warnx("txid %s: successNotification not sent",
			    dr->dr_txid);
		iv_finish(iv);
		return;
	}
	if (intune_notify_success(vd->vd_intune, dr->dr_txid,
	    dr->dr_csr_der, dr->dr_csr_len, iv->iv_cert, notified, iv) == -1) {
		notified(iv, INTUNE_ERR_INTERNAL, "not sent");
		return;
	}
	if ((iv->iv_timer = evtimer_new(vd->vd_base, reply_wait, iv)) !=
	    NULL)
		evtimer_add(iv->iv_timer, &tv);
}

/* A resend while Intune is being asked, or after: no second ask. */
static void
txid_known(void *arg, struct ipc_msg *ans)
{
	struct ivreq	*iv = arg;
	char		 serial[SERIAL_HEX_MAX];
	int		 st;

	if ((st = signer_tx_answer(ans, IPC_REQ_TXID, serial)) !=
	    IPC_TX_NONE) {
		tx_decision(&iv->iv_dc, st, serial);
		iv_finish(iv);
		return;
	}
	if (intune_validate(iv->iv_vd->vd_intune, iv->iv_dr.dr_txid,
	    iv->iv_csr, iv->iv_dr.dr_csr_len, validated, iv) == -1) {
		deny(&iv->iv_dc, "Intune could not be asked");
		iv_finish(iv);
	}
}

int
intune_decide(struct validator *vd, struct decide_req *dr,
    struct decision *dc)
{
	struct ivreq	*iv;

	if ((iv = calloc(1, sizeof(*iv))) == NULL ||
	    (iv->iv_csr = malloc(dr->dr_csr_len)) == NULL) {
		free(iv);
		return deny(dc, "out of memory");
	}
	iv->iv_vd = vd;
	iv->iv_er = vd->vd_er;
	iv->iv_dr = *dr;
	memset(dr, 0, sizeof(*dr));		/* ours now */
	memcpy(iv->iv_csr, iv->iv_dr.dr_csr_der, iv->iv_dr.dr_csr_len);
	iv->iv_dr.dr_csr_der = iv->iv_csr;	/* outlives the request */
	iv->iv_profile = decide_profile(vd->vd_conf->cf_scep_profile[
	    iv->iv_dr.dr_endpoint], iv->iv_dr.dr_csr);
	signer_txid(vd, iv->iv_dr.dr_txid, txid_known, iv);
	return IPC_LATER;
}
