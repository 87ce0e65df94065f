/*
 * getcrl.c: a SCEP GetCRL client for crl.sh, since neither strongSwan's
 * pki nor certmonger sends one (RFC 8894 3.3.4): messageType 22 with an
 * IssuerAndSerialNumber, enveloped to the RA and signed with a
 * self-signed certificate; then the CertRep read back.
 *
 * usage: getcrl request RA.der CA.pem KEY.pem CERT.pem OUT.der
 *        getcrl reply REPLY.der KEY.pem CERT.pem CRL.der
 * "reply" prints the pkiStatus (and failInfo) and writes the CRL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#define OID_MESSAGE_TYPE	"2.16.840.1.113733.1.9.2"
#define OID_PKI_STATUS		"2.16.840.1.113733.1.9.3"
#define OID_FAIL_INFO		"2.16.840.1.113733.1.9.4"
#define OID_SENDER_NONCE	"2.16.840.1.113733.1.9.5"
#define OID_TRANSACTION_ID	"2.16.840.1.113733.1.9.7"

static void
die(const char *what)
{
	fprintf(stderr, "getcrl: %s\n", what);
	exit(1);
}

static void *
pem_file(const char *path, int key)
{
	FILE	*f;
	void	*v;

	if ((f = fopen(path, "r")) == NULL)
		die(path);
	v = key ? (void *)PEM_read_PrivateKey(f, NULL, NULL, NULL) :
	    (void *)PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (v == NULL)
		die(path);
	return v;
}

static BIO *
file_bio(const char *path, const char *mode)
{
	BIO	*b;

	if ((b = BIO_new_file(path, mode)) == NULL)
		die(path);
	return b;
}

static void
attr(CMS_SignerInfo *si, const char *oid, int type, const void *v, int len)
{
	ASN1_OBJECT	*o = OBJ_txt2obj(oid, 1);

	if (o == NULL || CMS_signed_add1_attr_by_OBJ(si, o, type, v,
	    len) != 1)
		die("attribute");
	ASN1_OBJECT_free(o);
}

/* GetCRL for the CA's CRL: serial 1 of the CA's name. */
static void
request(char **av)
{
	PKCS7_ISSUER_AND_SERIAL	*ias;
	STACK_OF(X509)		*ra = sk_X509_new_null();
	CMS_ContentInfo		*env, *cms;
	CMS_SignerInfo		*si;
	X509			*ca = pem_file(av[1], 0), *cert;
	EVP_PKEY		*key = pem_file(av[2], 1);
	BIO			*in, *mem = BIO_new(BIO_s_mem()), *out;
	uint8_t			*der = NULL, nonce[16];
	int			 len;

	cert = pem_file(av[3], 0);
	in = file_bio(av[0], "rb");
	if (!sk_X509_push(ra, d2i_X509_bio(in, NULL)))
		die("RA certificate");
	BIO_free(in);
	ias = PKCS7_ISSUER_AND_SERIAL_new();
	X509_NAME_set(&ias->issuer, X509_get_subject_name(ca));
	ASN1_INTEGER_set(ias->serial, 1);
	if ((len = i2d_PKCS7_ISSUER_AND_SERIAL(ias, &der)) <= 0 ||
	    BIO_write(mem, der, len) != len ||
	    (env = CMS_encrypt(ra, mem, EVP_aes_128_cbc(), CMS_BINARY)) ==
	    NULL)
		die("envelope");
	BIO_free(mem);
	mem = BIO_new(BIO_s_mem());
	i2d_CMS_bio(mem, env);
	if ((cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL |
	    CMS_BINARY)) == NULL || (si = CMS_add1_signer(cms, cert, key,
	    EVP_sha256(), CMS_PARTIAL | CMS_BINARY)) == NULL)
		die("signer");
	RAND_bytes(nonce, sizeof(nonce));
	attr(si, OID_MESSAGE_TYPE, V_ASN1_PRINTABLESTRING, "22", 2);
	attr(si, OID_TRANSACTION_ID, V_ASN1_PRINTABLESTRING, "GETCRL1", 7);
	attr(si, OID_SENDER_NONCE, V_ASN1_OCTET_STRING, nonce, 16);
	if (CMS_final(cms, mem, NULL, CMS_BINARY) != 1)
		die("sign");
	out = file_bio(av[4], "wb");
	if (i2d_CMS_bio(out, cms) != 1)
		die(av[4]);
	BIO_free(out);
}

/* Prints a PrintableString attribute's value, if there is one. */
static void
print_attr(CMS_SignerInfo *si, const char *oid, const char *label)
{
	ASN1_OBJECT	*o = OBJ_txt2obj(oid, 1);
	ASN1_STRING	*s;

	s = CMS_signed_get0_data_by_OBJ(si, o, -3, V_ASN1_PRINTABLESTRING);
	if (s != NULL)
		printf("%s %.*s\n", label, ASN1_STRING_length(s),
		    (const char *)ASN1_STRING_get0_data(s));
	ASN1_OBJECT_free(o);
}

static void
reply(char **av)
{
	CMS_ContentInfo	*cms, *env;
	EVP_PKEY	*key = pem_file(av[1], 1);
	X509		*cert = pem_file(av[2], 0);
	BIO		*in = file_bio(av[0], "rb");
	BIO		*content = BIO_new(BIO_s_mem());
	BIO		*plain = BIO_new(BIO_s_mem()), *out;
	PKCS7		*p7;

	/* FAILURE and PENDING sign empty detached content (RFC 8894 3.3.2). */
	if ((cms = d2i_CMS_bio(in, NULL)) == NULL ||
	    CMS_verify(cms, NULL, NULL, CMS_is_detached(cms) ?
	    BIO_new_mem_buf("", 0) : NULL, content,
	    CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1)
		die("CertRep does not verify");
	print_attr(sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0),
	    OID_PKI_STATUS, "pkiStatus");
	print_attr(sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0),
	    OID_FAIL_INFO, "failInfo");
	if ((env = d2i_CMS_bio(content, NULL)) == NULL)
		return;
	if (CMS_decrypt(env, key, cert, NULL, plain, CMS_BINARY) != 1 ||
	    (p7 = d2i_PKCS7_bio(plain, NULL)) == NULL ||
	    !PKCS7_type_is_signed(p7) ||
	    sk_X509_CRL_num(p7->d.sign->crl) != 1)
		die("no CRL in the reply");
	out = file_bio(av[3], "wb");
	if (i2d_X509_CRL_bio(out, sk_X509_CRL_value(p7->d.sign->crl, 0)) != 1)
		die(av[3]);
	BIO_free(out);
}

int
main(int argc, char *argv[])
{
	if (argc == 7 && strcmp(argv[1], "request") == 0)
		request(argv + 2);
	else if (argc == 6 && strcmp(argv[1], "reply") == 0)
		reply(argv + 2);
	else {
		fprintf(stderr, "usage: getcrl request RA.der CA.pem KEY.pem "
		    "CERT.pem OUT.der | reply REPLY.der KEY.pem CERT.pem "
		    "CRL.der\n");
		return 2;
	}
	return 0;
}
