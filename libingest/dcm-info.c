/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The strings of a struct dcm_info: a parsed header (struct fat_info) packed
 * into one pool sized to what the file holds, released, or made to own
 * strings set by hand. No DCMTK here.
 */
#include "dcm-private.h"

/* Every string field, once: what dcm_info_pack() and dcm_info_release() walk. */
#define DCM_STRING_FIELDS(X) \
	X(message) X(transfer_syntax) X(sop_class_uid) X(sop_instance_uid) X(study_uid) X(series_uid) \
	X(patient_name) X(patient_id) X(patient_birth_date) X(patient_sex) X(modality) X(study_date) \
	X(series_date) X(study_description) X(series_description) X(body_part) X(institution) \
	X(accession) X(contrast_agent) X(radiopharmaceutical) X(specific_charset) X(study_time) \
	X(study_id) X(content_date) X(content_time) X(content_label) X(completion_flag) \
	X(verification_flag)

#define DCM_PLAIN_FIELDS(X) \
	X(status) X(part10) X(big_endian) X(lossy) X(has_series_number) X(series_number) \
	X(has_instance_number) X(instance_number) X(has_position) X(has_orientation) \
	X(slice_thickness) X(number_of_frames) X(has_pixel_data) X(pixel_data_offset) \
	X(pixel_data_length) X(header_bytes) X(xfer_mismatch) \
	X(patient_id_padded)

static const char empty_str[] = "";

void dcm_info_set_empty(struct dcm_info *out)
{
	memset(out, 0, sizeof *out);
#define X(f) out->f = empty_str;
	DCM_STRING_FIELDS(X)
#undef X
}

/* Copy src (NULL reads as "") into dst, cut at a character boundary. */
static void put_cut(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	if (n)
		memcpy(dst, src, n);
	dst[n] = 0;
}

/* The message of a DCM_NOT_DICOM result: that result leaves no pool (the
 * scan frees it with a plain free()). */
static _Thread_local char not_dicom_msg[256];

void dcm_info_pack(const struct fat_info *f, struct dcm_info *out)
{
	dcm_info_set_empty(out);
#define X(n) out->n = f->n;
	DCM_PLAIN_FIELDS(X)
#undef X
	memcpy(out->image_position, f->image_position, sizeof out->image_position);
	memcpy(out->image_orientation, f->image_orientation, sizeof out->image_orientation);
	if (f->status == DCM_NOT_DICOM) {
		memcpy(not_dicom_msg, f->message, sizeof not_dicom_msg);
		not_dicom_msg[sizeof not_dicom_msg - 1] = 0;
		out->message = not_dicom_msg;
		return;
	}
	/* Each distinct non-empty value once (dates and times often repeat). */
	const char *src[] = {
#define X(n) f->n,
		DCM_STRING_FIELDS(X)
#undef X
	};
	const char **dst[] = {
#define X(n) &out->n,
		DCM_STRING_FIELDS(X)
#undef X
	};
	const size_t caps[] = {
#define X(n) sizeof f->n,
		DCM_STRING_FIELDS(X)
#undef X
	};
	const size_t nf = sizeof src / sizeof src[0];
	size_t len[sizeof src / sizeof src[0]], same[sizeof src / sizeof src[0]];
	size_t need = 0;
	for (size_t i = 0; i < nf; i++) {
		len[i] = strnlen(src[i], caps[i] - 1);
		same[i] = i;
		for (size_t j = 0; j < i && len[i]; j++)
			if (same[j] == j && len[j] == len[i] && memcmp(src[j], src[i], len[i]) == 0) {
				same[i] = j;
				break;
			}
		if (len[i] && same[i] == i)
			need += len[i] + 1;
	}
	size_t keys = f->dir_keys && f->dir_keys_len <= UINT32_MAX ? f->dir_keys_len : 0;
	need += keys;
	if (need == 0)
		return;
	char *pool = (char *)malloc(need);
	if (!pool) {
		/* Nothing kept but the status: the numbers stay, every string is "". */
		out->status = DCM_CORRUPT;
		out->message = "out of memory while keeping the header";
		return;
	}
	char *p = pool;
	for (size_t i = 0; i < nf; i++) {
		if (!len[i])
			continue;
		if (same[i] != i) {
			*dst[i] = *dst[same[i]];
			continue;
		}
		memcpy(p, src[i], len[i]);
		p[len[i]] = 0;
		*dst[i] = p;
		p += len[i] + 1;
	}
	if (keys) {
		memcpy(p, f->dir_keys, keys);
		out->dir_keys = (const uint8_t *)p;
		out->dir_keys_len = (uint32_t)keys;
	}
	out->pool = pool;
}

void dcm_info_release(struct dcm_info *d)
{
	if (!d)
		return;
	free(d->pool);
	dcm_info_set_empty(d);
}

int dcm_info_own(struct dcm_info *d)
{
	if (!d)
		return -EINVAL;
	struct fat_info *f = (struct fat_info *)calloc(1, sizeof *f);
	if (!f)
		return -ENOMEM;
	/* Through the fat buffers: the same caps as a parsed header. */
#define X(n) put_cut(f->n, sizeof f->n, d->n);
	DCM_STRING_FIELDS(X)
#undef X
	size_t need = 0;
#define X(n) need += f->n[0] ? strlen(f->n) + 1 : 0;
	DCM_STRING_FIELDS(X)
#undef X
	size_t keys = d->dir_keys ? d->dir_keys_len : 0;
	need += keys;
	char *pool = need ? (char *)malloc(need) : NULL;
	if (need && !pool) {
		free(f);
		return -ENOMEM;
	}
	char *p = pool;
#define X(n)                                     \
	if (f->n[0]) {                           \
		size_t l = strlen(f->n);         \
		memcpy(p, f->n, l + 1);          \
		d->n = p;                        \
		p += l + 1;                      \
	} else {                                 \
		d->n = empty_str;                \
	}
	DCM_STRING_FIELDS(X)
#undef X
	if (keys) {
		memcpy(p, d->dir_keys, keys);
		d->dir_keys = (const uint8_t *)p;
	} else {
		d->dir_keys = NULL;
		d->dir_keys_len = 0;
	}
	free(f);
	free(d->pool);
	d->pool = pool;
	return 0;
}
