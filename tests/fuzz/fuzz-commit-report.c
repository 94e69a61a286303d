/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The storage commitment answer (an N-EVENT-REPORT's data set, as a PACS or
 * anyone on the commit port sends it: dimse_report_parse(), our structural
 * walk, then DCMTK) on arbitrary bytes. Its contract: no crash, no leak, no
 * allocation beyond the bytes; 1 only for the transaction asked about, and
 * then each UID named is a string of bounded length; anything else is 0. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dimse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	size_t named;
};

static void on_uid(void *ud, const char *sop, bool committed, unsigned failure)
{
	struct seen *s = ud;
	if (!sop || strlen(sop) > 1024 || failure > 0xFFFF || (committed && failure))
		__builtin_trap();
	s->named++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen s = { 0 };
	int r = dimse_report_parse(data, size, "1.2.826.0.1.3680043.10.1234.1", on_uid, &s);
	if (r != 0 && r != 1 && r != -12)
		__builtin_trap();
	if (r != 1 && s.named)
		__builtin_trap();   /* nothing is said of another transaction's report */
	return 0;
}
