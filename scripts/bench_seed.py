#!/usr/bin/env python3
"""Seed a Notary v1 repository with N targets on a trust server, then time K sequential
publishes (each adds one target). Used by scripts/bench-server.sh; an independent client so
both servers get byte-identical uploads.

usage: bench_seed.py HOST:PORT GUN N_TARGETS K_PUBLISHES
prints one line: publish latencies in ms, space separated.
"""
import base64, datetime, http.client, json, os, sys, time, uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "tools"))
from verify import canon, keyid  # noqa: E402  (our independent canonical JSON + key IDs)
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, utils  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: E402


def b64(b):
    return base64.b64encode(b).decode()


class Key:
    def __init__(self, cn=None):
        self.priv = ec.generate_private_key(ec.SECP256R1())
        pub = self.priv.public_key()
        spki = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        self.tuf = {"keytype": "ecdsa", "keyval": {"private": None, "public": b64(spki)}}
        if cn:
            now = datetime.datetime.now(datetime.timezone.utc)
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
            cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(pub)
                    .serial_number(x509.random_serial_number()).not_valid_before(now)
                    .not_valid_after(now + datetime.timedelta(days=3650))
                    .add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False), critical=True)
                    .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
                    .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                    .sign(self.priv, hashes.SHA256()))
            pem = cert.public_bytes(serialization.Encoding.PEM)
            self.tuf = {"keytype": "ecdsa-x509", "keyval": {"private": None, "public": b64(pem)}}
        self.id = keyid(self.tuf)

    def sign(self, msg):
        r, s = utils.decode_dss_signature(self.priv.sign(msg, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def go_escape(s):
    for a, b in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        s = s.replace(a, b)
    return s


def envelope(signed, key):
    c = canon(signed)
    sig = b64(key.sign(c.encode()))
    return ('{"signed":' + go_escape(c) + ',"signatures":[{"keyid":"%s","method":"ecdsa","sig":"%s"}]}' % (key.id, sig)).encode()


def expires(days):
    t = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + datetime.timedelta(days=days)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class Server:
    def __init__(self, hostport):
        self.conn = http.client.HTTPConnection(hostport, timeout=60)

    def req(self, method, path, body=None, headers=None):
        self.conn.request(method, path, body=body, headers=headers or {})
        r = self.conn.getresponse()
        return r.status, r.read()

    def key(self, gun, role):
        st, body = self.req("GET", "/v2/%s/_trust/tuf/%s.key" % (gun, role))
        if st != 200:
            sys.exit("GET %s.key: %d %s" % (role, st, body[:200]))
        k = json.loads(body)
        return {"keytype": k["keytype"], "keyval": {"private": None, "public": k["keyval"]["public"]}}

    def publish(self, gun, files):
        bnd = uuid.uuid4().hex
        out = b""
        for name, data in files.items():
            out += ('--%s\r\nContent-Disposition: form-data; name="files"; filename="%s"\r\n'
                    'Content-Type: application/octet-stream\r\n\r\n' % (bnd, name)).encode() + data + b"\r\n"
        out += ("--%s--\r\n" % bnd).encode()
        st, body = self.req("POST", "/v2/%s/_trust/tuf/" % gun, out,
                            {"Content-Type": "multipart/form-data; boundary=" + bnd})
        if st != 200:
            sys.exit("publish to %s: %d %s" % (gun, st, body[:300]))


def target(i):
    digest = bytes.fromhex("%064x" % (i + 1))
    return {"hashes": {"sha256": b64(digest)}, "length": 1000 + i}


def main():
    hostport, gun, n, k = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    srv = Server(hostport)
    root_key, targets_key = Key(cn=gun), Key()
    ts, snap = srv.key(gun, "timestamp"), srv.key(gun, "snapshot")
    keys = {root_key.id: root_key.tuf, targets_key.id: targets_key.tuf, keyid(ts): ts, keyid(snap): snap}
    root = {"_type": "Root", "consistent_snapshot": False, "expires": expires(3650), "keys": keys,
            "roles": {"root": {"keyids": [root_key.id], "threshold": 1},
                      "targets": {"keyids": [targets_key.id], "threshold": 1},
                      "snapshot": {"keyids": [keyid(snap)], "threshold": 1},
                      "timestamp": {"keyids": [keyid(ts)], "threshold": 1}},
            "version": 1}
    tmap = {"tag%d" % i: target(i) for i in range(n)}
    version = 1
    tg = {"_type": "Targets", "delegations": {"keys": {}, "roles": []}, "expires": expires(1095),
          "targets": tmap, "version": version}
    srv.publish(gun, {"root": envelope(root, root_key), "targets": envelope(tg, targets_key)})
    lat = []
    for j in range(k):
        version += 1
        tmap["extra%d" % j] = target(n + j)
        tg["targets"], tg["version"] = tmap, version
        body = envelope(tg, targets_key)  # signing is client work: not part of the publish latency
        t0 = time.perf_counter()
        srv.publish(gun, {"targets": body})
        lat.append((time.perf_counter() - t0) * 1000)
    print(" ".join("%.2f" % x for x in lat))


if __name__ == "__main__":
    main()
