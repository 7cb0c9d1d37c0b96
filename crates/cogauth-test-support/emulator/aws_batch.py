"""The AWS CLI for the Rust tests, one process for many commands.

The tests read the emulator's state back with the AWS CLI, an independent client, a few hundred
times per run; starting Python and botocore for each call cost a tenth of CI's processor time.
This runs the same CLI (awscli's own driver, a fresh one per command, so that no state carries
over) in one process: it reads one JSON array of arguments per line on stdin and answers one
JSON object per line on stdout, `{"rc": <exit code>, "stdout": "...", "stderr": "..."}`. The
environment (credentials, no AWS files) is the process's own, set by the caller.
"""

import contextlib
import io
import json
import sys

from awscli.clidriver import create_clidriver


def run(args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = create_clidriver().main(args)
        except SystemExit as e:  # argparse's usage errors
            rc = e.code if isinstance(e.code, int) else 1
        except Exception as e:  # never seen: the CLI reports its own errors with a code
            err.write(f"aws_batch: {type(e).__name__}: {e}\n")
            rc = 255
    return {"rc": rc, "stdout": out.getvalue(), "stderr": err.getvalue()}


def main():
    answers = sys.stdout
    for line in sys.stdin:
        if line.strip():
            answers.write(json.dumps(run(json.loads(line))) + "\n")
            answers.flush()


if __name__ == "__main__":
    main()
