/*
 * testcert.h: certificates made for unit tests.
 */
#ifndef KEYWARD_TESTCERT_H
#define KEYWARD_TESTCERT_H

#include <openssl/x509.h>

X509	*tc_cert(const char *cn, EVP_PKEY *pub, X509 *issuer,
	    EVP_PKEY *signer, long serial, const char *san);
/* x parsed again from its DER the keyless way (keyless.h), no key. */
X509	*tc_keyless(X509 *x);

#endif
