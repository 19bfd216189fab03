/* SPDX-License-Identifier: BSD-3-Clause */
/* One stable spelling of PCI addresses (pure, no DPDK). */
#ifndef VFWD_PCIADDR_H
#define VFWD_PCIADDR_H

#include <stddef.h>

/* If dev starts with a PCI address ("0000:05:0A.1" or "05:0a.1"), write dev
 * with that address as DPDK spells it (lower-case, with domain) to out and
 * return 1; else copy dev and return 0. -1 if out is too small. */
int pciaddr_normalize(const char *dev, char *out, size_t size);

#endif
