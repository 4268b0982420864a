#!/usr/bin/env bash
# autobahn.sh — run the Autobahn|Testsuite WebSocket conformance cases against a server and judge them.
#
#   scripts/autobahn.sh [options] ws://HOST:PORT[/path]   (or wss://: the suite does not check the certificate)
#   scripts/autobahn.sh --parse-only REPORT_DIR        # judge an existing report (index.json)
#
# Options (each also readable from the environment):
#   --venv DIR        AUTOBAHN_VENV     virtualenv holding `wstest`; created and filled from PyPI on first use
#   --python2 PATH    AUTOBAHN_PYTHON2  a CPython 2.7 interpreter, needed only to create the venv (the
#                                       TestSuite is Python 2 only; Debian 12 has no python2 package, so
#                                       use one from an older release or a pyenv build)
#   --out DIR         AUTOBAHN_OUT      report folder (default ./autobahn-report)
#   --cases LIST      AUTOBAHN_CASES    comma-separated case patterns (default 1.*,2.*,...,7.*,9.*,10.*:
#                                       every case without compression; there is no 8.*)
#   --exclude LIST    AUTOBAHN_EXCLUDE  case patterns to leave out (default none)
#   --agent NAME                        name of the server in the report (default ringgate)
#   --timeout SECS                      limit for the whole run (default 1800)
# A python2 unpacked from .debs rather than installed needs its libraries: set LD_LIBRARY_PATH, or leave
# it to this script, which adds <prefix>/lib/x86_64-linux-gnu when the interpreter is <prefix>/bin/python2.7.
#
# A case passes when Autobahn rates both its behaviour and its close behaviour OK, NON-STRICT or
# INFORMATIONAL. Prints every other case, then "N passed, M failed".
# Exit status: 0 every case passed, 1 a case failed or none ran, 2 usage or tool error.
#
# Example, against RingGate's echo mode:
#   .build/release/ringgate echo websocket://127.0.0.1:9001 --max-package-length 67108864 &
#   scripts/autobahn.sh --venv /var/tmp/autobahn --python2 /opt/python2.7/bin/python2.7 ws://127.0.0.1:9001
set -uo pipefail

venv=${AUTOBAHN_VENV:-}
python2=${AUTOBAHN_PYTHON2:-}
out=${AUTOBAHN_OUT:-./autobahn-report}
cases=${AUTOBAHN_CASES:-1.*,2.*,3.*,4.*,5.*,6.*,7.*,9.*,10.*}
exclude=${AUTOBAHN_EXCLUDE:-}
agent=ringgate
limit=1800
parse_only=""
url=""

usage() {
    sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    [ -n "${1:-}" ] && echo "autobahn.sh: $1" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case $1 in
        --venv) venv=$2; shift 2 ;;
        --python2) python2=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --cases) cases=$2; shift 2 ;;
        --exclude) exclude=$2; shift 2 ;;
        --agent) agent=$2; shift 2 ;;
        --timeout) limit=$2; shift 2 ;;
        --parse-only) parse_only=$2; shift 2 ;;
        -h | --help) usage ;;
        ws://* | wss://*) url=$1; shift ;;
        *) usage "unexpected argument '$1'" ;;
    esac
done

# Judges OUT/index.json: prints failures and the totals; exit 0 only when every case passed.
judge() {
    python3 - "$1" <<'PYTHON'
import json, sys

folder = sys.argv[1]
try:
    with open(folder + "/index.json") as f:
        index = json.load(f)
except (OSError, ValueError) as error:
    print(f"autobahn.sh: no readable report in {folder}: {error}", file=sys.stderr)
    sys.exit(1)
good = {"OK", "NON-STRICT", "INFORMATIONAL"}

def case_key(case_id):
    return [int(part) if part.isdigit() else part for part in case_id.split(".")]

passed = failed = strict = 0
for agent, results in sorted(index.items()):
    for case_id in sorted(results, key=case_key):
        result = results[case_id]
        behaviour, close = result.get("behavior"), result.get("behaviorClose")
        if behaviour in good and close in good:
            passed += 1
            strict += behaviour == "OK" and close == "OK"
        else:
            failed += 1
            print(f"FAIL {agent} {case_id}: behaviour {behaviour}, close {close} ({result.get('reportfile', '')})")
print(f"{strict} strictly OK")
print(f"{passed} passed, {failed} failed")
sys.exit(0 if failed == 0 and passed > 0 else 1)
PYTHON
}

if [ -n "$parse_only" ]; then
    judge "$parse_only"
    exit $?
fi

[ -n "$url" ] || usage "no ws:// or wss:// URL given"
[ -n "$venv" ] || usage "no virtualenv: give --venv DIR or set AUTOBAHN_VENV"
command -v python3 >/dev/null || usage "python3 is needed to create the venv and read the report"

if [ -n "$python2" ]; then
    prefix=$(cd "$(dirname "$python2")/.." && pwd)
    if [ -d "$prefix/lib/x86_64-linux-gnu" ]; then
        export LD_LIBRARY_PATH="$prefix/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    fi
fi

# --- install (once) -------------------------------------------------------------------------------
if [ ! -x "$venv/bin/wstest" ]; then
    [ -n "$python2" ] || usage "$venv/bin/wstest is missing and no Python 2.7 to create it: give --python2 PATH or set AUTOBAHN_PYTHON2"
    "$python2" -c 'import sys; assert sys.version_info[:2] == (2, 7)' 2>/dev/null ||
        usage "$python2 is not a working Python 2.7 interpreter"
    echo "autobahn.sh: creating $venv with $python2 and installing the TestSuite from PyPI" >&2
    tools="$venv.tools"
    # virtualenv 20.22 dropped support for creating Python 2 environments.
    if [ ! -x "$tools/bin/virtualenv" ]; then
        python3 -m venv "$tools" && "$tools/bin/pip" install -q 'virtualenv<20.22' ||
            { echo "autobahn.sh: could not install virtualenv into $tools" >&2; exit 2; }
    fi
    "$tools/bin/virtualenv" -q -p "$python2" "$venv" ||
        { echo "autobahn.sh: could not create the Python 2.7 virtualenv $venv" >&2; exit 2; }
    # The TestSuite's PyPI release declares no dependencies; these are the last versions that
    # still support Python 2.7 and work together. wsaccel (the `accelerate` extra: C masking and UTF-8
    # validation, which makes the 16 MiB cases of section 9 fast) needs gcc and the Python 2.7 headers.
    requirements="$venv/autobahn-requirements.txt"
    cat >"$requirements" <<'PINS'
six==1.16.0
zope.interface==4.6.0
incremental==16.10.1
txaio==2.1.0
Twisted==19.10.0
cryptography==3.3.2
pyOpenSSL==19.1.0
service_identity==18.1.0
markupsafe==1.1.1
jinja2==2.11.3
Werkzeug==1.0.1
klein==17.10.0
unittest2==1.1.0
PINS
    include="$prefix/include/python2.7"
    if [ -f "$include/Python.h" ] && command -v gcc >/dev/null; then
        echo 'autobahn[twisted,accelerate]==0.10.9' >>"$requirements"
        export CFLAGS="-I$include -I$prefix/include"
    else
        echo "autobahn.sh: no Python 2.7 headers or gcc: installing without wsaccel (section 9 runs slower)" >&2
        echo 'autobahn[twisted]==0.10.9' >>"$requirements"
    fi
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements" &&
        "$venv/bin/pip" install -q --disable-pip-version-check --no-deps autobahntestsuite==25.10.1 ||
        { echo "autobahn.sh: pip install failed (see above)" >&2; exit 2; }
fi

# --- run -------------------------------------------------------------------------------------------
mkdir -p "$out" || exit 2
out=$(cd "$out" && pwd)
rm -f "$out"/index.json "$out"/index.html
python3 - "$out" "$agent" "$url" "$cases" "$exclude" >"$out/spec.json" <<'PYTHON' || exit 2
import json, sys
out, agent, url, cases, exclude = sys.argv[1:]
split = lambda text: [item.strip() for item in text.split(",") if item.strip()]
print(json.dumps({
    "outdir": out,
    "servers": [{"agent": agent, "url": url}],
    "cases": split(cases),
    "exclude-cases": split(exclude),
    "exclude-agent-cases": {},
}, indent=2))
PYTHON

echo "autobahn.sh: running cases $cases against $url (report in $out)" >&2
(cd "$out" && timeout "$limit" "$venv/bin/wstest" -m fuzzingclient -s "$out/spec.json" >"$out/wstest.log" 2>&1)
status=$?
if [ $status -eq 124 ]; then
    echo "autobahn.sh: wstest did not finish within $limit s; judging the cases it completed" >&2
elif [ $status -ne 0 ]; then
    echo "autobahn.sh: wstest exited with $status (last lines of $out/wstest.log below)" >&2
    tail -5 "$out/wstest.log" >&2
fi
judge "$out"
result=$?
[ $status -eq 0 ] || result=1
exit $result
