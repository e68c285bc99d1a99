#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# pause-archive.py OUT: an OCI image layout tar with one image (an empty layer) under two names,
# registry.k8s.io/pause:3.9 and registry.local:5000/pause:3.10: the pause images a node was
# provisioned with, for `ctr -n k8s.io images import` (lab-scenario-sandbox-image,
# lab-scenario-bus-faults).
import gzip, hashlib, io, json, os, sys, tarfile
out = sys.argv[1]
blobs = {}
def blob(data):
    d = hashlib.sha256(data).hexdigest()
    blobs[d] = data
    return "sha256:" + d
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT):
    pass
layer = gzip.compress(raw.getvalue(), mtime=0)
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Entrypoint": ["/pause"]},
                     "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw.getvalue()).hexdigest()]}}).encode()
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": blob(config), "size": len(config)},
                       "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": blob(layer), "size": len(layer)}]}).encode()
mdigest = blob(manifest)
def ref(name, tag):
    return {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": mdigest, "size": len(manifest),
            "platform": {"architecture": "amd64", "os": "linux"},
            "annotations": {"io.containerd.image.name": name, "org.opencontainers.image.ref.name": tag}}
index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                    "manifests": [ref("registry.k8s.io/pause:3.9", "3.9"), ref("registry.local:5000/pause:3.10", "3.10")]}).encode()
with tarfile.open(out, "w") as t:
    def add(name, data):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    add("oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
    add("index.json", index)
    for d, data in blobs.items():
        add("blobs/sha256/" + d, data)
