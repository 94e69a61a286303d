/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Writing a DICOMDIR (package stage), behind dcm.h's
 * dcm_dicomdir_write_records().
 *
 * From the headers the scan already read (struct dcm_info): no payload file
 * is opened again. DCMTK's DicomDirInterface re-reads every file and finds
 * each record's parent by a linear search (quadratic: ~6 s for 20,500 small
 * files); here records are grouped with hash maps, the records are built
 * with DCMTK's data classes in their final (pre-order) sequence, and the
 * offsets are computed from each record's encoded length: linear in n.
 */
#include "dcm-private.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdirrec.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcvrul.h>
#include <dcmtk/dcmdata/dcvrus.h>

namespace {

bool uid_in(const char *uid, std::initializer_list<const char *> l)
{
	for (const char *u : l)
		if (strcmp(uid, u) == 0)
			return true;
	return false;
}

bool uid_prefix(const char *uid, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(uid, prefix, n) == 0 && uid[n] == '.';
}

/* The record type for a SOP class, after DicomDirInterface's
 * sopClassToRecordType() (DCMTK 3.6.7); false: no record type (refused). */
bool record_type_of(const char *sop, E_DirRecType *t)
{
	if (uid_in(sop, { UID_KeyObjectSelectionDocumentStorage }))
		*t = ERT_KeyObjectDoc;
	else if (uid_prefix(sop, "1.2.840.10008.5.1.4.1.1.88") || /* SR, incl. dose SRs */
	         uid_in(sop, { UID_DRAFT_SRTextStorage, UID_DRAFT_SRAudioStorage,
	                       UID_DRAFT_SRDetailStorage, UID_DRAFT_SRComprehensiveStorage }))
		*t = ERT_SRDocument;
	else if (uid_prefix(sop, "1.2.840.10008.5.1.4.1.1.11"))
		*t = ERT_Presentation;
	else if (uid_prefix(sop, "1.2.840.10008.5.1.4.1.1.9") || uid_in(sop, { UID_DRAFT_WaveformStorage }))
		*t = ERT_Waveform;
	else if (uid_in(sop, { UID_RTDoseStorage }))
		*t = ERT_RTDose;
	else if (uid_in(sop, { UID_RTStructureSetStorage }))
		*t = ERT_RTStructureSet;
	else if (uid_in(sop, { UID_RTPlanStorage, UID_RTIonPlanStorage }))
		*t = ERT_RTPlan;
	else if (uid_in(sop, { UID_RTBeamsTreatmentRecordStorage, UID_RTBrachyTreatmentRecordStorage,
	                       UID_RTTreatmentSummaryRecordStorage, UID_RTIonBeamsTreatmentRecordStorage }))
		*t = ERT_RTTreatRecord;
	else if (uid_in(sop, { UID_RTPhysicianIntentStorage, UID_RTSegmentAnnotationStorage,
	                       UID_RTRadiationSetStorage, UID_RTRadiationRecordSetStorage,
	                       UID_RTRadiationSalvageRecordStorage, UID_RTRadiationSetDeliveryInstructionStorage,
	                       UID_RTTreatmentPreparationStorage, UID_RTBeamsDeliveryInstructionStorage,
	                       UID_RTBrachyApplicationSetupDeliveryInstructionStorage }) ||
	         uid_prefix(sop, "1.2.840.10008.5.1.4.1.1.481") /* newer RT radiation IODs */)
		*t = dcmIsImageStorageSOPClassUID(sop) ? ERT_Image : ERT_Radiotherapy;
	else if (uid_in(sop, { UID_RawDataStorage }))
		*t = ERT_RawData;
	else if (uid_in(sop, { UID_SpatialRegistrationStorage, UID_DeformableSpatialRegistrationStorage }))
		*t = ERT_Registration;
	else if (uid_in(sop, { UID_SpatialFiducialsStorage }))
		*t = ERT_Fiducial;
	else if (uid_in(sop, { UID_SurfaceSegmentationStorage }))
		*t = ERT_Surface;
	else if (uid_in(sop, { UID_TractographyResultsStorage }))
		*t = ERT_Tract;
	else if (uid_in(sop, { UID_MRSpectroscopyStorage }))
		*t = ERT_Spectroscopy;
	else if (uid_prefix(sop, "1.2.840.10008.5.1.4.1.1.104"))
		*t = ERT_EncapDoc;
	else if (uid_in(sop, { UID_RealWorldValueMappingStorage }))
		*t = ERT_ValueMap;
	else if (uid_in(sop, { UID_HangingProtocolStorage }))
		*t = ERT_HangingProtocol;
	else if (uid_in(sop, { UID_StereometricRelationshipStorage }))
		*t = ERT_Stereometric;
	else if (uid_in(sop, { UID_SurfaceScanMeshStorage, UID_SurfaceScanPointCloudStorage }))
		*t = ERT_SurfaceScan;
	else if (uid_prefix(sop, "1.2.840.10008.5.1.4.1.1.78") || uid_prefix(sop, "1.2.840.10008.5.1.4.1.1.79") ||
	         uid_prefix(sop, "1.2.840.10008.5.1.4.1.1.80") || uid_prefix(sop, "1.2.840.10008.5.1.4.1.1.81") ||
	         uid_prefix(sop, "1.2.840.10008.5.1.4.1.1.82"))
		*t = dcmIsImageStorageSOPClassUID(sop) ? ERT_Image : ERT_Measurement;
	else if (uid_in(sop, { UID_GenericImplantTemplateStorage }))
		*t = ERT_Implant;
	else if (uid_in(sop, { UID_ImplantAssemblyTemplateStorage }))
		*t = ERT_ImplantAssy;
	else if (uid_in(sop, { UID_ImplantTemplateGroupStorage }))
		*t = ERT_ImplantGroup;
	else if (uid_in(sop, { UID_ContentAssessmentResultsStorage }))
		*t = ERT_Assessment;
	else if (uid_in(sop, { UID_MicroscopyBulkSimpleAnnotationsStorage }))
		*t = ERT_Annotation;
	else if (uid_in(sop, { "1.2.840.10008.5.1.4.39.1" /* Color Palette */ }))
		*t = ERT_Palette;
	else if (dcmIsImageStorageSOPClassUID(sop))
		*t = ERT_Image;
	else
		return false;
	return true;
}

const char *mime_of(const char *sop)
{
	if (strcmp(sop, UID_EncapsulatedCDAStorage) == 0)
		return "text/XML";
	if (strcmp(sop, UID_EncapsulatedSTLStorage) == 0)
		return "model/stl";
	if (strcmp(sop, UID_EncapsulatedOBJStorage) == 0)
		return "model/obj";
	if (strcmp(sop, UID_EncapsulatedMTLStorage) == 0)
		return "model/mtl";
	return "application/pdf";
}

/* DICOM form of a '/'-separated PS3.10 file id, or "" if it is not one
 * (1 to 8 components of 1 to 8 characters from A-Z 0-9 _). */
std::string dicom_file_id(const char *fid)
{
	std::string r;
	size_t comp = 0, len = 0;
	for (const char *p = fid; *p; p++) {
		char c = *p;
		if (c == '/') {
			if (len == 0)
				return "";
			r += '\\';
			len = 0;
			continue;
		}
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return "";
		if (len == 0 && ++comp > 8)
			return "";
		if (++len > 8)
			return "";
		r += c;
	}
	return len ? r : "";
}

bool ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

uint64_t fnv1a(const std::string &s)
{
	uint64_t h = 14695981039346656037ull;
	for (unsigned char c : s) {
		h ^= c;
		h *= 1099511628211ull;
	}
	return h;
}

/* One directory record: which group or input it stands for, and its place
 * in the tree (indices into the pre-order list of records). Only these few
 * bytes live for the whole DICOMDIR; each record's DCMTK item is made when
 * it is measured and again when it is written, then freed, so memory does
 * not grow with the number of files (the whole tree in DCMTK objects took
 * about 2.5 KB a record). */
struct dnode {
	E_DirRecType type;
	uint32_t idx;               /* patient, study or series group; the input (recs index) for the rest */
	uint32_t next = UINT32_MAX; /* the next record under the same parent */
	uint32_t lower = UINT32_MAX;/* the first record under it */
	uint32_t len = 0;           /* its encoded length, item header included */
	uint32_t off = 0;           /* where it starts in the file */
};

static const char *type_name(E_DirRecType t)
{
	switch (t) {
	case ERT_Patient: return "PATIENT";
	case ERT_Study: return "STUDY";
	case ERT_Series: return "SERIES";
	case ERT_Image: return "IMAGE";
	case ERT_SRDocument: return "SR DOCUMENT";
	case ERT_Presentation: return "PRESENTATION";
	case ERT_Waveform: return "WAVEFORM";
	case ERT_RTDose: return "RT DOSE";
	case ERT_RTStructureSet: return "RT STRUCTURE SET";
	case ERT_RTPlan: return "RT PLAN";
	case ERT_RTTreatRecord: return "RT TREAT RECORD";
	case ERT_KeyObjectDoc: return "KEY OBJECT DOC";
	case ERT_Registration: return "REGISTRATION";
	case ERT_Fiducial: return "FIDUCIAL";
	case ERT_RawData: return "RAW DATA";
	case ERT_Spectroscopy: return "SPECTROSCOPY";
	case ERT_EncapDoc: return "ENCAP DOC";
	case ERT_ValueMap: return "VALUE MAP";
	case ERT_HangingProtocol: return "HANGING PROTOCOL";
	case ERT_Stereometric: return "STEREOMETRIC";
	case ERT_Palette: return "PALETTE";
	case ERT_Surface: return "SURFACE";
	case ERT_Measurement: return "MEASUREMENT";
	case ERT_Implant: return "IMPLANT";
	case ERT_ImplantGroup: return "IMPLANT GROUP";
	case ERT_ImplantAssy: return "IMPLANT ASSY";
	case ERT_SurfaceScan: return "SURFACE SCAN";
	case ERT_Tract: return "TRACT";
	case ERT_Assessment: return "ASSESSMENT";
	case ERT_Radiotherapy: return "RADIOTHERAPY";
	case ERT_Annotation: return "ANNOTATION";
	default: return "PRIVATE";
	}
}

/* One record's item, keys put in as DCMTK's own writer would. text8: a
 * key is not ASCII (struct dcm_info strings are UTF-8), so the record says
 * its character set. */
struct item_maker {
	DcmItem *it;
	bool text8 = false;

	item_maker(E_DirRecType type, uint32_t next, uint32_t lower) : it(new DcmItem(DcmTag(DCM_Item)))
	{
		DcmUnsignedLong *n = new DcmUnsignedLong(DcmTag(DCM_OffsetOfTheNextDirectoryRecord, EVR_UL));
		n->putUint32(next);
		it->insert(n);
		DcmUnsignedShort *inuse = new DcmUnsignedShort(DcmTag(DCM_RecordInUseFlag, EVR_US));
		inuse->putUint16(0xFFFF);
		it->insert(inuse);
		DcmUnsignedLong *l = new DcmUnsignedLong(DcmTag(DCM_OffsetOfReferencedLowerLevelDirectoryEntity, EVR_UL));
		l->putUint32(lower);
		it->insert(l);
		it->putAndInsertString(DCM_DirectoryRecordType, type_name(type));
	}
	item_maker(const item_maker &) = delete;
	item_maker &operator=(const item_maker &) = delete;
	~item_maker()
	{
		delete it;
	}

	void put(const DcmTagKey &k, const char *v)
	{
		if (!ascii(v))
			text8 = true;
		it->putAndInsertString(k, v);
	}

	/* The file's value, or the invented one when it has none (type 1 keys). */
	void put_or(const DcmTagKey &k, const char *v, const char *invented)
	{
		put(k, v[0] ? v : invented);
	}

	void put_int(const DcmTagKey &k, long v)
	{
		char b[24];
		snprintf(b, sizeof b, "%ld", v);
		it->putAndInsertString(k, b);
	}

	DcmItem *done()
	{
		if (text8)
			it->putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 192");
		DcmItem *r = it;
		it = nullptr;
		return r;
	}
};

/* Encode obj (explicit VR little endian, explicit lengths) with write(os),
 * handing the bytes to sink piece by piece (at most 64 KiB held); sink
 * returns false to stop. */
template <class Write, class Sink> OFCondition encode(DcmObject &obj, Write write, Sink sink)
{
	std::vector<char> chunk(64u << 10);
	DcmOutputBufferStream os(chunk.data(), (offile_off_t)chunk.size());
	obj.transferInit();
	OFCondition c;
	void *p;
	offile_off_t l;
	for (;;) {
		c = write(os);
		if (c != EC_StreamNotifyClient)
			break;
		os.flushBuffer(p, l);
		if (l > 0 && !sink((const uint8_t *)p, (size_t)l)) {
			c = EC_IllegalCall;
			break;
		}
	}
	if (c.good()) {
		os.flush();
		os.flushBuffer(p, l);
		if (l > 0 && !sink((const uint8_t *)p, (size_t)l))
			c = EC_IllegalCall;
	}
	obj.transferEnd();
	return c;
}

/* The DICOMDIR's file: meta group and the dataset up to its record sequence. */
template <class Sink> OFCondition encode_file(DcmFileFormat &ff, Sink sink)
{
	/* EWM_fileformat: keep our Media Storage SOP Class / Instance UID (the
	 * default re-creates the meta group from the dataset, which has no SOP
	 * Class UID, and would call the file "private generic"). */
	return encode(ff, [&](DcmOutputStream &os) {
		return ff.write(os, EXS_LittleEndianExplicit, EET_ExplicitLength, nullptr, EGL_withoutGL, EPD_noChange,
		                0, 0, 0, EWM_fileformat);
	}, sink);
}

template <class Sink> OFCondition encode_item(DcmItem &it, Sink sink)
{
	return encode(it, [&](DcmOutputStream &os) {
		return it.write(os, EXS_LittleEndianExplicit, EET_ExplicitLength, nullptr);
	}, sink);
}

bool write_full(int fd, const uint8_t *p, size_t n, int *err)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			*err = -errno;
			return false;
		}
		p += k;
		n -= (size_t)k;
	}
	return true;
}

/* Inputs grouped: a patient's studies, a study's series, a series' inputs. */
struct grp {
	std::vector<size_t> kids; /* studies of a patient / series of a study / inputs of a series */
	size_t first;
};

/* The DICOMDIR being made: the inputs, grouped, and its records as a tree
 * of indices (dnode). */
struct dirtree {
	const struct dcm_dir_rec *recs;
	std::vector<grp> pats, studies, series;
	std::vector<E_DirRecType> type;   /* each input's record type */
	std::vector<std::string> fids;    /* each input's file id, DICOM form */
	size_t added = 0;                 /* inputs accepted */
	std::vector<dnode> nodes;         /* the records in pre-order */
	std::vector<uint32_t> roots;      /* the PATIENT records */
};

/* 1. Check each input and group it: patient key (as place_dicom: name |
 * id | birth date), then Study Instance UID within the patient, then
 * Series Instance UID within the study. Hash maps: linear in n. A refused
 * input is reported and left out. */
void group_inputs(dirtree &t, size_t n, void (*refused)(void *ud, size_t idx, const char *why), void *ud)
{
	const struct dcm_dir_rec *recs = t.recs;
	std::unordered_map<std::string, size_t> pat_map, study_map, series_map;
	t.type.assign(n, ERT_Image);
	t.fids.resize(n);
	auto refuse = [&](size_t i, const std::string &why) {
		if (refused)
			refused(ud, i, why.c_str());
	};
	for (size_t i = 0; i < n; i++) {
		const struct dcm_info *d = recs[i].info;
		if (!d || !recs[i].file_id) {
			refuse(i, "no DICOM header");
			continue;
		}
		t.fids[i] = dicom_file_id(recs[i].file_id);
		if (t.fids[i].empty()) {
			refuse(i, std::string("not a PS3.10 file id: ") + recs[i].file_id);
			continue;
		}
		if (!d->sop_class_uid[0] || !d->sop_instance_uid[0]) {
			refuse(i, "SOP Class or SOP Instance UID missing");
			continue;
		}
		if (!d->study_uid[0] || !d->series_uid[0]) {
			refuse(i, "Study or Series Instance UID missing");
			continue;
		}
		if (!record_type_of(d->sop_class_uid, &t.type[i])) {
			refuse(i, std::string("SOP class ") + d->sop_class_uid +
			                  " has no DICOMDIR record type (not a known storage SOP class)");
			continue;
		}
		std::string pk = std::string(d->patient_name) + '|' + d->patient_id + '|' + d->patient_birth_date;
		auto pi = pat_map.emplace(pk, t.pats.size());
		if (pi.second)
			t.pats.push_back(grp{ {}, i });
		size_t p = pi.first->second;
		std::string sk = std::to_string(p) + '|' + d->study_uid;
		auto si = study_map.emplace(sk, t.studies.size());
		if (si.second) {
			t.studies.push_back(grp{ {}, i });
			t.pats[p].kids.push_back(t.studies.size() - 1);
		}
		size_t s = si.first->second;
		std::string rk = std::to_string(s) + '|' + d->series_uid;
		auto ri = series_map.emplace(rk, t.series.size());
		if (ri.second) {
			t.series.push_back(grp{ {}, i });
			t.studies[s].kids.push_back(t.series.size() - 1);
		}
		t.series[ri.first->second].kids.push_back(i);
		t.added++;
	}
}

/* 2. Records in pre-order (the order of the Directory Record Sequence):
 * the tree as indices only. Returns 0, or -E2BIG. */
int link_records(dirtree &t)
{
	std::vector<dnode> &nodes = t.nodes;
	if (t.pats.size() + t.studies.size() + t.series.size() + t.added >= UINT32_MAX)
		return -E2BIG;
	nodes.reserve(t.pats.size() + t.studies.size() + t.series.size() + t.added);
	auto push = [&](E_DirRecType ty, size_t idx, uint32_t *prev, uint32_t parent) {
		uint32_t me = (uint32_t)nodes.size();
		nodes.push_back(dnode{ ty, (uint32_t)idx });
		if (*prev != UINT32_MAX)
			nodes[*prev].next = me;
		else if (parent != UINT32_MAX)
			nodes[parent].lower = me;
		*prev = me;
		return me;
	};
	uint32_t prev_p = UINT32_MAX;
	for (size_t p = 0; p < t.pats.size(); p++) {
		uint32_t pn = push(ERT_Patient, p, &prev_p, UINT32_MAX), prev_s = UINT32_MAX;
		t.roots.push_back(pn);
		for (size_t st : t.pats[p].kids) {
			uint32_t sn = push(ERT_Study, st, &prev_s, pn), prev_q = UINT32_MAX;
			for (size_t q : t.studies[st].kids) {
				uint32_t qn = push(ERT_Series, q, &prev_q, sn), prev_i = UINT32_MAX;
				for (size_t i : t.series[q].kids)
					push(t.type[i], i, &prev_i, qn);
			}
		}
	}
	return 0;
}

/* The running values of make_record(): the study's date for its instances,
 * series and instance numbers. */
struct cursor {
	const char *date = "", *time = "";   /* the current study's */
	long series_no = 0, pos = 0;
};

/* One record's item. Called over the records in pre-order (twice: to
 * measure, then to write), so the running values (the study's date for
 * its instances, series and instance numbers) come out the same.
 * Type 1 keys missing in a file are invented as DCMTK's invent mode
 * (dcmmkdir +I) does:
 *   PatientID        "ING" + 16 hex digits of a hash of the patient key
 *                    (DCMTK: "DCMTKPAT" + a counter; a hash keeps it
 *                    stable across runs)
 *   StudyDate        the file's Series Date, else Content Date, else
 *                    "19000101"
 *   StudyTime        the file's Content Time, else "000000"
 *   StudyID          "STUDY" + the study's number in this DICOMDIR
 *                    (DCMTK: "DCMTKSTUDY" + a counter)
 *   Modality         "OT"
 *   SeriesNumber     a running number over the DICOMDIR (as DCMTK)
 *   InstanceNumber   the file's position in its series, from 1
 *   ContentDate/Time the study's date and time (SR, KO, ENCAP DOC,
 *                    PRESENTATION creation date/time)
 *   CompletionFlag "PARTIAL", VerificationFlag "UNVERIFIED" (SR),
 *   ContentLabel "UNNAMED" (PRESENTATION)
 * The file's PatientName, StudyDescription and AccessionNumber (type 2)
 * are written as they are, empty if absent. */
DcmItem *make_record(const dirtree &t, const dnode &nd, cursor &cur)
{
	const struct dcm_dir_rec *recs = t.recs;
	auto offset_of = [&](uint32_t k) { return k == UINT32_MAX ? 0u : t.nodes[k].off; };
	item_maker m(nd.type, offset_of(nd.next), offset_of(nd.lower));
	switch (nd.type) {
	case ERT_Patient: {
		const struct dcm_info *pd = recs[t.pats[nd.idx].first].info;
		m.put(DCM_PatientName, pd->patient_name);
		char pid[24];
		std::string pk = std::string(pd->patient_name) + '|' + pd->patient_id + '|' + pd->patient_birth_date;
		snprintf(pid, sizeof pid, "ING%016llX", (unsigned long long)fnv1a(pk));
		m.put_or(DCM_PatientID, pd->patient_id, pid);
		return m.done();
	}
	case ERT_Study: {
		const struct dcm_info *sd = recs[t.studies[nd.idx].first].info;
		cur.date = sd->study_date[0] ? sd->study_date
		           : sd->series_date[0] ? sd->series_date
		           : sd->content_date[0] ? sd->content_date : "19000101";
		cur.time = sd->study_time[0] ? sd->study_time : sd->content_time[0] ? sd->content_time : "000000";
		m.put(DCM_StudyDate, cur.date);
		m.put(DCM_StudyTime, cur.time);
		m.put(DCM_AccessionNumber, sd->accession);
		m.put(DCM_StudyDescription, sd->study_description);
		m.put(DCM_StudyInstanceUID, sd->study_uid);
		char sid[24];
		snprintf(sid, sizeof sid, "STUDY%u", nd.idx + 1);
		m.put_or(DCM_StudyID, sd->study_id, sid);
		return m.done();
	}
	case ERT_Series: {
		const struct dcm_info *qd = recs[t.series[nd.idx].first].info;
		cur.series_no++;
		cur.pos = 0;
		m.put_or(DCM_Modality, qd->modality, "OT");
		m.put(DCM_SeriesInstanceUID, qd->series_uid);
		m.put_int(DCM_SeriesNumber, qd->has_series_number ? (long)qd->series_number : cur.series_no);
		return m.done();
	}
	default:
		break;
	}
	const struct dcm_info *d = recs[nd.idx].info;
	cur.pos++;
	m.it->putAndInsertString(DCM_ReferencedFileID, t.fids[nd.idx].c_str());
	m.it->putAndInsertString(DCM_ReferencedSOPClassUIDInFile, d->sop_class_uid);
	m.it->putAndInsertString(DCM_ReferencedSOPInstanceUIDInFile, d->sop_instance_uid);
	m.it->putAndInsertString(DCM_ReferencedTransferSyntaxUIDInFile, d->transfer_syntax);
	m.put_int(DCM_InstanceNumber, d->has_instance_number ? (long)d->instance_number : cur.pos);
	const char *cdate = d->content_date[0] ? d->content_date : cur.date;
	const char *ctime = d->content_time[0] ? d->content_time : cur.time;
	switch (nd.type) {
	case ERT_SRDocument:
		m.put(DCM_ContentDate, cdate);
		m.put(DCM_ContentTime, ctime);
		m.put_or(DCM_CompletionFlag, d->completion_flag, "PARTIAL");
		m.put_or(DCM_VerificationFlag, d->verification_flag, "UNVERIFIED");
		break;
	case ERT_KeyObjectDoc:
		m.put(DCM_ContentDate, cdate);
		m.put(DCM_ContentTime, ctime);
		break;
	case ERT_EncapDoc:
		m.put(DCM_ContentDate, d->content_date);
		m.put(DCM_ContentTime, d->content_time);
		m.put(DCM_DocumentTitle, "");
		m.put(DCM_MIMETypeOfEncapsulatedDocument, mime_of(d->sop_class_uid));
		m.it->insertEmptyElement(DCM_ConceptNameCodeSequence);
		break;
	case ERT_Presentation:
		m.put(DCM_PresentationCreationDate, cdate);
		m.put(DCM_PresentationCreationTime, ctime);
		m.put_or(DCM_ContentLabel, d->content_label, "UNNAMED");
		m.put(DCM_ContentDescription, "");
		m.put(DCM_ContentCreatorName, "");
		break;
	default:
		if (d->content_date[0])
			m.put(DCM_ContentDate, d->content_date);
		if (d->content_time[0])
			m.put(DCM_ContentTime, d->content_time);
		break;
	}
	return m.done();
}

/* 3. Measure each record (offsets are 4-byte UL: their values do not
 * change a length). Returns the records' sum. */
uint64_t measure_records(dirtree &t)
{
	cursor c1;
	uint64_t sum = 0;
	for (dnode &nd : t.nodes) {
		std::unique_ptr<DcmItem> it(make_record(t, nd, c1));
		nd.len = it->calcElementLength(EXS_LittleEndianExplicit, EET_ExplicitLength);
		sum += nd.len;
	}
	return sum;
}

/* 4. The head of the file: meta group, File-set identification, root
 * offsets, and the Directory Record Sequence's own header, its length
 * left 0 (the sequence is the last element: its header is the last 12
 * bytes, the length the last 4) and set to the records' sum (sum) here.
 * Places each record (its off) after it. Returns 0, or -EIO. */
int encode_head(dirtree &t, const char *fileset_id, uint64_t sum, std::vector<uint8_t> *head)
{
	DcmFileFormat ff;
	DcmMetaInfo *meta = ff.getMetaInfo();
	DcmDataset *ds = ff.getDataset();
	char uid[100];
	meta->putAndInsertString(DCM_MediaStorageSOPClassUID, UID_MediaStorageDirectoryStorage);
	meta->putAndInsertString(DCM_MediaStorageSOPInstanceUID, dcmGenerateUniqueIdentifier(uid, SITE_INSTANCE_UID_ROOT));
	ds->putAndInsertString(DCM_FileSetID, fileset_id);
	DcmUnsignedLong *first = new DcmUnsignedLong(DcmTag(DCM_OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity, EVR_UL));
	DcmUnsignedLong *last = new DcmUnsignedLong(DcmTag(DCM_OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity, EVR_UL));
	first->putUint32(0);
	last->putUint32(0);
	ds->insert(first);
	ds->insert(last);
	ds->putAndInsertUint16(DCM_FileSetConsistencyFlag, 0);
	ds->insert(new DcmSequenceOfItems(DCM_DirectoryRecordSequence));
	auto to_head = [&](const uint8_t *p, size_t l) {
		head->insert(head->end(), p, p + l);
		return true;
	};
	if (encode_file(ff, to_head).bad())
		return -EIO;
	uint64_t head_len = head->size();
	if (head_len + sum > 0xFFFFFFFFull)
		return -EIO;  /* offsets are 32-bit: a DICOMDIR over 4 GiB cannot be written */
	uint64_t off = head_len;
	for (dnode &nd : t.nodes) {
		nd.off = (uint32_t)off;
		off += nd.len;
	}
	first->putUint32(t.nodes[t.roots.front()].off);
	last->putUint32(t.nodes[t.roots.back()].off);
	head->clear();
	static const uint8_t sq_head[12] = { 0x04, 0x00, 0x20, 0x12, 'S', 'Q', 0, 0, 0, 0, 0, 0 };
	if (encode_file(ff, to_head).bad() || head->size() != head_len || head_len < 12 ||
	    memcmp(head->data() + head_len - 12, sq_head, 12) != 0)
		return -EIO;
	for (int k = 0; k < 4; k++)
		(*head)[head_len - 4 + k] = (uint8_t)(sum >> (8 * k));
	return 0;
}

/* 5. Write: the head, then each record made again with its offsets,
 * checked to have the length it was placed with. Returns 0, or -EIO or
 * the -errno of open/write/close (then no file is left). */
int write_file(const char *path, const dirtree &t, const std::vector<uint8_t> &head, uint64_t sum,
               void (*written)(void *ud, const void *bytes, size_t len), void *ud)
{
	const std::vector<dnode> &nodes = t.nodes;
	uint64_t head_len = head.size();
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	int err = 0;
	uint64_t pos = 0;
	auto out = [&](const uint8_t *p, size_t l) {
		if (!write_full(fd, p, l, &err))
			return false;
		if (written)
			written(ud, p, l);
		pos += l;
		return true;
	};
	bool ok = out(head.data(), head.size());
	cursor c2;
	try {
		for (size_t k = 0; ok && k < nodes.size(); k++) {
			std::unique_ptr<DcmItem> it(make_record(t, nodes[k], c2));
			uint64_t at = pos;
			ok = encode_item(*it, out).good() && pos - at == nodes[k].len && at == nodes[k].off;
		}
	} catch (...) {
		/* out of memory part-way: no half-written DICOMDIR left behind */
		close(fd);
		unlink(path);
		throw;
	}
	if (close(fd) < 0 && err == 0)
		err = -errno;
	if (err == 0 && (!ok || pos != head_len + sum))
		err = -EIO;
	if (err < 0) {
		unlink(path);
		return err;
	}
	return 0;
}

int dicomdir_write_records(const char *path, const struct dcm_dir_rec *recs, size_t n, const char *fileset_id,
                           void (*refused)(void *ud, size_t idx, const char *why),
                           void (*written)(void *ud, const void *bytes, size_t len), void *ud, size_t *added)
{
	dcmtk_init();
	*added = 0;
	if (!path || (!recs && n) || !fileset_id)
		return -EINVAL;
	dirtree t;
	t.recs = recs;
	group_inputs(t, n, refused, ud);
	*added = t.added;
	if (t.added == 0)
		return 0;
	int r = link_records(t);
	if (r < 0)
		return r;
	uint64_t sum = measure_records(t);
	std::vector<uint8_t> head;
	r = encode_head(t, fileset_id, sum, &head);
	if (r < 0)
		return r;
	return write_file(path, t, head, sum, written, ud);
}

} // namespace

extern "C" int dcm_dicomdir_write_records(const char *path, const struct dcm_dir_rec *recs, size_t n,
                                          const char *fileset_id,
                                          void (*refused)(void *ud, size_t idx, const char *why),
                                          void (*written)(void *ud, const void *bytes, size_t len), void *ud,
                                          size_t *added)
{
	size_t a = 0;
	int r;
	try {
		r = dicomdir_write_records(path, recs, n, fileset_id, refused, written, ud, &a);
	} catch (const std::bad_alloc &) {
		r = -ENOMEM;
	} catch (...) {
		r = -EIO;
	}
	if (added)
		*added = r == 0 ? a : 0;
	return r;
}
