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
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcvrul.h>
#include <dcmtk/dcmdata/dcvrus.h>

namespace {

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
		it->putAndInsertString(DCM_DirectoryRecordType, dcm_record_type_name(type));
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
		int rt = dcm_record_type(d->sop_class_uid);
		if (rt >= 0)
			t.type[i] = (E_DirRecType)rt;
		if (rt < 0) {
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
 * series and instance numbers; where notes go (the writing pass only). */
struct cursor {
	const char *date = "", *time = "";   /* the current study's */
	long series_no = 0, pos = 0;
	void (*noted)(void *ud, size_t idx, const char *note) = nullptr;
	void *ud = nullptr;

	void note(size_t idx, const std::string &s)
	{
		if (noted)
			noted(ud, idx, s.c_str());
	}
};

/* DA and TM as a DICOMDIR must have them: the ACR-NEMA forms some old
 * objects carry ("1997.04.24", "14:04:38") are the same values without
 * their separators. */
std::string norm_da(const char *v)
{
	std::string s(v);
	if (s.size() == 10 && s[4] == '.' && s[7] == '.') {
		s.erase(7, 1);
		s.erase(4, 1);
	}
	return s;
}

std::string norm_tm(const char *v)
{
	std::string s;
	for (const char *p = v; *p; p++)
		if (*p != ':')
			s += *p;
	return s;
}

std::string key_name(const DcmTagKey &k)
{
	DcmTag t(k);
	const char *n = t.getTagName();
	return n ? n : k.toString().c_str();
}

/* The record-type keys the object carried (dcm_record_keys(), read during
 * the scan) into the record; DA/TM values in the ACR-NEMA form
 * normalised. Returns false when the bytes do not parse (then none). */
bool put_object_keys(item_maker &m, const struct dcm_info *d)
{
	if (!d->dir_keys || !d->dir_keys_len)
		return true;
	DcmDataset ds;
	DcmInputBufferStream is;
	is.setBuffer(d->dir_keys, (offile_off_t)d->dir_keys_len);
	is.setEos();
	ds.transferInit();
	OFCondition c = ds.read(is, EXS_LittleEndianExplicit, EGL_noChange, DCM_MaxReadLength);
	ds.transferEnd();
	if (c.bad() && c != EC_EndOfStream)
		return false;
	while (ds.card() > 0) {
		DcmElement *el = ds.remove((unsigned long)0);
		if (!el)
			break;
		if (el->isaString()) {
			OFString v;
			el->getOFStringArray(v);
			if (el->ident() == EVR_DA)
				el->putString(norm_da(v.c_str()).c_str());
			else if (el->ident() == EVR_TM)
				el->putString(norm_tm(v.c_str()).c_str());
			else if (!ascii(v.c_str()))
				m.text8 = true;
		}
		if (m.it->insert(el, OFTrue).bad())
			delete el;
	}
	return true;
}

/* Does the record have a non-empty value of k? */
bool has_value(DcmItem *it, const DcmTagKey &k)
{
	DcmElement *el = nullptr;
	if (it->findAndGetElement(k, el).bad() || !el)
		return false;
	if (el->ident() == EVR_SQ)
		return OFstatic_cast(DcmSequenceOfItems *, el)->card() > 0;
	return el->getLength() > 0;
}

/* One record's item. Called over the records in pre-order (twice: to
 * measure, then to write), so the running values (the study's date for
 * its instances, series and instance numbers) come out the same.
 * Every key is the object's own value (PS3.3 F.5). Where the object lacks
 * a Type 1 key, what the record carries instead is said through
 * cur.note() (in the report: package.dicomdir_notes), never silently:
 *   PatientID        left empty: never invented (an id no instance
 *                    carries would be taken for the patient's)
 *   StudyDate/Time   the object's Series Date, else Content Date; else
 *                    "19000101" / "000000"
 *   StudyID          "STUDY" + the study's number in this DICOMDIR
 *   Modality         "OT"
 *   SeriesNumber     a running number over the DICOMDIR (as DCMTK)
 *   InstanceNumber   the file's position in its series, from 1
 *   Content Date/Time (and a presentation's Creation Date/Time) the
 *                    study's date and time
 *   CompletionFlag "PARTIAL", VerificationFlag "UNVERIFIED" (SR),
 *   ContentLabel "UNNAMED", MIME type from the SOP class (ENCAP DOC)
 *   any other Type 1 key (RT labels, Dose Summation Type, Concept Name
 *   Code Sequence...) is left out of the record, and noted.
 * Type 2 keys the object lacks are written empty. */
DcmItem *make_record(const dirtree &t, const dnode &nd, cursor &cur)
{
	const struct dcm_dir_rec *recs = t.recs;
	auto offset_of = [&](uint32_t k) { return k == UINT32_MAX ? 0u : t.nodes[k].off; };
	item_maker m(nd.type, offset_of(nd.next), offset_of(nd.lower));
	switch (nd.type) {
	case ERT_Patient: {
		size_t first = t.pats[nd.idx].first;
		const struct dcm_info *pd = recs[first].info;
		m.put(DCM_PatientName, pd->patient_name);
		m.put(DCM_PatientID, pd->patient_id);
		if (!pd->patient_id[0])
			cur.note(first, "PATIENT record: the objects of this patient carry no Patient ID (0010,0020); "
			                "the record has it empty (Type 1 in PS3.3 F.5), not an invented one");
		return m.done();
	}
	case ERT_Study: {
		size_t first = t.studies[nd.idx].first;
		const struct dcm_info *sd = recs[first].info;
		const char *from = sd->study_date[0] ? nullptr : sd->series_date[0] ? "Series Date"
		                   : sd->content_date[0] ? "Content Date" : "none";
		cur.date = sd->study_date[0] ? sd->study_date
		           : sd->series_date[0] ? sd->series_date
		           : sd->content_date[0] ? sd->content_date : "19000101";
		cur.time = sd->study_time[0] ? sd->study_time : sd->content_time[0] ? sd->content_time : "000000";
		if (from)
			cur.note(first, std::string("STUDY record: the object has no Study Date; ") +
			                (strcmp(from, "none") == 0 ? "19000101 written (no date in the object)"
			                                           : std::string("its ") + from + " written"));
		if (!sd->study_time[0])
			cur.note(first, std::string("STUDY record: the object has no Study Time; ") +
			                (sd->content_time[0] ? "its Content Time written" : "000000 written"));
		m.put(DCM_StudyDate, norm_da(cur.date).c_str());
		m.put(DCM_StudyTime, norm_tm(cur.time).c_str());
		m.put(DCM_AccessionNumber, sd->accession);
		m.put(DCM_StudyDescription, sd->study_description);
		m.put(DCM_StudyInstanceUID, sd->study_uid);
		char sid[24];
		snprintf(sid, sizeof sid, "STUDY%u", nd.idx + 1);
		if (!sd->study_id[0])
			cur.note(first, std::string("STUDY record: the object has no Study ID; ") + sid + " written");
		m.put_or(DCM_StudyID, sd->study_id, sid);
		return m.done();
	}
	case ERT_Series: {
		size_t first = t.series[nd.idx].first;
		const struct dcm_info *qd = recs[first].info;
		cur.series_no++;
		cur.pos = 0;
		if (!qd->modality[0])
			cur.note(first, "SERIES record: the object has no Modality; OT written");
		m.put_or(DCM_Modality, qd->modality, "OT");
		m.put(DCM_SeriesInstanceUID, qd->series_uid);
		if (!qd->has_series_number)
			cur.note(first, "SERIES record: the object has no Series Number; " + std::to_string(cur.series_no) +
			                        " written (its place in the DICOMDIR)");
		m.put_int(DCM_SeriesNumber, qd->has_series_number ? (long)qd->series_number : cur.series_no);
		return m.done();
	}
	default:
		break;
	}
	size_t idx = nd.idx;
	const struct dcm_info *d = recs[idx].info;
	const char *rname = dcm_record_type_name(nd.type);
	cur.pos++;
	m.it->putAndInsertString(DCM_ReferencedFileID, t.fids[idx].c_str());
	m.it->putAndInsertString(DCM_ReferencedSOPClassUIDInFile, d->sop_class_uid);
	m.it->putAndInsertString(DCM_ReferencedSOPInstanceUIDInFile, d->sop_instance_uid);
	m.it->putAndInsertString(DCM_ReferencedTransferSyntaxUIDInFile, d->transfer_syntax);
	if (!d->has_instance_number)
		cur.note(idx, std::string(rname) + " record: the object has no Instance Number; " + std::to_string(cur.pos) +
		                      " written (its place in the series)");
	m.put_int(DCM_InstanceNumber, d->has_instance_number ? (long)d->instance_number : cur.pos);
	if (!put_object_keys(m, d))
		cur.note(idx, std::string(rname) + " record: the keys read from the object could not be decoded");
	size_t nk = 0;
	const struct dcm_rec_key *keys = dcm_record_key_table(nd.type, &nk);
	for (size_t k = 0; k < nk; k++) {
		DcmTagKey tag(keys[k].group, keys[k].elem);
		if (has_value(m.it, tag))
			continue;
		const char *fill = nullptr;
		std::string why;
		if (keys[k].type == '2') {
			if (!m.it->tagExists(tag))
				m.it->insertEmptyElement(tag);
			continue;
		}
		if (keys[k].type != '1')
			continue;
		if (tag == DCM_ContentDate || tag == DCM_PresentationCreationDate) {
			fill = d->content_date[0] ? d->content_date : cur.date;
			why = d->content_date[0] ? "its Content Date" : "the study's date";
		} else if (tag == DCM_ContentTime || tag == DCM_PresentationCreationTime) {
			fill = d->content_time[0] ? d->content_time : cur.time;
			why = d->content_time[0] ? "its Content Time" : "the study's time";
		} else if (tag == DCM_CompletionFlag) {
			fill = "PARTIAL";
		} else if (tag == DCM_VerificationFlag) {
			fill = "UNVERIFIED";
		} else if (tag == DCM_ContentLabel) {
			fill = "UNNAMED";
		} else if (tag == DCM_MIMETypeOfEncapsulatedDocument) {
			fill = mime_of(d->sop_class_uid);
			why = "the SOP class's";
		}
		if (fill) {
			std::string v = tag == DCM_ContentTime || tag == DCM_PresentationCreationTime ? norm_tm(fill)
			                : tag == DCM_ContentDate || tag == DCM_PresentationCreationDate ? norm_da(fill)
			                : std::string(fill);
			m.it->putAndInsertString(tag, v.c_str());
			cur.note(idx, std::string(rname) + " record: the object has no " + key_name(tag) + "; " +
			                      (why.empty() ? v : why + " (" + v + ")") + " written");
		} else {
			m.it->findAndDeleteElement(tag);
			cur.note(idx, std::string(rname) + " record: the object has no " + key_name(tag) +
			                      " (Type 1 in PS3.3 F.5); the record lacks it");
		}
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
int encode_head(dirtree &t, const char *fileset_id, const char *fileset_uid, uint64_t sum, std::vector<uint8_t> *head)
{
	DcmFileFormat ff;
	DcmMetaInfo *meta = ff.getMetaInfo();
	DcmDataset *ds = ff.getDataset();
	meta->putAndInsertString(DCM_MediaStorageSOPClassUID, UID_MediaStorageDirectoryStorage);
	/* the caller's, derived from the content: the same files give the same bytes */
	meta->putAndInsertString(DCM_MediaStorageSOPInstanceUID, fileset_uid);
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
               const struct dcm_dir_opts *o)
{
	void (*written)(void *ud, const void *bytes, size_t len) = o->written;
	void *ud = o->ud;
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
	c2.noted = o->noted;    /* said once: on this pass, not while measuring */
	c2.ud = o->ud;
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

int dicomdir_write_records(const char *path, const struct dcm_dir_rec *recs, size_t n,
                           const struct dcm_dir_opts *o, size_t *added)
{
	dcmtk_init();
	*added = 0;
	if (!path || (!recs && n) || !o || !o->fileset_id || !o->fileset_uid || !o->fileset_uid[0])
		return -EINVAL;
	dirtree t;
	t.recs = recs;
	group_inputs(t, n, o->refused, o->ud);
	*added = t.added;
	if (t.added == 0)
		return 0;
	int r = link_records(t);
	if (r < 0)
		return r;
	uint64_t sum = measure_records(t);
	std::vector<uint8_t> head;
	r = encode_head(t, o->fileset_id, o->fileset_uid, sum, &head);
	if (r < 0)
		return r;
	return write_file(path, t, head, sum, o);
}

} // namespace

extern "C" int dcm_dicomdir_write_records(const char *path, const struct dcm_dir_rec *recs, size_t n,
                                          const struct dcm_dir_opts *o, size_t *added)
{
	size_t a = 0;
	int r;
	try {
		r = dicomdir_write_records(path, recs, n, o, &a);
	} catch (const std::bad_alloc &) {
		r = -ENOMEM;
	} catch (...) {
		r = -EIO;
	}
	if (added)
		*added = r == 0 ? a : 0;
	return r;
}
