"""The fixture writer of make_dicom_fixtures.py: datasets with the pixel
module filled in, saved as Part 10 or bare, and the manifest's cases (what
the core must answer for each file)."""
import os

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid, PYDICOM_IMPLEMENTATION_UID

from pydicom_pipeline import expected_display

DX_STORAGE = "1.2.840.10008.5.1.4.1.1.1.1"  # Digital X-Ray Image Storage - For Presentation
# Identifiers that must never appear in anything the core says.
PATIENT_NAME = "Zyxwvut^Identifier"
PATIENT_ID = "CXR-SECRET-ID-8472"


class Writer:
    def __init__(self, out):
        self.out = out
        self.cases = []

    # ------------------------------------------------------------ datasets

    @staticmethod
    def base(rows, cols, *, bits=16, stored=None, signed=False, photometric="MONOCHROME2", spp=1, **extra):
        ds = Dataset()
        ds.SpecificCharacterSet = "ISO_IR 100"
        ds.SOPClassUID = DX_STORAGE
        ds.SOPInstanceUID = generate_uid()
        ds.Modality = "DX"
        ds.PatientName = PATIENT_NAME
        ds.PatientID = PATIENT_ID
        ds.PatientAge = "006Y"
        ds.BodyPartExamined = "CHEST"
        ds.ViewPosition = "PA"
        ds.SamplesPerPixel = spp
        ds.PhotometricInterpretation = photometric
        if spp == 3:
            ds.PlanarConfiguration = 0
        ds.Rows = rows
        ds.Columns = cols
        ds.BitsAllocated = bits
        ds.BitsStored = stored if stored is not None else bits
        ds.HighBit = ds.BitsStored - 1
        ds.PixelRepresentation = 1 if signed else 0
        for key, value in extra.items():
            setattr(ds, key, value)
        return ds

    def save(self, ds, name, syntax=ExplicitVRLittleEndian, part10=True):
        path = os.path.join(self.out, name + ".dcm")
        if part10:
            meta = FileMetaDataset()
            meta.MediaStorageSOPClassUID = ds.SOPClassUID
            meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            meta.TransferSyntaxUID = syntax
            meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
            ds.file_meta = meta
            ds.preamble = b"\0" * 128
            ds.is_little_endian = syntax != "1.2.840.10008.1.2.2"
            ds.is_implicit_VR = syntax == ImplicitVRLittleEndian
            try:
                known = pydicom.uid.UID(syntax).is_transfer_syntax
            except ValueError:
                known = False
            if known:
                ds.save_as(path, write_like_original=False)
            else:
                # pydicom 2.3 will not write a standard UID it does not know
                # (HTJ2K, MPEG...): write a private placeholder of the same
                # length, then put the real UID in its place.
                placeholder = ("9." * len(syntax))[:len(syntax) - 1] + "9"
                meta.TransferSyntaxUID = placeholder
                ds.is_little_endian, ds.is_implicit_VR = True, False
                ds.save_as(path, write_like_original=False)
                data = open(path, "rb").read()
                assert data.count(placeholder.encode()) == 1
                with open(path, "wb") as f:
                    f.write(data.replace(placeholder.encode(), syntax.encode()))
        else:  # a bare dataset: no preamble, no "DICM", no file meta
            ds.is_little_endian = True
            ds.is_implicit_VR = syntax == ImplicitVRLittleEndian
            pydicom.dcmwrite(path, ds, write_like_original=True)
        return path

    @staticmethod
    def read(path, syntax):
        ds = pydicom.dcmread(path, force=True)
        if "TransferSyntaxUID" not in ds.file_meta:
            ds.file_meta.TransferSyntaxUID = syntax
        return ds

    # ------------------------------------------------------------ cases

    def ok(self, name, ds, *, syntax=ExplicitVRLittleEndian, part10=True, tolerance=1.0 / 65535,
           mean_tolerance=None, warnings=(), expected=None, **extra):
        """A file the core must decode; expected pixels from pydicom unless given."""
        path = self.save(ds, name, syntax, part10)
        if expected is None:
            expected = expected_display(self.read(path, syntax))
        expected.astype("<f4").tofile(os.path.join(self.out, name + ".f32"))
        case = {"name": name, "file": name + ".dcm", "expect": "ok", "width": int(ds.Columns),
                "height": int(ds.Rows), "expected": name + ".f32", "tolerance": tolerance,
                "warnings": list(warnings)}
        if mean_tolerance is not None:
            case["mean_tolerance"] = mean_tolerance
        case.update(extra)
        self.cases.append(case)

    def error(self, name, ds_or_bytes, status, message, *, syntax=ExplicitVRLittleEndian, part10=True, cut=None):
        """A file the core must refuse with `status` and a message containing `message`."""
        if isinstance(ds_or_bytes, (bytes, bytearray)):
            path = os.path.join(self.out, name + ".dcm")
            with open(path, "wb") as f:
                f.write(ds_or_bytes)
        else:
            path = self.save(ds_or_bytes, name, syntax, part10)
        if cut is not None:
            data = open(path, "rb").read()
            with open(path, "wb") as f:
                f.write(data[:cut(len(data))])
        self.cases.append({"name": name, "file": name + ".dcm", "expect": "error", "status": status,
                           "message": message})
