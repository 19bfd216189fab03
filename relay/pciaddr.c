/* SPDX-License-Identifier: BSD-3-Clause */
#include "pciaddr.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* n hex digits exactly, stopping at stop; advances *p */
static int hex_field(const char **p, int n_min, int n_max, char stop, unsigned *v)
{
	const char *s = *p;
	int n = 0;
	*v = 0;
	while (isxdigit((unsigned char)s[n]) && n < n_max) {
		*v = *v * 16 + (unsigned)(isdigit((unsigned char)s[n]) ? s[n] - '0' :
									 tolower(s[n]) - 'a' + 10);
		n++;
	}
	if (n < n_min || s[n] != stop)
		return -1;
	*p = s + n + (stop != '\0');
	return 0;
}

int pciaddr_normalize(const char *dev, char *out, size_t size)
{
	unsigned dom = 0, bus, slot, fn;
	const char *p = dev;
	const char *colon2 = strchr(dev, ':') ? strchr(strchr(dev, ':') + 1, ':') : NULL;
	const char *end = strpbrk(dev, ",");
	int is_pci = 1;

	if (colon2 != NULL && (end == NULL || colon2 < end)) {
		if (hex_field(&p, 4, 4, ':', &dom) < 0)
			is_pci = 0;
	}
	if (is_pci && (hex_field(&p, 2, 2, ':', &bus) < 0 || hex_field(&p, 2, 2, '.', &slot) < 0 ||
			      slot > 0x1f || !isdigit((unsigned char)*p) || *p > '7'))
		is_pci = 0;
	if (is_pci) {
		fn = (unsigned)(*p - '0');
		p++;
		if (*p != '\0' && *p != ',')
			is_pci = 0;
	}
	int n = is_pci ? snprintf(out, size, "%04x:%02x:%02x.%x%s", dom, bus, slot, fn, p) :
			 snprintf(out, size, "%s", dev);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return is_pci;
}
