/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The DCMTK wrapper's header reader on arbitrary bytes: whole, and as a
 * prefix of a longer (claimed) object, as the scanner calls it; and the
 * document reader (an Encapsulated PDF's PDF, an SR's text) on the same. */
#include <stdint.h>
#include <string.h>

#include "dcm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dcm_info info = { 0 };
	dcm_quiet();
	dcm_read_header(data, size, size, &info);
	if (size > 8)
		dcm_read_header(data, size / 2, size, &info);
	/* a claimed size smaller than the bytes given must not read past it either */
	if (size > 4)
		dcm_read_header(data, size - 4, size - 4, &info);
	dcm_info_release(&info);
	struct dcm_document doc;
	if (dcm_read_document(data, size, size, 64u << 10, &doc) == 0)
		dcm_document_release(&doc);
	return 0;
}
