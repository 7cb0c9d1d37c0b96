"""The server side of Cognito's SRP-6a, shared by password SRP and device SRP.

Pure functions and one small class; no moto imports, so every step can be checked against an
independent client (pycognito) and the known-answer vectors in crates/cogauth-core/tests/data/srp/.

The protocol, as the AWS client libraries speak it:
- N is the 3072-bit MODP group of RFC 3526, g = 2, k = H(pad(N) || pad(g)).
- The client sends A = g^a. The server holds a verifier v = g^x and answers B = k*v + g^b.
- u = H(pad(A) || pad(B)); the shared secret is S = (A * v^u)^b (the client computes the same S
  as (B - k*g^x)^(a + u*x)).
- The key is HKDF-SHA256(salt = pad(u), ikm = pad(S), info = "Caldera Derived Key"), 16 bytes.
- The client proves the key with an HMAC-SHA256 claim over
  `identity_prefix || identity || secret_block_bytes || timestamp`, sent in base64.
  For a password the prefix is the pool name (the part of the pool id after `_`) and the
  identity is USER_ID_FOR_SRP; for a device they are the device group key and the device key.
- x = H(pad(salt) || H(prefix || identity || ":" || password)).

`pad` is the big-endian encoding of a positive signed integer: minimal length, with a leading zero
byte when the high bit is set (what the clients' padHex does).
"""

import base64
import datetime
import hashlib
import hmac
import re
import secrets

N = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"
    "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D"
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D"
    "670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9"
    "DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64"
    "ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6B"
    "F12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB31"
    "43DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
    16,
)
G = 2
HKDF_INFO = b"Caldera Derived Key"
KEY_BYTES = 16
# Bytes of randomness in the server's secret b (256 bits, RFC 5054's floor: the 1024 bits the
# AWS clients use for a would make every login of a test suite ~4x slower in Python), and in a
# salt the server picks.
SMALL_B_BYTES = 32
SALT_BYTES = 16
SECRET_BLOCK_BYTES = 64

# The TIMESTAMP Cognito asks for: Java's "EEE MMM d HH:mm:ss z yyyy" in English. Cognito parses
# it (a malformed one is InvalidParameterException) and signs its own rendering, whose day of
# month is not zero-padded: a client that signs "Apr 05" is refused (NotAuthorizedException),
# as pycognito's and warrant's histories record. How far the timestamp may be from Cognito's
# clock is not documented; the harness accepts a quarter of an hour either way.
TIMESTAMP_FORMAT_MESSAGE = "TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in english."
TIMESTAMP_WINDOW = datetime.timedelta(minutes=15)
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_TIMESTAMP = re.compile(
    r"^(?P<wd>[A-Z][a-z]{2}) (?P<mon>[A-Z][a-z]{2}) (?P<day>\d{1,2}) "
    r"(?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2}) (?P<zone>UTC|GMT) (?P<year>\d{4})$"
)


def pad(n):
    """The bytes the AWS clients hash for the positive integer `n`."""
    length = max(1, (n.bit_length() + 7) // 8)
    raw = n.to_bytes(length, "big")
    return b"\x00" + raw if raw[0] & 0x80 else raw


def sha256(*parts):
    h = hashlib.sha256()
    for part in parts:
        h.update(part)
    return h.digest()


K = int.from_bytes(sha256(pad(N), pad(G)), "big")


def parse_hex(value, name):
    """An SRP number sent as hex; ValueError names the parameter."""
    try:
        n = int(str(value).strip(), 16)
    except (TypeError, ValueError):
        raise ValueError(f"{name} is not a hexadecimal number") from None
    return n


def canonical_hex(n):
    """How the server writes a number: lower-case hex of `pad(n)`, so every client (those that
    re-pad a parsed integer and those that pad the string they received) hashes the same bytes."""
    return pad(n).hex()


def new_salt():
    """A salt for a verifier the server derives itself (password SRP); never has a leading zero
    byte other than the sign byte, see `canonical_hex`."""
    return int.from_bytes(secrets.token_bytes(SALT_BYTES), "big") or 1


def new_secret_block():
    """A SECRET_BLOCK: random bytes in base64, as Cognito sends it."""
    return base64.b64encode(secrets.token_bytes(SECRET_BLOCK_BYTES)).decode()


def private_key(salt, prefix, identity, password):
    """x = H(pad(salt) || H(prefix || identity || ":" || password))."""
    inner = sha256(f"{prefix}{identity}:{password}".encode())
    return int.from_bytes(sha256(pad(salt), inner), "big")


def verifier(salt, prefix, identity, password):
    """v = g^x mod N: what Cognito stores instead of a password (and what a device sends in
    ConfirmDevice)."""
    return pow(G, private_key(salt, prefix, identity, password), N)


def hkdf_key(u, s):
    """HKDF-SHA256 with one expand block, cut to 16 bytes (RFC 5869 with L = 16)."""
    prk = hmac.new(pad(u), pad(s), hashlib.sha256).digest()
    return hmac.new(prk, HKDF_INFO + b"\x01", hashlib.sha256).digest()[:KEY_BYTES]


def claim_signature(key, prefix, identity, secret_block_b64, timestamp):
    """base64(HMAC-SHA256(key, prefix || identity || secret_block || timestamp))."""
    message = (
        prefix.encode()
        + identity.encode()
        + base64.b64decode(secret_block_b64)
        + timestamp.encode()
    )
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def canonical_timestamp(value, now=None):
    """Cognito's rendering of a client's TIMESTAMP: parsed, the weekday recomputed from the date,
    the day of month not zero-padded. ValueError (with Cognito's message) when it does not parse;
    TimestampOutOfWindow when it is too far from `now`."""
    match = _TIMESTAMP.match(str(value or ""))
    if not match or match["wd"] not in WEEKDAYS or match["mon"] not in MONTHS:
        raise ValueError(TIMESTAMP_FORMAT_MESSAGE)
    try:
        moment = datetime.datetime(
            int(match["year"]),
            MONTHS.index(match["mon"]) + 1,
            int(match["day"]),
            int(match["h"]),
            int(match["m"]),
            int(match["s"]),
            tzinfo=datetime.timezone.utc,
        )
    except ValueError:
        raise ValueError(TIMESTAMP_FORMAT_MESSAGE) from None
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if abs(moment - now) > TIMESTAMP_WINDOW:
        raise TimestampOutOfWindow(value)
    return (
        f"{WEEKDAYS[moment.weekday()]} {MONTHS[moment.month - 1]} {moment.day} "
        f"{moment:%H:%M:%S} {match['zone']} {moment.year}"
    )


def format_timestamp(moment):
    """The TIMESTAMP a correct client sends for `moment` (used by the self-test's own client)."""
    moment = moment.astimezone(datetime.timezone.utc)
    return (
        f"{WEEKDAYS[moment.weekday()]} {MONTHS[moment.month - 1]} {moment.day} "
        f"{moment:%H:%M:%S} UTC {moment.year}"
    )


class TimestampOutOfWindow(ValueError):
    pass


class ServerSrp:
    """One SRP exchange seen from the server: holds v and b, answers B, checks the claim."""

    def __init__(self, v, small_b=None):
        if not 0 < v < N:
            raise ValueError("the verifier is not a number modulo N")
        self.v = v
        while True:
            self.b = small_b or int.from_bytes(secrets.token_bytes(SMALL_B_BYTES), "big") % N
            self.B = (K * v + pow(G, self.b, N)) % N
            if self.b and self.B:
                break
            small_b = None

    def srp_b_hex(self):
        return canonical_hex(self.B)

    def key(self, srp_a_hex):
        """The 16-byte key for the client's A; ValueError for an A that would break SRP's
        guarantees (A ≡ 0 mod N lets anyone pass) or a scrambler u of zero."""
        a = parse_hex(srp_a_hex, "SRP_A")
        if a % N == 0:
            raise ValueError("SRP_A is a multiple of N")
        u = int.from_bytes(sha256(pad(a), pad(self.B)), "big")
        if u == 0:
            raise ValueError("the scrambling parameter u is zero")
        s = pow(a * pow(self.v, u, N) % N, self.b, N)
        return hkdf_key(u, s)

    def verify(self, srp_a_hex, prefix, identity, secret_block_b64, timestamp, signature_b64):
        """True when `signature_b64` proves knowledge of the password behind v. `timestamp` must
        already be canonical (see `canonical_timestamp`)."""
        expected = claim_signature(
            self.key(srp_a_hex), prefix, identity, secret_block_b64, timestamp
        )
        return hmac.compare_digest(expected.encode(), str(signature_b64 or "").encode())
