/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The DCMTK wrapper: the only C++ in ingestd (dcm-read.cc, dcm-dicomdir.cc, dcm-records.cc, dcm-text.cc)
 * sits behind this C header. No C++ type or exception crosses it; strings are copied out as
 * UTF-8 (truncated safely) into memory the caller releases (dcm_info_free).
 */
#ifndef INGEST_DCM_H
#define INGEST_DCM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

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

/* The longest value kept of each string field, with its NUL: longer values
 * are cut (as UTF-8, never inside a sequence). */
#define DCM_UID_MAX 65
#define DCM_SHORT_MAX 68
#define DCM_TEXT_MAX 260

/*
 * One DICOM header. Held per file for the whole run, so it is small: every
 * string is a const char * into one heap block (pool) sized to what the file
 * holds, never NULL ("" when absent) once dcm_read_header() has filled it.
 * Strings are UTF-8 and cut to the caps above (message 256, study_time and
 * content_time 17, content_date 9, content_label 17, the flags 12, with NULs).
 * Release with dcm_info_free() (heap struct) or dcm_info_release() (a struct
 * of your own); a struct that was zeroed and never filled needs neither.
 * Copying the struct copies the pointers, not the strings.
 */
struct dcm_info {
	char *pool;                          /* owns every string below; NULL when none */
	enum dcm_status status;
	bool part10;                         /* "DICM" at 128 + file meta group */
	bool big_endian;
	bool lossy;                          /* lossy transfer syntax or LossyImageCompression=01 */
	bool has_series_number;
	bool has_instance_number;
	bool has_position;
	bool has_orientation;
	bool has_pixel_data;
	bool xfer_mismatch;                  /* the data set is not in the encoding its transfer syntax declares */
	/* The Patient ID as its bytes read (DCMTK's string, or the raw bytes of
	 * an element stored with VR UN) has spaces or NULs around it that
	 * patient_id, trimmed, has not: a reader that compares IDs byte for byte
	 * (Orthanc) takes it for another ID than the same one without them. */
	bool patient_id_padded;
	const char *message;                 /* why: warnings, truncation, corruption */
	const char *transfer_syntax;
	const char *sop_class_uid;
	const char *sop_instance_uid;
	const char *study_uid;
	const char *series_uid;
	const char *patient_name;            /* UTF-8, as in the file ("Family^Given") */
	const char *patient_id;
	const char *patient_birth_date;
	const char *patient_sex;
	const char *modality;
	const char *study_date;              /* YYYYMMDD as stored */
	const char *series_date;
	const char *study_description;
	const char *series_description;
	const char *body_part;
	const char *institution;
	const char *accession;
	const char *contrast_agent;          /* (0018,0010) */
	const char *radiopharmaceutical;     /* (0018,0031) in the info sequence */
	const char *specific_charset;
	/* DICOMDIR keys (PS3.3 F.5) */
	const char *study_time;              /* TM as stored (at most 16 chars) */
	const char *study_id;                /* SH, UTF-8 */
	const char *content_date;            /* ContentDate, else PresentationCreationDate */
	const char *content_time;            /* ContentTime, else PresentationCreationTime */
	const char *content_label;           /* CS (presentation states) */
	const char *completion_flag;         /* CS (SR) */
	const char *verification_flag;       /* CS (SR) */
	int32_t series_number;
	int32_t instance_number;
	int32_t number_of_frames;            /* 1 if absent */
	double image_position[3];            /* (0020,0032) */
	double image_orientation[6];         /* (0020,0037) */
	double slice_thickness;              /* 0 if absent */
	uint64_t pixel_data_offset;          /* byte offset of the value, 0 if none */
	uint64_t pixel_data_length;          /* declared; UINT64_MAX if undefined length */
	uint64_t header_bytes;               /* bytes parsed before pixel data */
	/* The object's own values of the keys its DICOMDIR record takes (PS3.3
	 * F.5, beyond those above: RT labels, Dose Summation Type, Concept Name
	 * Code Sequence...), encoded as elements in explicit VR little endian;
	 * in the pool; NULL/0 when none (images). */
	const uint8_t *dir_keys;
	uint32_t dir_keys_len;
};

/* Free d's strings and set every string field to "" (d itself stays). NULL is
 * a no-op. */
void dcm_info_release(struct dcm_info *d);

/* Free a heap-allocated dcm_info and its strings. NULL is a no-op. Inline:
 * code that only frees file records (model.c) needs no DCMTK to link. */
static inline void dcm_info_free(struct dcm_info *d)
{
	if (d) {
		free(d->pool);
		free(d);
	}
}

/* Make d own its strings: copy every string field (NULL reads as "") into a
 * fresh pool, cut to its cap, then free d's old pool. For headers made by
 * hand (tests) and deep copies (struct dcm_info c = *d; dcm_info_own(&c);
 * then c.pool must not be d->pool: set c.pool = NULL before the call).
 * Returns 0, or -ENOMEM (d unchanged). */
int dcm_info_own(struct dcm_info *d);

/* A UID of 128 bits of BYTES (the first bit cleared), PS3.5 B.2: "2.25." and
 * the number in decimal, at most 44 characters, into OUT. */
void dcm_uid_from_bytes(const uint8_t bytes[16], char out[64]);

/* Silence DCMTK's own logger (it writes to stderr by default). Idempotent.
 * Never needed: every function here does it itself, once, before DCMTK is
 * first used. */
void dcm_quiet(void);

/*
 * Read the header of a DICOM object from a prefix of its bytes.
 * buf/len: the first len bytes of the object; total: the object's full size.
 * Parsing stops at Pixel Data (7FE0,0010) without loading it; lengths are
 * checked against total. If len < total and the header continues past len,
 * returns DCM_NEED_MORE (the caller offers a larger prefix, up to its limit).
 * Handles Part 10 files and bare datasets (implicit/explicit VR, either endian).
 * Never throws, never aborts; fills *out in every case (status + message).
 * *out must be zeroed or filled by an earlier call (its strings are freed
 * first: the scan calls again on the same *out with a longer prefix). On
 * DCM_NOT_DICOM no memory is left allocated (out->pool is NULL): a plain
 * free() of a heap *out is then enough, and out->message points to a
 * per-thread buffer valid until the next call on this thread.
 */
enum dcm_status dcm_read_header(const void *buf, size_t len, uint64_t total, struct dcm_info *out);

/* The longest file meta information dcm_file_meta() makes (preamble, "DICM"
 * and group 0002 with UIDs of at most 64 characters). */
#define DCM_FILE_META_MAX 512

/*
 * The PS3.10 file meta information for an object read without it (d->part10
 * false): a zero preamble, "DICM", and group 0002 in explicit VR little
 * endian with Media Storage SOP Class and Instance UID from the data set
 * (d's), the transfer syntax as detected (d->transfer_syntax) and ingestd's
 * Implementation Class UID. The data set's bytes follow it unchanged. Writes
 * *len bytes (at most DCM_FILE_META_MAX) to buf (cap at least that).
 * Returns 0, or -EINVAL when d lacks a valid SOP Class, SOP Instance or
 * transfer syntax UID (such an object cannot be a PS3.10 file).
 */
int dcm_file_meta(const struct dcm_info *d, uint8_t *buf, size_t cap, size_t *len);

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

/* How to write a DICOMDIR, and where what happens goes. */
struct dcm_dir_opts {
	const char *fileset_id;      /* File-set ID (0004,1130), at most 16 of A-Z 0-9 _ */
	const char *fileset_uid;     /* its Media Storage SOP Instance UID: the caller's, from
	                              * the content, so the same files give the same bytes */
	/* a file that cannot be described: recs index, a plain reason (may be NULL) */
	void (*refused)(void *ud, size_t idx, const char *why);
	/* a Type 1 key of PS3.3 F.5 the object lacks, and what the record has
	 * instead (nothing, or which value): recs index (for a PATIENT, STUDY or
	 * SERIES record, its first file), plain words; once per record (may be NULL) */
	void (*noted)(void *ud, size_t idx, const char *note);
	/* the file's bytes in order, piece by piece, as they are written (so
	 * the caller can hash them without reading the file back; only a
	 * return of 0 makes them the whole file) (may be NULL) */
	void (*written)(void *ud, const void *bytes, size_t len);
	void *ud;
};

/*
 * Write the DICOMDIR at path (a new file: the caller's folder is fresh) from
 * headers already read: no referenced file is opened. General-purpose
 * profile (STD-GEN): PATIENT / STUDY / SERIES / instance records, grouped by
 * patient (name|id|birth date), Study and Series Instance UID with hash maps
 * (input order is kept, adjacency is not assumed), offsets computed and
 * checked here, time linear in n. Each instance record is the one PS3.3 F.5
 * defines for its SOP class (IMAGE, RT DOSE, SR DOCUMENT, ... see
 * dcm-records.cc), its keys the object's own values (struct dcm_info, and
 * dir_keys for the record-specific ones); a Type 1 key the object lacks is
 * reported through o->noted. A file that cannot be described (no SOP class
 * with a record type, missing UIDs, an unusable file id) is reported through
 * o->refused and left out. *added: files described; 0 means nothing was
 * accepted and no file was written. Returns 0, or -EINVAL, -ENOMEM, -EIO, or
 * the -errno of open/write/close (then no file is left).
 */
int dcm_dicomdir_write_records(const char *path, const struct dcm_dir_rec *recs, size_t n,
                               const struct dcm_dir_opts *o, size_t *added);

/* What a DICOM object carries as a document (dcm_read_document()). */
enum dcm_doc_type {
	DCM_DOC_PDF = 1,     /* Encapsulated PDF: the PDF's bytes (0042,0011) */
	DCM_DOC_TEXT,        /* a text SR (Basic, Enhanced, Comprehensive, Extensible): its content tree as UTF-8 */
};

struct dcm_document {
	enum dcm_doc_type type;
	uint8_t *bytes;      /* malloc'd, NUL-terminated (the NUL not counted in len) */
	size_t len;
	bool truncated;      /* TEXT: cut at max_bytes, DCM_SR_MAX_ITEMS or DCM_SR_MAX_DEPTH */
	unsigned items;      /* TEXT: content items whose value was read */
};

/*
 * The document a DICOM object carries, from the same prefix dcm_read_header()
 * read (the whole data set: such objects have no pixel data): an Encapsulated
 * PDF's PDF bytes (its Encapsulated Document Length when given), or a text
 * SR's content tree in document order, one item a line, "Concept name: value"
 * (TEXT, CODE, NUM with its units, DATE, TIME, DATETIME), a CONTAINER's name
 * a heading line before its items; person names and references are left out.
 * Bounded: a PDF longer than max_bytes is -E2BIG; text is cut at max_bytes
 * (and at the item and depth caps of caps.h) with out->truncated set.
 * Returns 0 with *out filled (release with dcm_document_release()), or
 * -ENODATA (no document: another SOP class, not a PDF, no text), -EBADMSG (the
 * object cannot be read), -E2BIG, -ENOMEM. Never throws.
 */
int dcm_read_document(const void *buf, size_t len, uint64_t total, uint64_t max_bytes, struct dcm_document *out);
/* Frees what d holds (d itself stays); NULL is a no-op. */
void dcm_document_release(struct dcm_document *d);

#ifdef __cplusplus
}
#endif
#endif
