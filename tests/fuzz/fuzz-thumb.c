/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The report's pictures: DCMTK rendering a thumbnail of arbitrary bytes
 * (dcm-thumb.cc; in ingestd it runs in the confined child of thumbs.c). */
#include <stdint.h>

#include "dcm-thumb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dcm_thumb_img img;
	char why[200];
	/* a smaller pixel cap than the product's keeps each run fast */
	if (dcm_thumb_render(data, size, 128, 4u << 20, &img, why, sizeof why) == 0)
		dcm_thumb_release(&img);
	return 0;
}
