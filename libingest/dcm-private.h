/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the files of the DICOM module share (dcm-walk.c, dcm-info.c and the
 * DCMTK wrapper in C++: dcm-read.cc, dcm-dicomdir.cc; dimse.cc, DCMTK's
 * network module, for its DCMTK set-up); nothing else includes it. dcm.h
 * stays the module's C header. Every function here but the C++ ones at the
 * end is C and never throws.
 */
#ifndef INGEST_DCM_PRIVATE_H
#define INGEST_DCM_PRIVATE_H

#include "internal.h"
#include "dcm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The header as it is parsed: fixed buffers (each string cut to its cap),
 * packed into a struct dcm_info once at the end (dcm_info_pack()). Same
 * field names as struct dcm_info so the parsing code reads the same. */
struct fat_info {
	enum dcm_status status;
	char message[256];
	bool part10;
	bool big_endian;
	char transfer_syntax[DCM_UID_MAX];
	bool lossy;
	bool xfer_mismatch;
	bool patient_id_padded;
	char sop_class_uid[DCM_UID_MAX];
	char sop_instance_uid[DCM_UID_MAX];
	char study_uid[DCM_UID_MAX];
	char series_uid[DCM_UID_MAX];
	char patient_name[DCM_TEXT_MAX];
	char patient_id[DCM_SHORT_MAX];
	char patient_birth_date[DCM_SHORT_MAX];
	char patient_sex[DCM_SHORT_MAX];
	char modality[DCM_SHORT_MAX];
	char study_date[DCM_SHORT_MAX];
	char series_date[DCM_SHORT_MAX];
	char study_description[DCM_TEXT_MAX];
	char series_description[DCM_TEXT_MAX];
	char body_part[DCM_TEXT_MAX];
	char institution[DCM_TEXT_MAX];
	char accession[DCM_SHORT_MAX];
	char contrast_agent[DCM_TEXT_MAX];
	char radiopharmaceutical[DCM_TEXT_MAX];
	char specific_charset[DCM_TEXT_MAX];
	char study_time[17];
	char study_id[DCM_SHORT_MAX];
	char content_date[9];
	char content_time[17];
	char content_label[17];
	char completion_flag[12];
	char verification_flag[12];
	bool has_series_number;
	int32_t series_number;
	bool has_instance_number;
	int32_t instance_number;
	bool has_position;
	double image_position[3];
	bool has_orientation;
	double image_orientation[6];
	double slice_thickness;
	int32_t number_of_frames;
	bool has_pixel_data;
	uint64_t pixel_data_offset;
	uint64_t pixel_data_length;
	uint64_t header_bytes;
	/* the object's own values of the keys its DICOMDIR record takes
	 * (dcm-records.cc), encoded; not owned (dcm-read.cc's) */
	const uint8_t *dir_keys;
	size_t dir_keys_len;
};

/* dcm-info.c: a zeroed header with every string "" and no pool. */
ING_HIDDEN void dcm_info_set_empty(struct dcm_info *out);

/* dcm-info.c: copy f into out: numbers as they are, the strings packed into
 * one block sized to them (an empty string takes no room). *out holds no
 * pool. */
ING_HIDDEN void dcm_info_pack(const struct fat_info *f, struct dcm_info *out);

/* Warnings as the message shows them: joined by "; " in the order they were
 * noted. The text is cut when full; the message keeps far less of it
 * (fat_info.message), so the cut never shows. n counts every note. */
struct dcm_notes {
	unsigned n;
	size_t len;
	char text[1024];
};

/* dcm-walk.c: note the n bytes at s (not NUL-terminated), after prefix
 * (NUL-terminated, may be ""). */
ING_HIDDEN void dcm_note(struct dcm_notes *w, const char *prefix, const char *s, size_t n);

/* dcm-walk.c: copy src[0, n) as valid UTF-8: bad sequences become U+FFFD,
 * controls '?'; never split a sequence when truncating to cap. */
ING_HIDDEN void dcm_copy_utf8(char *dst, size_t cap, const char *src, size_t n);

/* A transfer syntax as DCMTK knows it (dcm-read.cc looks it up: the walk
 * needs DCMTK's table, not DCMTK). */
#define DCM_XFER_UNKNOWN (-1)   /* DCMTK's EXS_Unknown */
struct dcm_xfer {
	int id;                 /* DCMTK's E_TransferSyntax; DCM_XFER_UNKNOWN: a UID it does not know */
	bool deflated;          /* stream compression zlib */
	bool explicit_vr;
	bool big_endian;
	bool lossy;
	const char *uid;        /* DCMTK's (static) UID of it */
};

/* dcm-read.cc: the transfer syntax of uid (id DCM_XFER_UNKNOWN if DCMTK does
 * not know it). */
ING_HIDDEN void dcm_xfer_by_uid(const char *uid, struct dcm_xfer *x);
/* dcm-read.cc: the uncompressed transfer syntax of an encoding. */
ING_HIDDEN void dcm_xfer_by_enc(bool explicit_vr, bool big_endian, struct dcm_xfer *x);
/* dcm-read.cc: does DCMTK's dictionary give the tag VR SQ (for implicit VR)?
 * 1 or 0; -ENOMEM if the dictionary could not be loaded. */
ING_HIDDEN int dcm_tag_is_sq(uint16_t group, uint16_t elem);

/* What the structural walk (dcm-walk.c) found: whether the object is DICOM,
 * and which verified bytes DCMTK may read. */
struct dcm_analysis {
	enum dcm_status status;
	struct dcm_notes warnings;
	char why[256];                /* the walk's own reasons are all short */
	const uint8_t *ds;            /* the dataset bytes DCMTK reads */
	size_t ds_len;
	struct dcm_xfer xfer;         /* and how it reads them */
	bool deflated;
	uint8_t *inflated;            /* a deflated dataset, inflated (malloc'd) */
	size_t inflated_len;
	const char *meta_sop_class;   /* file meta group values, trimmed, in the given */
	size_t meta_sop_class_len;    /* bytes (not NUL-terminated) */
	const char *meta_sop_instance;
	size_t meta_sop_instance_len;
	size_t ds_whole_len;          /* dataset bytes before the place a truncated walk ran short at:
	                               * whole elements only, every length checked; 0 if none */
};

/* dcm-walk.c: an analysis before the walk (status DCM_NOT_DICOM). */
ING_HIDDEN void dcm_analysis_init(struct dcm_analysis *a);
/* dcm-walk.c: free what a holds (the inflated dataset); a stays usable for
 * dcm_analysis_release() again. */
ING_HIDDEN void dcm_analysis_release(struct dcm_analysis *a);

/*
 * dcm-walk.c: the structural walk over p[0, len) of an object of total bytes
 * (pass 1 of dcm_read_header()). Fills a, and out's part10, big_endian,
 * transfer_syntax, lossy, header_bytes and pixel data fields. a must come
 * from dcm_analysis_init(). Returns 0, or -ENOMEM (a says nothing then).
 */
ING_HIDDEN int dcm_analyse(const uint8_t *p, size_t len, uint64_t total, struct fat_info *out,
                           struct dcm_analysis *a);

#ifdef __cplusplus
}

/* dcm-read.cc, for the module's C++ files: silence DCMTK's logger, once;
 * every entry point calls it before DCMTK is first used. May throw. */
ING_HIDDEN void dcmtk_init(void);
/* dcm-read.cc: dcmtk_init() and DCMTK's decoders of compressed transfer
 * syntaxes (JPEG baseline, extended and lossless, JPEG-LS, RLE; none for
 * JPEG 2000), registered once per process: for the thumbnails (dcm-thumb.cc)
 * and the delivery's decoding (dimse.cc). May throw. */
ING_HIDDEN void dcmtk_codecs_init(void);

#include <string>
class DcmItem;
class DcmDataset;

/* dcm-read.cc: the data set of the object in buf[0, len) (of total bytes),
 * as dcm_read_header() reads it: the structural walk first, then DCMTK on
 * the bytes the walk verified only (no declared length exceeds them).
 * Returns the walk's status; ds holds the data set for DCM_OK and DCM_WARN
 * only. May throw. */
ING_HIDDEN enum dcm_status dcm_dataset_read(const void *buf, size_t len, uint64_t total, DcmDataset &ds);

/* A key of a DICOMDIR record type (PS3.3 F.5): its tag and type, '1', '2',
 * 'C' (1C) or '3'. */
struct dcm_rec_key {
	uint16_t group, elem;
	char type;
};

/* dcm-records.cc: the DICOMDIR record type (DCMTK's E_DirRecType) of a
 * SOP class, or -1: none (not a storage SOP class we know). */
ING_HIDDEN int dcm_record_type(const char *sop_class_uid);
/* dcm-records.cc: its name as the Directory Record Type says it. */
ING_HIDDEN const char *dcm_record_type_name(int type);
/* dcm-records.cc: the keys an instance record of type takes from its
 * object besides the referenced file's and Instance Number; *n of them. */
ING_HIDDEN const struct dcm_rec_key *dcm_record_key_table(int type, size_t *n);
/* dcm-records.cc: those keys the data set has, copied out and encoded
 * (explicit VR little endian, the elements only), at most
 * DCM_RECORD_KEYS_MAX bytes (an element that would pass it is left out);
 * "" when it has none. May throw. */
#define DCM_RECORD_KEYS_MAX (64u << 10)
ING_HIDDEN std::string dcm_record_keys(DcmItem &ds, int type);
#endif
#endif
