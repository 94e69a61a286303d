/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * DICOM networking as a service user (SCU), through DCMTK's network module
 * (dcmnet, dcmtls): one association, C-STORE of files, C-FIND of the SOP
 * Instance UIDs of a study (Study Root, IMAGE level). The delivery over DIMSE
 * (send-dimse.c) is its only user. No C++ type or exception crosses this
 * header: every function catches everything.
 *
 * Errors: 0, or a negative errno with *err set (malloc'd, plain words, the
 * caller frees it):
 *   -ECONNREFUSED, -ECONNRESET, -EHOSTUNREACH, -ETIMEDOUT: the network (the
 *            peer down, restarting, cut off): worth trying again
 *   -EAGAIN  the peer rejected the association for a transient reason
 *   -EACCES  the peer rejected it for good (an AE title not recognized ...)
 *   -EPROTO  the peer broke the protocol or aborted
 *   -EBADMSG the file cannot be read as DICOM (that object only)
 *   -ENOTSUP TLS asked and this build of DCMTK has none
 *   -EINVAL, -ENOMEM
 */
#ifndef INGEST_DIMSE_H
#define INGEST_DIMSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Presentation contexts one association proposes at most (their IDs are the
 * odd numbers 1..255, one kept for C-FIND). */
#define DIMSE_MAX_PCS 120

struct dimse_peer {
	const char *host;            /* a host name or an IPv4 address */
	unsigned port;
	const char *called_aet;      /* the peer's AE title (1..16 characters) */
	const char *calling_aet;     /* ours */
	const char *tls_ca_file;     /* non-NULL: TLS, the peer's certificate checked with these CAs (PEM) */
	unsigned timeout_s;          /* connecting, the association and each answer */
};

/* One presentation context to propose: a SOP class in one transfer syntax. */
struct dimse_pc {
	const char *sop_class;
	const char *transfer_syntax;
};

struct dimse_assoc;

/* Whether this build of DCMTK can speak TLS. */
bool dimse_tls_available(void);

/*
 * Open an association to P proposing PCS (at most DIMSE_MAX_PCS), and, when
 * FIND, Study Root Query/Retrieve - FIND in the uncompressed syntaxes. 0 with
 * *out set, or an error above. An association is opened even when the peer
 * accepts none of PCS (dimse_pc_refused() says why for each).
 */
int dimse_open(const struct dimse_peer *p, const struct dimse_pc *pcs, size_t n, bool find,
               struct dimse_assoc **out, char **err);

/* NULL when PCS[I] of dimse_open() was accepted, else why not in words (static). */
const char *dimse_pc_refused(const struct dimse_assoc *a, size_t i);

/*
 * C-STORE of the DICOM file at PATH, whose SOP class and transfer syntax
 * are PCS[I] of dimse_open() (accepted), sent in that transfer syntax as it
 * is (no conversion; pixel data streamed from the file, not held). 0 with
 * *status the peer's answer (0x0000 stored, 0xB000-0xBFFF stored with a
 * warning, anything else refused: dimse_status_text()), or an error above:
 * -EBADMSG for this file, a network error when the association broke (it is
 * then closed: open another).
 */
int dimse_store(struct dimse_assoc *a, size_t i, const char *path, const char *sop_instance_uid,
                unsigned *status, char **err);

/* The meaning of a C-STORE status in words (static). */
const char *dimse_status_text(unsigned status);

/*
 * C-FIND (Study Root, IMAGE level) of the instances of STUDY: CB with each
 * answer's SOP Instance UID (valid during the call), at most MAX answers (the
 * rest are ignored; *more set). 0, or an error above (-EPROTO also when the
 * peer answers the query with a failure status, or accepted no C-FIND).
 */
int dimse_find_instances(struct dimse_assoc *a, const char *study_uid, size_t max,
                         void (*cb)(void *ud, const char *sop_instance_uid), void *ud, bool *more, char **err);

/* Release the association (abort it when ABORT or when the release fails) and free A. NULL is a no-op. */
void dimse_close(struct dimse_assoc *a, bool abort);

#ifdef __cplusplus
}
#endif
#endif
