#!/usr/bin/env python3
"""Test tool: a DER CRL signed by a simulation CA key (the simulated AMD ARK of
`veritee sim sevsnp`), revoking the given certificates.
usage: mkcrl.py KEY.pem ISSUER.pem OUT.der NEXT_UPDATE_DAYS [REVOKED.pem ...]
A negative NEXT_UPDATE_DAYS makes an expired CRL."""
import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

key = serialization.load_pem_private_key(open(sys.argv[1], 'rb').read(), None)
issuer = x509.load_pem_x509_certificate(open(sys.argv[2], 'rb').read())
days = int(sys.argv[4])
now = datetime.datetime.now(datetime.timezone.utc)
b = (x509.CertificateRevocationListBuilder().issuer_name(issuer.subject)
     .last_update(now - datetime.timedelta(days=30)).next_update(now + datetime.timedelta(days=days)))
for p in sys.argv[5:]:
    c = x509.load_pem_x509_certificate(open(p, 'rb').read())
    b = b.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(c.serial_number)
                                  .revocation_date(now - datetime.timedelta(days=1)).build())
open(sys.argv[3], 'wb').write(b.sign(key, hashes.SHA384()).public_bytes(serialization.Encoding.DER))
