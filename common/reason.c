/*
 * reason.c: RFC 5280 CRLReason names (the same numbers as OCSP uses).
 */
#include <strings.h>

#include "common.h"

static const char *const reasons[REASON_MAX + 1] = {
	"unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
	"superseded", "cessationOfOperation", "certificateHold", NULL,
	"removeFromCRL", "privilegeWithdrawn", "aACompromise",
};

int
reason_parse(const char *name)
{
	int	 i;

	for (i = 0; i <= REASON_MAX; i++)
		if (reasons[i] != NULL && strcasecmp(name, reasons[i]) == 0)
			return i;
	return -1;
}

const char *
reason_name(int reason)
{
	if (reason < 0 || reason > REASON_MAX)
		return NULL;
	return reasons[reason];
}
