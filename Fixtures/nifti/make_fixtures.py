"""Makes the NIfTI-1 fixtures for patchtrain's reader tests, and the values a reference reader sees in them.

nibabel is the independent reference: the expected voxel values (scaling applied) and affines in
expected.json are what nibabel reads back from the files written here, not what this script meant to write.

    python3 -m venv venv && venv/bin/pip install nibabel numpy
    venv/bin/python make_fixtures.py          # run from this folder; rewrites the files in place
"""
import json
import math
import os

import nibabel as nib
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def rotation(axis, degrees):
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    i, j = [(1, 2), (0, 2), (0, 1)][axis]
    m = np.eye(3)
    m[i, i], m[i, j], m[j, i], m[j, j] = c, -s, s, c
    return m


def affine(rotation3, zooms, offset):
    a = np.eye(4)
    a[:3, :3] = rotation3 @ np.diag(zooms)
    a[:3, 3] = offset
    return a


def write_raw(path, header, data, dtype):
    """Header, then the data in Fortran order, exactly as given: no rescaling by the writer."""
    header.set_data_shape(data.shape)
    header.set_data_dtype(dtype)
    header["vox_offset"] = 352
    opener = nib.openers.ImageOpener(path, "wb")
    with opener as f:
        header.write_to(f)
        f.write(b"\0" * (352 - f.tell()))
        f.write(np.asarray(data, dtype=dtype).tobytes(order="F"))


def describe(name, dtype_name, big_endian):
    img = nib.load(os.path.join(HERE, name))
    hdr = img.header
    data = img.get_fdata(dtype=np.float64)
    shape = list(data.shape) + [1] * (4 - data.ndim)
    # A loaded image's header has its scaling moved into the data proxy; read it from there.
    slope, inter = float(img.dataobj.slope), float(img.dataobj.inter)
    assert img.dataobj.offset == 352, name
    return {
        "name": name,
        "datatype": dtype_name,
        "big_endian": big_endian,
        "shape": shape,
        # patchtrain's layout: (x, y, z, c) flattened in C order.
        "values": [float(v) for v in data.reshape(shape).ravel(order="C")],
        "scl_slope": slope,
        "scl_inter": inter,
        "qform_code": int(hdr["qform_code"]),
        "sform_code": int(hdr["sform_code"]),
        "pixdim": [float(v) for v in hdr["pixdim"][:4]],
        "affine": img.affine.tolist(),
        "qform": hdr.get_qform().tolist(),
    }


def main():
    rng = np.random.default_rng(20240611)
    expected = []

    # 5x4x3 int16 with scaling and a rotated, left-handed qform (qfac -1); no sform.
    name = "int16_scaled_qform.nii"
    hdr = nib.Nifti1Header()
    q = affine(rotation(2, 30) @ rotation(0, 20), [1.5, 2.0, 2.5], [10, -20, 30])
    q[:3, 2] *= -1
    raw = (np.arange(60).reshape(5, 4, 3) * 37 % 101 - 50).astype(np.int16)
    hdr.set_data_shape(raw.shape)
    hdr.set_qform(q, code=1)
    hdr.set_sform(None, code=0)
    hdr.set_slope_inter(0.5, -3.0)
    write_raw(os.path.join(HERE, name), hdr, raw, np.int16)
    expected.append(describe(name, "int16", False))

    # 4x3x2x3 float32, gzip-compressed; the sform (a sheared affine, code 2) must win over the qform.
    name = "float32_4d_sform.nii.gz"
    data = rng.standard_normal((4, 3, 2, 3)).astype(np.float32)
    s = affine(rotation(1, -15), [0.8, 0.9, 1.1], [-5, 6, 7])
    s[0, 1] += 0.2
    img = nib.Nifti1Image(data, np.eye(4))
    img.set_qform(affine(np.eye(3), [0.8, 0.9, 1.1], [1, 2, 3]), code=1)
    img.set_sform(s, code=2)
    img.header.set_slope_inter(np.nan, np.nan)
    nib.save(img, os.path.join(HERE, name))
    expected.append(describe(name, "float32", False))

    # 3x4x2 uint16 written big-endian, with scaling and a plain sform (code 1).
    name = "uint16_bigendian.nii"
    hdr = nib.Nifti1Header(endianness=">")
    raw = (np.arange(24).reshape(3, 4, 2) * 2731 % 65536).astype(np.uint16)
    hdr.set_data_shape(raw.shape)
    hdr.set_sform(affine(np.eye(3), [2, 2, 3], [-1, -2, -3]), code=1)
    hdr.set_qform(None, code=0)
    hdr.set_slope_inter(0.25, 100.0)
    write_raw(os.path.join(HERE, name), hdr, raw, np.dtype(">u2"))
    expected.append(describe(name, "uint16", True))

    # 3x3x2x2 float64 big-endian, gzip-compressed, unscaled, qform only.
    name = "float64_bigendian_4d.nii.gz"
    hdr = nib.Nifti1Header(endianness=">")
    raw = rng.standard_normal((3, 3, 2, 2))
    hdr.set_data_shape(raw.shape)
    hdr.set_qform(affine(rotation(0, 90), [1.0, 1.0, 2.0], [0, 0, 5]), code=2)
    hdr.set_sform(None, code=0)
    write_raw(os.path.join(HERE, name), hdr, raw, np.dtype(">f8"))
    expected.append(describe(name, "float64", True))

    for entry in expected:
        with open(os.path.join(HERE, entry["name"]), "rb") as f:
            head = f.read(4)
        if entry["name"].endswith(".gz"):
            import gzip
            with gzip.open(os.path.join(HERE, entry["name"])) as g:
                head = g.read(4)
        assert (head == b"\0\0\x01\x5c") == entry["big_endian"], entry["name"]

    # One file per line keeps the JSON small and its diffs readable.
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        f.write('{"generator": %s,\n "files": [\n' % json.dumps(f"nibabel {nib.__version__}, numpy {np.__version__}"))
        f.write(",\n".join("  " + json.dumps(entry) for entry in expected))
        f.write("\n]}\n")


if __name__ == "__main__":
    main()
