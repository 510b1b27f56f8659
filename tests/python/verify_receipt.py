"""Verifies an adspin auction receipt with an implementation independent of
the server's: Python's `cryptography` (OpenSSL's Ed25519).

    python3 verify_receipt.py <base URL of the app> <receipt>

Fetches the public keys (a JWK set) from <base>/api/v1/ssp/receipt-keys,
checks the receipt's EdDSA signature over `header.payload` with the key its
header names, and prints the payload as JSON. Exits 1 when it does not
verify.
"""

import base64
import json
import sys
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify(base_url, receipt):
    with urllib.request.urlopen(base_url + "/api/v1/ssp/receipt-keys", timeout=10) as response:
        keys = json.load(response)["keys"]
    header_part, payload_part, signature_part = receipt.split(".")
    header = json.loads(b64url(header_part))
    if header.get("alg") != "EdDSA":
        raise ValueError("not an EdDSA receipt")
    jwk = next(key for key in keys if key["kid"] == header["kid"])
    if jwk["kty"] != "OKP" or jwk["crv"] != "Ed25519":
        raise ValueError("not an Ed25519 key")
    public_key = Ed25519PublicKey.from_public_bytes(b64url(jwk["x"]))
    signing_input = (header_part + "." + payload_part).encode("ascii")
    public_key.verify(b64url(signature_part), signing_input)
    return json.loads(b64url(payload_part))


if __name__ == "__main__":
    try:
        payload = verify(sys.argv[1], sys.argv[2])
    except (InvalidSignature, ValueError, StopIteration) as error:
        print("receipt does not verify:", repr(error))
        sys.exit(1)
    print(json.dumps(payload))
