"""Regenerates parsers.json: how python-dotenv and npm dotenv read the `.env` lines that
`cogauth export --format dotenv` writes. Run from this directory, with the parsers installed:

    python3 -m venv /tmp/dv && /tmp/dv/bin/pip install python-dotenv==1.2.4
    for v in 16.4.7 17.2.3 18.0.10; do
      mkdir -p /tmp/npm-dotenv-$v && (cd /tmp/npm-dotenv-$v && npm init -y >/dev/null && npm install dotenv@$v)
    done
    /tmp/dv/bin/python regenerate.py /tmp/npm-dotenv-16.4.7 /tmp/npm-dotenv-17.2.3 /tmp/npm-dotenv-18.0.10

`quote` below restates cogauth's rule (crates/cogauth-cli/src/export.rs); the test
`tests/it/export.rs` checks that the binary writes exactly the lines recorded here.
"""
import json
import subprocess
import sys

import dotenv

ACCEPTED = [
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "FwoGZXIvYXdzEBYaDH//+token==",
    "2026-11-26T12:00:00Z",
    "",
    "with space",
    " leading and trailing ",
    'double"quote',
    "single'quote",
    "dollar$HOME",
    "$(touch PWNED)",
    "back`touch PWNED`tick",
    "hash # not a comment",
    "#hash",
    "semi;colon",
    "new\nline",
    "single'quote and\nnewline",
    "equals=sign",
    "tab\there",
    "\u00fcn\u00efcode",
    "back\\slash",
    "quote'and$dollar",
]
REFUSED = [
    "brace${COGAUTH_DOTENV_UNSET}",
    "both'and\"",
    "two\\\\backslashes",
    "trailing\\",
    "quote'and\\n",
    "carriage\rreturn",
]


def quote(v):
    """cogauth's rule: single quotes (both parsers take everything inside literally, except
    that python-dotenv reads `\\\\` as one backslash), double quotes for a value with a single
    quote and nothing else they treat specially, else None."""
    if "${" in v or "\r" in v:
        return None
    if "'" not in v:
        if "\\\\" in v or v.endswith("\\"):
            return None
        return "'" + v + "'"
    if '"' not in v and "\\" not in v:
        return '"' + v + '"'
    return None


def parse_python(text, interpolate):
    import io

    return dotenv.dotenv_values(stream=io.StringIO(text), interpolate=interpolate)


def parse_node(text, dirs):
    script = """
const fs = require('fs');
const text = fs.readFileSync(0, 'utf8');
const out = {};
for (const dir of process.argv.slice(1)) {
  const dotenv = require(dir + '/node_modules/dotenv');
  out[require(dir + '/node_modules/dotenv/package.json').version] = dotenv.parse(text);
}
process.stdout.write(JSON.stringify(out));
"""
    res = subprocess.run(["node", "-e", script, *dirs], input=text, capture_output=True, text=True, check=True)
    return json.loads(res.stdout)


def main():
    npm_dirs = sys.argv[1:]
    vectors = []
    for value in ACCEPTED + REFUSED:
        quoted = quote(value)
        # A refused value is shown in the quotes it would have had, to show why it is refused.
        attempt = '"' + value + '"' if "'" in value else "'" + value + "'"
        line_value = quoted if quoted is not None else attempt
        text = "K=" + line_value + "\n"
        parsed = {
            "python-dotenv 1.2.4": parse_python(text, True).get("K"),
            "python-dotenv 1.2.4, interpolate=False": parse_python(text, False).get("K"),
        }
        for version, values in parse_node(text, npm_dirs).items():
            parsed["npm dotenv " + version] = values.get("K")
        vectors.append(
            {
                "value": value,
                "quoted": quoted,
                "parsed": parsed,
            }
        )
    about = (
        "How python-dotenv and npm dotenv read the values `cogauth export --format dotenv` writes. "
        "For each value: `quoted` is what cogauth writes after `KEY=` (null: cogauth refuses the "
        "value), and `parsed` what each parser reads back from that line (for a refused value, "
        "from the value in the quotes it would have had, to show why it is refused). Produced by regenerate.py "
        "in this directory with the real parsers."
    )
    with open("parsers.json", "w") as f:
        json.dump({"about": about, "vectors": vectors}, f, indent=1, ensure_ascii=False)
        f.write("\n")


main()
