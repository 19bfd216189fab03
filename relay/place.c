/* SPDX-License-Identifier: BSD-3-Clause */
#include "place.h"

#include <stdbool.h>

int place_pick(const struct place_worker *w, unsigned n, int numa)
{
	bool node_has_worker = false;
	for (unsigned i = 0; i < n && numa >= 0; i++)
		node_has_worker |= w[i].numa == numa;
	int best = -1;
	for (unsigned i = 0; i < n; i++) {
		if (node_has_worker && w[i].numa != numa)
			continue;
		if (best < 0 || w[i].score < w[best].score ||
			(w[i].score == w[best].score && w[i].cpu < w[best].cpu))
			best = (int)i;
	}
	return best;
}
