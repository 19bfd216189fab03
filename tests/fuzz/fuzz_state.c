/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer on the state file reader (control/state_file.c): any bytes are
 * refused with a reason or read whole; what is read writes back to a text
 * that reads to the same text again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "state_file.h"

static struct state a, b;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256] = "";
	if (state_from_json((const char *)data, size, &a, why, sizeof(why)) < 0) {
		if (why[0] == '\0')
			abort(); /* every refusal says why */
		return 0;
	}
	char *text = state_to_json(&a);
	if (text == NULL)
		abort();
	if (state_from_json(text, strlen(text), &b, why, sizeof(why)) < 0)
		abort(); /* what we write we read */
	char *again = state_to_json(&b);
	if (again == NULL || strcmp(text, again) != 0)
		abort();
	free(text);
	free(again);
	state_free(&a);
	state_free(&b);
	return 0;
}
