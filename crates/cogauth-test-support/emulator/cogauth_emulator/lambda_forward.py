"""Lambda Invoke forwarding.

A function whose environment has COGAUTH_TEST_FORWARD_URL gets its Invoke payload POSTed
there and answers with what comes back. moto runs no Lambda code without Docker; this lets a
test run the real proxy handler (or a Cognito trigger written in the test) behind a real
Invoke. Invoking a missing function is ResourceNotFoundException, as on AWS (moto's simple
backend answers).
"""

import urllib.request


def install():
    from moto.awslambda_simple import models

    original_invoke = models.LambdaSimpleBackend.invoke

    def invoke(self, function_name, qualifier, body, headers, response_headers):
        # Like real Lambda (and unlike moto's simple backend), a missing function is an error
        # (ResourceNotFoundException), not a success that consumes a queued result.
        function = self.get_function(function_name, qualifier)
        url = (function.environment_vars or {}).get("COGAUTH_TEST_FORWARD_URL")
        if not url:
            return original_invoke(self, function_name, qualifier, body, headers, response_headers)
        data = body.encode() if isinstance(body, str) else (body or b"{}")
        request = urllib.request.Request(
            url, data=data, method="POST", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.read()

    models.LambdaSimpleBackend.invoke = invoke
