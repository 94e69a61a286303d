/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * dcm-probe: run dcm_read_header() on files and print one JSON line each.
 *   dcm-probe [--prefix N] [--dicomdir] [--document MAX] [--summary] FILE...
 * --prefix N   hand only the first N bytes (total stays the file size)
 * --dicomdir   also run dcm_dicomdir_list() on the whole file
 * --document MAX  also run dcm_read_document() (at most MAX bytes) on the whole file:
 *              its return, type, length, truncated, items, and the text (an SR's)
 * --summary    no per-file lines, one line of counts per status at the end
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dcm.h"

static const char *const status_names[] = {
	[DCM_OK] = "ok", [DCM_WARN] = "warn", [DCM_TRUNCATED] = "truncated",
	[DCM_CORRUPT] = "corrupt", [DCM_NOT_DICOM] = "not-dicom", [DCM_NEED_MORE] = "need-more",
};

static void jstr(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void kv(const char *k, const char *v)
{
	printf(", \"%s\": ", k);
	jstr(v);
}

static void jdbl(double d)
{
	printf("%.17g", d);
}

static void dd_cb(void *ud, const char *ref, const char *uid)
{
	unsigned *n = ud;
	printf("%s[", (*n)++ ? ", " : "");
	jstr(ref);
	printf(", ");
	jstr(uid);
	printf("]");
}

static int read_file(const char *path, size_t prefix, unsigned char **buf, size_t *len, uint64_t *total)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	if (!f)
		return -errno;
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return -EINVAL;
	}
	*total = (uint64_t)st.st_size;
	size_t want = (size_t)st.st_size;
	if (prefix && prefix < want)
		want = prefix;
	*buf = malloc(want ? want : 1);
	if (!*buf) {
		fclose(f);
		return -ENOMEM;
	}
	*len = fread(*buf, 1, want, f);
	fclose(f);
	return *len == want ? 0 : -EIO;
}

static void print_info(const char *path, const struct dcm_info *i)
{
	printf("{\"file\": ");
	jstr(path);
	kv("status", status_names[i->status]);
	kv("message", i->message);
	printf(", \"part10\": %s, \"big_endian\": %s, \"lossy\": %s", i->part10 ? "true" : "false",
	       i->big_endian ? "true" : "false", i->lossy ? "true" : "false");
	kv("transfer_syntax", i->transfer_syntax);
	kv("sop_class_uid", i->sop_class_uid);
	kv("sop_instance_uid", i->sop_instance_uid);
	kv("study_uid", i->study_uid);
	kv("series_uid", i->series_uid);
	kv("patient_name", i->patient_name);
	kv("patient_id", i->patient_id);
	kv("patient_birth_date", i->patient_birth_date);
	kv("patient_sex", i->patient_sex);
	kv("modality", i->modality);
	kv("study_date", i->study_date);
	kv("series_date", i->series_date);
	kv("study_description", i->study_description);
	kv("series_description", i->series_description);
	kv("body_part", i->body_part);
	kv("institution", i->institution);
	kv("accession", i->accession);
	kv("contrast_agent", i->contrast_agent);
	kv("radiopharmaceutical", i->radiopharmaceutical);
	kv("specific_charset", i->specific_charset);
	if (i->has_instance_number)
		printf(", \"instance_number\": %" PRId32, i->instance_number);
	else
		printf(", \"instance_number\": null");
	printf(", \"image_position\": ");
	if (i->has_position) {
		printf("[");
		for (int k = 0; k < 3; k++) {
			printf(k ? ", " : "");
			jdbl(i->image_position[k]);
		}
		printf("]");
	} else {
		printf("null");
	}
	printf(", \"image_orientation\": ");
	if (i->has_orientation) {
		printf("[");
		for (int k = 0; k < 6; k++) {
			printf(k ? ", " : "");
			jdbl(i->image_orientation[k]);
		}
		printf("]");
	} else {
		printf("null");
	}
	printf(", \"slice_thickness\": ");
	jdbl(i->slice_thickness);
	printf(", \"number_of_frames\": %" PRId32 ", \"has_pixel_data\": %s, \"pixel_data_offset\": %" PRIu64,
	       i->number_of_frames, i->has_pixel_data ? "true" : "false", i->pixel_data_offset);
	if (i->pixel_data_length == UINT64_MAX)
		printf(", \"pixel_data_length\": null");
	else
		printf(", \"pixel_data_length\": %" PRIu64, i->pixel_data_length);
	printf(", \"header_bytes\": %" PRIu64, i->header_bytes);
}

int main(int argc, char **argv)
{
	size_t prefix = 0;
	int dicomdir = 0, summary = 0, rc = 0;
	uint64_t doc_max = 0;
	unsigned long counts[DCM_NEED_MORE + 1] = { 0 };

	dcm_quiet();
	for (int a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--prefix") == 0 && a + 1 < argc) {
			prefix = strtoull(argv[++a], NULL, 10);
			continue;
		}
		if (strcmp(argv[a], "--dicomdir") == 0) {
			dicomdir = 1;
			continue;
		}
		if (strcmp(argv[a], "--document") == 0 && a + 1 < argc) {
			doc_max = strtoull(argv[++a], NULL, 10);
			continue;
		}
		if (strcmp(argv[a], "--summary") == 0) {
			summary = 1;
			continue;
		}
		unsigned char *buf = NULL;
		size_t len = 0;
		uint64_t total = 0;
		int r = read_file(argv[a], prefix, &buf, &len, &total);
		if (r < 0) {
			fprintf(stderr, "dcm-probe: %s: %s\n", argv[a], strerror(-r));
			free(buf);
			rc = 1;
			continue;
		}
		struct dcm_info info = { 0 };
		dcm_read_header(buf, len, total, &info);
		counts[info.status]++;
		if (!summary) {
			print_info(argv[a], &info);
			if (dicomdir) {
				unsigned n = 0;
				printf(", \"dicomdir\": [");
				int dr = dcm_dicomdir_list(buf, len, dd_cb, &n);
				printf("], \"dicomdir_rc\": %d", dr);
			}
			if (doc_max) {
				struct dcm_document doc;
				int dr = dcm_read_document(buf, len, total, doc_max, &doc);
				printf(", \"document_rc\": %d", dr);
				if (dr == 0) {
					printf(", \"document_type\": \"%s\", \"document_len\": %zu, \"truncated\": %s, "
					       "\"items\": %u", doc.type == DCM_DOC_PDF ? "pdf" : "text", doc.len,
					       doc.truncated ? "true" : "false", doc.items);
					if (doc.type == DCM_DOC_TEXT)
						kv("text", (const char *)doc.bytes);
					else
						printf(", \"pdf_magic\": %s",
						       doc.len >= 5 && !memcmp(doc.bytes, "%PDF-", 5) ? "true" : "false");
				}
				dcm_document_release(&doc);
			}
			printf("}\n");
		}
		dcm_info_release(&info);
		free(buf);
	}
	if (summary) {
		printf("{");
		for (int s = 0; s <= DCM_NEED_MORE; s++)
			printf("%s\"%s\": %lu", s ? ", " : "", status_names[s], counts[s]);
		printf("}\n");
	}
	return rc;
}
