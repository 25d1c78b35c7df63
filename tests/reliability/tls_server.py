"""An HTTPS Radicale on loopback whose certificate no system trusts: a CA of its own.

``certificates`` makes a CA (self-signed, as a home server's, or mkcert's) and a
certificate it signs for 127.0.0.1 and localhost, with the ``cryptography``
package (the Google and CalDAV libraries bring it). ``start_https_radicale``
serves with them; the test trusts the CA through the source's ``ca_file``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import socket
import subprocess
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from servers import DavServer, free_port, log_tail, radicale_command, stop_process


@dataclasses.dataclass(frozen=True)
class Certificates:
    ca: Path  # the CA's certificate (PEM): what ``ca_file`` names
    certificate: Path  # the server's, signed by the CA
    key: Path  # the server's private key


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def certificates(folder: Path) -> Certificates:
    """A CA and a server certificate for 127.0.0.1 and localhost, valid for a day."""
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("syncd test CA"))
        .issuer_name(_name("syncd test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    server = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    made = Certificates(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    made.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    made.certificate.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    made.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return made


def start_https_radicale(folder: Path, made: Certificates) -> DavServer:
    """Radicale serving HTTPS with ``made`` on a free loopback port (any login)."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    argv = [
        *radicale_command(port, folder / "collections"),
        "--server-ssl",
        "--server-certificate",
        str(made.certificate),
        "--server-key",
        str(made.key),
    ]
    log = folder / "server.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=folder
        )
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"radicale exited: {log_tail(log)}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                stop_process(process)
                raise RuntimeError(f"radicale did not listen on {port}: {log_tail(log)}") from None
            time.sleep(0.05)
    url = f"https://127.0.0.1:{port}/"
    return DavServer("radicale", url, "alice", "secret", process, folder, port)
