"""AWS-shaped errors for the extensions: the same error codes the real services send."""

from moto.core.exceptions import JsonRESTError


class InvalidParameterException(JsonRESTError):
    def __init__(self, message):
        super().__init__("InvalidParameterException", message)
