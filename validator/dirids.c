/*
 * dirids.c: the directory objects a certificate is bound to, as the
 * ledger's dir_ids column keeps them: "intune:ID entra:ID user:ID", each
 * part optional, each ID a GUID (spec/intune.md section 11).  Only
 * immutable ids are kept, never a UPN, so a renamed object stays bound.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common.h"
#include "config.h"
#include "intune.h"
#include "validator.h"

#define URI_SCHEME	"IntuneDeviceId://"	/* compared without case */

static const char *const kind_tags[IDIR__MAX] = {
	[IDIR_ENTRA] = "entra", [IDIR_INTUNE] = "intune", [IDIR_USER] = "user",
};

/* 1 if s (len bytes) is a GUID: 8-4-4-4-12 hexadecimal digits. */
static int
dirids_guid(const char *s, size_t len)
{
	size_t	 i;

	if (len != DIRID_LEN)
		return 0;
	for (i = 0; i < len; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-' :
		    !isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Appends kind:id to out unless it is there already or not a GUID. */
static void
dirids_add(char *out, size_t outsz, enum intune_dir_kind kind,
    const char *id, size_t len)
{
	char	 part[DIRID_LEN + 16];
	size_t	 used = strlen(out);

	if (!dirids_guid(id, len))
		return;
	snprintf(part, sizeof(part), "%s:%.*s", kind_tags[kind], (int)len, id);
	if (strstr(out, part) == NULL)
		snprintf(out + used, outsz - used, "%s%s", used ? " " : "",
		    part);
}

/* The Intune device id of a SAN URI IntuneDeviceId://ID, if any. */
static void
dirids_san(X509_REQ *csr, char *out, size_t outsz)
{
	STACK_OF(X509_EXTENSION) *exts;
	GENERAL_NAMES		*gens;
	const GENERAL_NAME	*g;
	const char		*u;
	int			 i, n;

	if ((exts = X509_REQ_get_extensions(csr)) == NULL)
		return;
	gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type != GEN_URI)
			continue;
		u = (const char *)ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
		n = ASN1_STRING_length(g->d.uniformResourceIdentifier);
		if (n > (int)strlen(URI_SCHEME) &&
		    strncasecmp(u, URI_SCHEME, strlen(URI_SCHEME)) == 0)
			dirids_add(out, outsz, IDIR_INTUNE, u +
			    strlen(URI_SCHEME), n - strlen(URI_SCHEME));
	}
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
}

/*
 * The dir_ids of an Intune request: the SAN URI's Intune device id, and
 * a GUID CN as [intune] cn_binding says.  "" if the CSR names none.
 */
void
dirids_from_csr(const struct conf *cf, X509_REQ *csr, char *out,
    size_t outsz)
{
	X509_NAME	*name = X509_REQ_get_subject_name(csr);
	ASN1_STRING	*cn;
	int		 i;

	out[0] = '\0';
	dirids_san(csr, out, outsz);
	if (cf->cf_intune_cn_binding == INTUNE_CN_NONE ||
	    (i = X509_NAME_get_index_by_NID(name, NID_commonName, -1)) < 0)
		return;
	cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	dirids_add(out, outsz, cf->cf_intune_cn_binding == INTUNE_CN_ENTRA ?
	    IDIR_ENTRA : IDIR_INTUNE, (const char *)ASN1_STRING_get0_data(cn),
	    (size_t)ASN1_STRING_length(cn));
}

/* Splits a dir_ids value into ids[]: how many, or -1 if malformed. */
int
dirids_parse(const char *s, struct dirid ids[DIRIDS_MAX])
{
	const char	*p, *colon;
	size_t		 len;
	int		 n = 0, k;

	for (p = s; *p != '\0'; p += len + (p[len] == ' ')) {
		len = strcspn(p, " ");
		if ((colon = memchr(p, ':', len)) == NULL || n == DIRIDS_MAX)
			return -1;
		for (k = 0; k < IDIR__MAX; k++)
			if (strlen(kind_tags[k]) == (size_t)(colon - p) &&
			    strncmp(p, kind_tags[k], colon - p) == 0)
				break;
		if (k == IDIR__MAX || !dirids_guid(colon + 1,
		    len - (colon + 1 - p)))
			return -1;
		ids[n].di_kind = k;
		memcpy(ids[n].di_id, colon + 1, DIRID_LEN);
		ids[n++].di_id[DIRID_LEN] = '\0';
	}
	return n;
}
