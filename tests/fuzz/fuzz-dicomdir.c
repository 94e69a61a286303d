/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DICOMDIR record listing on arbitrary bytes. */
#include <stdint.h>
#include <string.h>

#include "dcm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void cb(void *ud, const char *ref, const char *uid)
{
	size_t *n = ud;
	*n += strlen(ref) + (uid ? strlen(uid) : 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = 0;
	dcm_quiet();
	dcm_dicomdir_list(data, size, cb, &n);
	return 0;
}
