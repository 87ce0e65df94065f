/*
 * serial.c: certificate serial numbers as operators type and read them.
 */
#include <ctype.h>
#include <string.h>

#include <openssl/x509.h>

#include "common.h"

int
serial_normalize(const char *in, char *out, size_t outsz)
{
	size_t	 n = 0;

	if (in[0] == '0' && (in[1] == 'x' || in[1] == 'X'))
		in += 2;
	for (; *in != '\0'; in++) {
		if (*in == ':')
			continue;
		if (!isxdigit((unsigned char)*in) || n + 1 >= outsz)
			return -1;
		out[n++] = (char)toupper((unsigned char)*in);
	}
	if (n == 0)
		return -1;
	out[n] = '\0';
	return 0;
}

void
serial_hex(const uint8_t *bin, size_t len, char *out, size_t outsz)
{
	static const char	 hex[] = "0123456789ABCDEF";
	size_t			 i;

	for (i = 0; i < len && 2 * i + 2 < outsz; i++) {
		out[2 * i] = hex[bin[i] >> 4];
		out[2 * i + 1] = hex[bin[i] & 0xf];
	}
	out[2 * i] = '\0';
}

/* Upper-case hex of the serial's octets; refuses negative or overlong. */
int
serial_of_asn1(const ASN1_INTEGER *ai, char out[SERIAL_HEX_MAX])
{
	int	 len = ai == NULL ? 0 : ASN1_STRING_length(ai);

	if (len < 1 || ASN1_STRING_type(ai) != V_ASN1_INTEGER ||
	    len > SERIAL_MAX)
		return -1;
	serial_hex(ASN1_STRING_get0_data(ai), (size_t)len, out,
	    SERIAL_HEX_MAX);
	return 0;
}

int
serial_of_cert(const X509 *x, char out[SERIAL_HEX_MAX])
{
	return serial_of_asn1(X509_get0_serialNumber(x), out);
}
