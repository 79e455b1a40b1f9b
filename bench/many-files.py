#!/usr/bin/env python3
"""Write a tar layer holding N small files (default one million).

    many-files.py OUT.tar[.gz] [N]      (gzip when the name ends with .gz)

Paths spread over 1000 directories; every 10,000th file is a Python METADATA so the
catalogers have real work among the noise.
"""
import gzip, io, sys, tarfile

out, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
with (gzip.open(out, "wb", compresslevel=1) if out.endswith(".gz") else open(out, "wb")) as gz:
    with tarfile.open(fileobj=gz, mode="w|", format=tarfile.GNU_FORMAT) as t:
        for i in range(n):
            if i % 10000 == 0:
                path = f"usr/lib/python3/dist-packages/pkg{i}-1.0.dist-info/METADATA"
                data = f"Name: pkg{i}\nVersion: 1.0\n".encode()
            else:
                path = f"srv/d{i % 1000:03d}/f{i:07d}.txt"
                data = b"x" * 64
            info = tarfile.TarInfo(path)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
