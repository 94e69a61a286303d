#!/bin/sh
# Installs every Debian 12 package ingestd needs to build, test and run the demo.
# Idempotent; safe to run as root on a fresh machine.
set -eu
export DEBIAN_FRONTEND=noninteractive
PKGS="
  meson ninja-build pkg-config gcc g++ clang git strace time
  libdcmtk-dev dcmtk libsndfile1-dev libtiff-dev libwrap0-dev
  libarchive-dev libarchive-tools libdeflate-dev libmagic-dev zlib1g-dev
  libcurl4-openssl-dev libsqlite3-dev sqlite3 libsystemd-dev libssl-dev openssl
  libfyaml-dev libjson-c-dev libpoppler-glib-dev poppler-utils
  libtesseract-dev libleptonica-dev tesseract-ocr-eng tesseract-ocr-chi-sim
  tesseract-ocr-ara tesseract-ocr-rus tesseract-ocr-fra tesseract-ocr-spa
  tesseract-ocr-tur tesseract-ocr-hin tesseract-ocr-osd
  libudfread-dev libseccomp-dev
  python3 python3-pydicom python3-numpy python3-jsonschema python3-aiosmtpd python3-pil dicom3tools
  orthanc orthanc-dicomweb iproute2 util-linux
  xorriso genisoimage zstd p7zip-full zip unzip fonts-dejavu-core
  fonts-wqy-microhei fonts-lohit-deva tesseract-ocr-deu tesseract-ocr-ita tesseract-ocr-por
  scdoc man-db groff-base
  chromium
"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  apt-get update -q
  apt-get install -y -q --no-install-recommends $missing
fi
# Debian starts Orthanc as a system service when it is installed, listening on
# every address; the tests start their own in a private network namespace
# (tests/pacs/orthanc.py), so the service is stopped and left disabled.
case " $missing " in
*" orthanc "*)
  if [ -d /run/systemd/system ]; then
    systemctl disable --now orthanc >/dev/null 2>&1 || true
  elif [ -x /etc/init.d/orthanc ]; then
    /etc/init.d/orthanc stop >/dev/null 2>&1 || true
  fi
  ;;
esac
