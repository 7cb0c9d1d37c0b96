"""STS checks the IAM access key a request is signed with: moto 5.2.5 accepts any signature.

On AWS, a request signed with a deleted or inactive access key fails with
`InvalidClientTokenId`, and one signed with a known key but the wrong secret fails with
`SignatureDoesNotMatch`. The credential proxy re-reads its key from Secrets Manager when STS
answers either code, so the rotation tests need both. Here every STS request signed with a key
that IAM issued (CreateAccessKey on this emulator) is checked: the key must still exist and be
`Active`, and the SigV4 signature must verify with the key's secret (moto's own verifier,
`moto.iam.access_control.IAMRequest`, which recomputes the signature with botocore). Keys IAM
never issued (the tests' dummy `testing` credentials, the identity pool's fixed keys, STS
session keys) are not checked, as before.

The keys IAM issued are remembered on moto's IAM backend, so `/moto-api/reset` forgets them.
The errors are in STS's own shape (`<ErrorResponse><Error><Code>`): moto's generic one wraps
the error in `<Errors>`, where the AWS SDKs (Rust's included) find no code.
"""

import uuid

from werkzeug.exceptions import HTTPException

ISSUED = "_cogauth_issued_access_keys"


def issued_keys(iam_backend):
    keys = iam_backend.__dict__.get(ISSUED)
    if keys is None:
        keys = iam_backend.__dict__[ISSUED] = set()
    return keys


INVALID_CLIENT_TOKEN_ID = "The security token included in the request is invalid."
SIGNATURE_DOES_NOT_MATCH = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details."
)


class StsAuthError(HTTPException):
    """An STS authentication error, serialized as STS sends it."""

    code = 403

    def __init__(self, error_code, message):
        super().__init__()
        self.description = (
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            f"<Error><Type>Sender</Type><Code>{error_code}</Code><Message>{message}</Message>"
            f"</Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
        )


def access_key_id(authorization):
    """The access key id of a SigV4 `Authorization` header, or None."""
    credential = authorization.partition("Credential=")[2].partition(",")[0]
    key = credential.split("/")[0].strip()
    return key or None


def find_key(key_id):
    """(iam_backend, AccessKey) for a key some IAM user holds now, or (backend, None) if IAM
    issued it and it is gone, or (None, None) if IAM never issued it."""
    from moto.iam.models import iam_backends

    issued_by = None
    for account in iam_backends.values():
        for backend in account.values():
            for user in backend.users.values():
                for key in user.access_keys:
                    if key.access_key_id == key_id:
                        return backend, key
            if key_id in issued_keys(backend):
                issued_by = backend
    return issued_by, None


def check_request(response, resource):
    from moto.core.exceptions import SignatureDoesNotMatchError
    from moto.iam.access_control import IAMRequest

    key_id = access_key_id(response.headers.get("Authorization") or "")
    if key_id is None:
        return  # unsigned (AssumeRoleWithWebIdentity) or presigned: not checked here
    backend, key = find_key(key_id)
    if backend is None:
        return  # never issued by IAM: the tests' dummy credentials
    if key is None or key.status != "Active":
        raise StsAuthError("InvalidClientTokenId", INVALID_CLIENT_TOKEN_ID)
    from urllib.parse import urlparse

    path = response.raw_path
    query = urlparse(response.uri).query
    if query:
        path += "?" + query
    try:
        IAMRequest(
            account_id=response.current_account,
            method=response.method,
            path=path,
            data=response.data,
            body=response.raw_body,
            headers=response.headers,
            action=response._get_action(),
        ).check_signature()
    except SignatureDoesNotMatchError:
        raise StsAuthError("SignatureDoesNotMatch", SIGNATURE_DOES_NOT_MATCH) from None


def install():
    from moto.iam.models import IAMBackend
    from moto.sts.responses import TokenResponse

    original_create_access_key = IAMBackend.create_access_key

    def create_access_key(self, *args, **kwargs):
        key = original_create_access_key(self, *args, **kwargs)
        issued_keys(self).add(key.access_key_id)
        return key

    IAMBackend.create_access_key = create_access_key

    original_authenticate = TokenResponse._authenticate_and_authorize_normal_action

    def authenticate(self, resource="*"):
        original_authenticate(self, resource)
        check_request(self, resource)

    TokenResponse._authenticate_and_authorize_normal_action = authenticate
