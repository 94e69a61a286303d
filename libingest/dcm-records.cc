/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * DICOMDIR directory records (PS3.3 F.5) of the objects the scan reads: the
 * record type of each SOP class, and the keys each record type takes from
 * its object. Shared by dcm-read.cc (which copies those keys out of the
 * object while it has the data set: dcm_record_keys()) and dcm-dicomdir.cc
 * (which writes them into the records). The type of a SOP class follows
 * PS3.3 Table F.4-1 as DCMTK's DicomDirInterface (dcddirif.cc) has it.
 */
#include "dcm-private.h"

#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdirrec.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcvr.h>

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
	if (uid_in(sop, { UID_SegmentationStorage, "1.2.840.10008.5.1.4.1.1.66.7" /* Label Map Segmentation */,
	                  "1.2.840.10008.5.1.4.1.1.66.8" /* Height Map Segmentation */ }))
		*t = ERT_Image;   /* PS3.3 F.5: IMAGE; as DCMTK's dcmmkdir */
	else if (uid_in(sop, { UID_RTBeamsDeliveryInstructionStorage, UID_RTBrachyApplicationSetupDeliveryInstructionStorage,
	                       "1.2.840.10008.5.1.4.34.10" /* DRAFT RT Beams Delivery Instruction */,
	                       "1.2.840.10008.5.1.4.1.1.481.22" /* RT Patient Position Acquisition Instruction */ }))
		*t = ERT_Plan;
	else if (uid_in(sop, { UID_KeyObjectSelectionDocumentStorage }))
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
	                       UID_RTTreatmentPreparationStorage }) ||
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

const char *type_name(E_DirRecType t)
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
	case ERT_Plan: return "PLAN";
	case ERT_SurfaceScan: return "SURFACE SCAN";
	case ERT_Tract: return "TRACT";
	case ERT_Assessment: return "ASSESSMENT";
	case ERT_Radiotherapy: return "RADIOTHERAPY";
	case ERT_Annotation: return "ANNOTATION";
	default: return "PRIVATE";
	}
}

} // namespace

/* The keys of PS3.3 F.5 each instance record type has besides the
 * Referenced File/SOP/Transfer Syntax keys and Instance Number (which
 * dcm-dicomdir.cc writes for every instance record). */
#define K(tag, type) { tag.getGroup(), tag.getElement(), type }
static const struct dcm_rec_key keys_sr[] = {
	K(DCM_CompletionFlag, '1'), K(DCM_VerificationFlag, '1'), K(DCM_ContentDate, '1'), K(DCM_ContentTime, '1'),
	K(DCM_VerificationDateTime, 'C'), K(DCM_ConceptNameCodeSequence, '1'),
};
static const struct dcm_rec_key keys_ko[] = {
	K(DCM_ContentDate, '1'), K(DCM_ContentTime, '1'), K(DCM_ConceptNameCodeSequence, '1'),
};
static const struct dcm_rec_key keys_pr[] = {
	K(DCM_PresentationCreationDate, '1'), K(DCM_PresentationCreationTime, '1'), K(DCM_ContentLabel, '1'),
	K(DCM_ContentDescription, '2'), K(DCM_ContentCreatorName, '2'), K(DCM_ReferencedSeriesSequence, 'C'),
};
static const struct dcm_rec_key keys_date_time[] = {     /* WAVEFORM, RAW DATA, SURFACE SCAN */
	K(DCM_ContentDate, '1'), K(DCM_ContentTime, '1'),
};
static const struct dcm_rec_key keys_rtdose[] = {
	K(DCM_DoseSummationType, '1'), K(DCM_DoseComment, '3'),
};
static const struct dcm_rec_key keys_rtss[] = {
	K(DCM_StructureSetLabel, '1'), K(DCM_StructureSetDate, '2'), K(DCM_StructureSetTime, '2'),
};
static const struct dcm_rec_key keys_rtplan[] = {
	K(DCM_RTPlanLabel, '1'), K(DCM_RTPlanDate, '2'), K(DCM_RTPlanTime, '2'),
};
static const struct dcm_rec_key keys_rttreat[] = {
	K(DCM_TreatmentDate, '2'), K(DCM_TreatmentTime, '2'),
};
static const struct dcm_rec_key keys_labelled[] = {      /* REGISTRATION, FIDUCIAL, VALUE MAP, SURFACE, TRACT */
	K(DCM_ContentDate, '1'), K(DCM_ContentTime, '1'), K(DCM_ContentLabel, '1'), K(DCM_ContentDescription, '2'),
	K(DCM_ContentCreatorName, '2'),
};
static const struct dcm_rec_key keys_measurement[] = {
	K(DCM_ContentDate, '1'), K(DCM_ContentTime, '1'), K(DCM_ConceptNameCodeSequence, '1'),
};
static const struct dcm_rec_key keys_spectroscopy[] = {
	K(DCM_ImageType, '1'), K(DCM_ContentDate, '1'), K(DCM_ContentTime, '1'),
	K(DCM_ReferencedImageEvidenceSequence, 'C'), K(DCM_NumberOfFrames, '1'), K(DCM_Rows, '1'),
	K(DCM_Columns, '1'), K(DCM_DataPointRows, '1'), K(DCM_DataPointColumns, '1'),
};
static const struct dcm_rec_key keys_encap[] = {
	K(DCM_ContentDate, '2'), K(DCM_ContentTime, '2'), K(DCM_DocumentTitle, '2'), K(DCM_HL7InstanceIdentifier, 'C'),
	K(DCM_ConceptNameCodeSequence, '2'), K(DCM_MIMETypeOfEncapsulatedDocument, '1'),
};
static const struct dcm_rec_key keys_palette[] = {
	K(DCM_ContentLabel, '1'), K(DCM_ContentDescription, '2'),
};
static const struct dcm_rec_key keys_implant[] = {
	K(DCM_Manufacturer, '1'), K(DCM_ImplantName, '1'), K(DCM_ImplantSize, 'C'), K(DCM_ImplantPartNumber, '1'),
};
static const struct dcm_rec_key keys_implant_assy[] = {
	K(DCM_ImplantAssemblyTemplateName, '1'), K(DCM_ImplantAssemblyTemplateIssuer, '1'),
	K(DCM_ProcedureTypeCodeSequence, '1'),
};
static const struct dcm_rec_key keys_implant_group[] = {
	K(DCM_ImplantTemplateGroupName, '1'), K(DCM_ImplantTemplateGroupDescription, '3'),
	K(DCM_ImplantTemplateGroupIssuer, '1'),
};
static const struct dcm_rec_key keys_hanging[] = {
	K(DCM_HangingProtocolName, '1'), K(DCM_HangingProtocolDescription, '1'), K(DCM_HangingProtocolLevel, '1'),
	K(DCM_HangingProtocolCreator, '1'), K(DCM_HangingProtocolCreationDateTime, '1'),
	K(DCM_HangingProtocolDefinitionSequence, '1'), K(DCM_NumberOfPriorsReferenced, '1'),
	K(DCM_HangingProtocolUserIdentificationCodeSequence, '2'),
};
static const struct dcm_rec_key keys_assessment[] = {
	K(DCM_InstanceCreationDate, '1'), K(DCM_InstanceCreationTime, '2'),
};
static const struct dcm_rec_key keys_radiotherapy[] = {
	K(DCM_UserContentLabel, 'C'), K(DCM_UserContentLongLabel, 'C'), K(DCM_ContentDescription, '2'),
	K(DCM_ContentCreatorName, '2'),
};
#undef K

#define TABLE(t) do { *n = sizeof t / sizeof t[0]; return t; } while (0)
const struct dcm_rec_key *dcm_record_key_table(int type, size_t *n)
{
	switch ((E_DirRecType)type) {
	case ERT_SRDocument: TABLE(keys_sr);
	case ERT_KeyObjectDoc: TABLE(keys_ko);
	case ERT_Presentation: TABLE(keys_pr);
	case ERT_Waveform: case ERT_RawData: case ERT_SurfaceScan: TABLE(keys_date_time);
	case ERT_RTDose: TABLE(keys_rtdose);
	case ERT_RTStructureSet: TABLE(keys_rtss);
	case ERT_RTPlan: TABLE(keys_rtplan);
	case ERT_RTTreatRecord: TABLE(keys_rttreat);
	case ERT_Registration: case ERT_Fiducial: case ERT_ValueMap: case ERT_Surface: case ERT_Tract:
		TABLE(keys_labelled);
	case ERT_Measurement: TABLE(keys_measurement);
	case ERT_Spectroscopy: TABLE(keys_spectroscopy);
	case ERT_EncapDoc: TABLE(keys_encap);
	case ERT_Palette: TABLE(keys_palette);
	case ERT_Implant: TABLE(keys_implant);
	case ERT_ImplantAssy: TABLE(keys_implant_assy);
	case ERT_ImplantGroup: TABLE(keys_implant_group);
	case ERT_HangingProtocol: TABLE(keys_hanging);
	case ERT_Assessment: TABLE(keys_assessment);
	case ERT_Radiotherapy: TABLE(keys_radiotherapy);
	default:
		*n = 0;
		return nullptr;
	}
}
#undef TABLE

int dcm_record_type(const char *sop_class_uid)
{
	E_DirRecType t;
	return sop_class_uid && sop_class_uid[0] && record_type_of(sop_class_uid, &t) ? (int)t : -1;
}

const char *dcm_record_type_name(int type)
{
	return type_name((E_DirRecType)type);
}

std::string dcm_record_keys(DcmItem &ds, int type)
{
	size_t n = 0;
	const struct dcm_rec_key *k = type >= 0 ? dcm_record_key_table(type, &n) : nullptr;
	DcmItem keys;
	for (size_t i = 0; i < n; i++) {
		DcmTagKey tag(k[i].group, k[i].elem);
		DcmElement *el = nullptr;
		if (tag == DCM_VerificationDateTime) {
			/* in the object: the Verifying Observer Sequence's (its last observer) */
			DcmSequenceOfItems *seq = nullptr;
			if (ds.findAndGetSequence(DCM_VerifyingObserverSequence, seq).good() && seq && seq->card() > 0)
				seq->getItem(seq->card() - 1)->findAndGetElement(tag, el);
		} else {
			ds.findAndGetElement(tag, el);
		}
		if (!el)
			continue;
		if (el->ident() == EVR_UN) {
			/* some writers store these as UN (explicit VR): a text value is
			 * taken as the dictionary's VR has it */
			DcmTag dt(tag);
			Uint8 *raw = nullptr;
			if (!DcmVR(dt.getEVR()).isaString() || el->getLength() > 1024 || el->getUint8Array(raw).bad() || !raw)
				continue;
			std::string v((const char *)raw, el->getLength());
			while (!v.empty() && (v.back() == ' ' || v.back() == '\0'))
				v.pop_back();
			keys.putAndInsertString(tag, v.c_str());
			continue;
		}
		/* bounded: a presentation state can reference thousands of images */
		Uint32 len = el->calcElementLength(EXS_LittleEndianExplicit, EET_ExplicitLength);
		if (len > DCM_RECORD_KEYS_MAX - 8 - keys.getLength(EXS_LittleEndianExplicit, EET_ExplicitLength))
			continue;
		DcmElement *copy = OFstatic_cast(DcmElement *, el->clone());
		if (!copy || keys.insert(copy, OFTrue).bad()) {
			delete copy;
			continue;
		}
	}
	if (keys.card() == 0)
		return std::string();
	std::string out;
	std::vector<char> chunk(16u << 10);
	DcmOutputBufferStream os(chunk.data(), (offile_off_t)chunk.size());
	keys.transferInit();
	OFCondition c;
	void *p;
	offile_off_t l;
	while ((c = keys.write(os, EXS_LittleEndianExplicit, EET_ExplicitLength, nullptr)) == EC_StreamNotifyClient) {
		os.flushBuffer(p, l);
		out.append((const char *)p, (size_t)l);
		if (out.size() > DCM_RECORD_KEYS_MAX)
			break;
	}
	keys.transferEnd();
	if (c.bad() || out.size() > DCM_RECORD_KEYS_MAX)
		return std::string();
	os.flush();
	os.flushBuffer(p, l);
	out.append((const char *)p, (size_t)l);
	/* the item's own header (8 bytes, explicit length): the elements only */
	return out.size() > 8 && out.size() <= DCM_RECORD_KEYS_MAX ? out.substr(8) : std::string();
}
