/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The DCMTK wrapper: the only C++ in ingestd (dcm.cc) sits behind this C
 * header. No C++ type or exception crosses it; strings are copied into fixed
 * buffers (UTF-8, truncated safely), so nothing here needs freeing.
 */
#ifndef INGEST_DCM_H
#define INGEST_DCM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum dcm_status {
	DCM_OK = 0,          /* read cleanly */
	DCM_WARN,            /* readable, with warnings (message says which) */
	DCM_TRUNCATED,       /* declared lengths run past the end of the data */
	DCM_CORRUPT,         /* looks like DICOM but cannot be parsed */
	DCM_NOT_DICOM,       /* not a DICOM file or dataset */
	DCM_NEED_MORE,       /* the prefix given ends before the header does */
};

#define DCM_UID_MAX 65
#define DCM_SHORT_MAX 68
#define DCM_TEXT_MAX 260

struct dcm_info {
	enum dcm_status status;
	char message[256];                   /* why: warnings, truncation, corruption */
	bool part10;                         /* "DICM" at 128 + file meta group */
	bool big_endian;
	char transfer_syntax[DCM_UID_MAX];
	bool lossy;                          /* lossy transfer syntax or LossyImageCompression=01 */
	char sop_class_uid[DCM_UID_MAX];
	char sop_instance_uid[DCM_UID_MAX];
	char study_uid[DCM_UID_MAX];
	char series_uid[DCM_UID_MAX];
	char patient_name[DCM_TEXT_MAX];     /* UTF-8, as in the file ("Family^Given") */
	char patient_id[DCM_SHORT_MAX];
	char patient_birth_date[DCM_SHORT_MAX];
	char patient_sex[DCM_SHORT_MAX];
	char modality[DCM_SHORT_MAX];
	char study_date[DCM_SHORT_MAX];      /* YYYYMMDD as stored */
	char series_date[DCM_SHORT_MAX];
	char study_description[DCM_TEXT_MAX];
	char series_description[DCM_TEXT_MAX];
	char body_part[DCM_TEXT_MAX];
	char institution[DCM_TEXT_MAX];
	char accession[DCM_SHORT_MAX];
	char contrast_agent[DCM_TEXT_MAX];   /* (0018,0010) */
	char radiopharmaceutical[DCM_TEXT_MAX]; /* (0018,0031) in the info sequence */
	char specific_charset[DCM_TEXT_MAX];
	/* DICOMDIR keys (PS3.3 F.5), kept small: this struct is held per file. */
	char study_time[17];                 /* TM as stored (at most 16 chars) */
	char study_id[DCM_SHORT_MAX];        /* SH, UTF-8 */
	char content_date[9];                /* ContentDate, else PresentationCreationDate */
	char content_time[17];               /* ContentTime, else PresentationCreationTime */
	char content_label[17];              /* CS (presentation states) */
	char completion_flag[12];            /* CS (SR) */
	char verification_flag[12];          /* CS (SR) */
	bool has_series_number;
	int32_t series_number;
	bool has_instance_number;
	int32_t instance_number;
	bool has_position;
	double image_position[3];            /* (0020,0032) */
	bool has_orientation;
	double image_orientation[6];         /* (0020,0037) */
	double slice_thickness;              /* 0 if absent */
	int32_t number_of_frames;            /* 1 if absent */
	bool has_pixel_data;
	uint64_t pixel_data_offset;          /* byte offset of the value, 0 if none */
	uint64_t pixel_data_length;          /* declared; UINT64_MAX if undefined length */
	uint64_t header_bytes;               /* bytes parsed before pixel data */
};

/* Silence DCMTK's own logger (it writes to stderr by default). Idempotent. */
void dcm_quiet(void);

/*
 * Read the header of a DICOM object from a prefix of its bytes.
 * buf/len: the first len bytes of the object; total: the object's full size.
 * Parsing stops at Pixel Data (7FE0,0010) without loading it; lengths are
 * checked against total. If len < total and the header continues past len,
 * returns DCM_NEED_MORE (the caller offers a larger prefix, up to its limit).
 * Handles Part 10 files and bare datasets (implicit/explicit VR, either endian).
 * Never throws, never aborts; fills *out in every case (status + message).
 */
enum dcm_status dcm_read_header(const void *buf, size_t len, uint64_t total, struct dcm_info *out);

/*
 * List the records of a DICOMDIR held whole in buf/len: cb is called once per
 * directory record that has a Referenced File ID (0004,1500), with its
 * components joined by '/' (as stored, no case change) and its Referenced SOP
 * Instance UID in File (0004,1511), "" if absent. Both strings are UTF-8 and
 * valid only during the call. Returns 0, or -EBADMSG if buf is not a readable
 * DICOMDIR, -EINVAL, -ENOMEM.
 */
int dcm_dicomdir_list(const void *buf, size_t len,
                      void (*cb)(void *ud, const char *ref_file_id, const char *sop_instance_uid),
                      void *ud);

/* One DICOM file to describe in a DICOMDIR: its PS3.10 file id relative to
 * the DICOMDIR's folder, components separated by '/' (each at most 8 upper
 * case characters, as the package names them: "DICOM/P0000001/S0000001/..."),
 * and the header read during the scan. */
struct dcm_dir_rec {
	const char *file_id;
	const struct dcm_info *info;
};

/*
 * Write the DICOMDIR at path (a new file: the caller's folder is fresh) from
 * headers already read: no referenced file is opened. General-purpose
 * profile (STD-GEN): PATIENT / STUDY / SERIES / instance records, grouped by
 * patient (name|id|birth date), Study and Series Instance UID with hash maps
 * (input order is kept, adjacency is not assumed), offsets computed and
 * checked here, time linear in n. A file that cannot be described (no SOP
 * class with a record type, missing UIDs, an unusable file id) is reported
 * through refused (index into recs, a plain reason) and left out. *added:
 * files described; 0 means nothing was accepted and no file was written.
 * written (may be NULL) is called with the file's bytes in order, piece by
 * piece, as they are written (so the caller can hash them without reading
 * the file back; only a return of 0 makes them the whole file). Returns 0,
 * or -EINVAL, -ENOMEM, -EIO, or the -errno of open/write/close (then no
 * file is left).
 */
int dcm_dicomdir_write_records(const char *path, const struct dcm_dir_rec *recs, size_t n,
                               const char *fileset_id,
                               void (*refused)(void *ud, size_t idx, const char *why),
                               void (*written)(void *ud, const void *bytes, size_t len), void *ud,
                               size_t *added);

#ifdef __cplusplus
}
#endif
#endif
