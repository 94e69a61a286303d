/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The DCMTK wrapper for pictures: one frame of a DICOM image, windowed and
 * scaled down to a thumbnail, as 8-bit pixels (dcm-thumb.cc, dcmimage). C
 * header: no C++ type or exception crosses it. Run it only in the confined
 * thumbnail child (thumbs.c): it decodes untrusted pixel data.
 */
#ifndef INGEST_DCM_THUMB_H
#define INGEST_DCM_THUMB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct dcm_thumb_img {
	uint8_t *pixels;        /* malloc'd: width * height * channels bytes, rows top down */
	unsigned width, height;
	unsigned channels;      /* 1 (grey) or 3 (RGB) */
	char window[48];        /* how it was windowed, in words: "its own window", "min-max" */
};

/*
 * Renders the middle frame of the DICOM object held whole in buf/len (a
 * PS3.10 file or a bare data set) into *out, no side longer than max_side.
 * Monochrome images use the object's own first VOI window (center/width) or
 * VOI LUT when it has one, else a histogram window (the 1st to 99th
 * percentile); colour images are shown as stored. Compressed pixel data is
 * decoded by DCMTK's JPEG, JPEG-LS and RLE decoders. Frames of more than
 * max_pixels samples (rows x columns x samples; every frame counted when the
 * pixel data is compressed, since the decoder expands them all) are refused
 * before anything is decoded.
 * Returns 0, or -EINVAL (bad arguments), -EBADMSG (not readable as DICOM),
 * -ENODATA (no pixel data, or not an image DCMTK can render), -E2BIG (over
 * max_pixels), -ENOMEM; then why (cap bytes) says why in plain words.
 */
int dcm_thumb_render(const void *buf, size_t len, unsigned max_side, uint64_t max_pixels,
                     struct dcm_thumb_img *out, char *why, size_t cap);

/* Loads what DCMTK reads from files on first use (its data dictionary) and
 * registers the decoders: called before the child's seccomp filter, which
 * lets no file be opened. Never throws. */
void dcm_thumb_prepare(void);

/* Frees out->pixels; NULL is a no-op. */
void dcm_thumb_release(struct dcm_thumb_img *out);

#ifdef __cplusplus
}
#endif
#endif
