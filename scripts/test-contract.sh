#!/usr/bin/env bash
# Contract test: docs/openapi.yaml against the emulator, with schemathesis (property-based:
# it generates valid and invalid requests from the spec and checks every answer against it).
#
# Works on a fresh machine (CI=true, no stdin): creates its own venv at
# $CARGO_TARGET_DIR/venv-contract (installing python3-venv with apt-get when needed, as
# scripts/test-python.sh does), pip-installs schemathesis $SCHEMATHESIS_SPEC the first time
# (a stamp file makes reruns skip pip), builds the emulator (debug, shared target dir), starts
# it on a free loopback port and runs two passes, each against a fresh emulator:
#
#   1. the service and the downloads (tags `service`, `downloads`): examples, coverage,
#      fuzzing and stateful phases (the spec's links: generate -> getResult, downloadAsset,
#      headAsset; uploadAsset -> downloadAsset, headAsset), API-KEY = the emulator's key (with
#      credits enough for every generation);
#   2. the control endpoints (tag `control`, /_emulator/*). They are tested apart on purpose:
#      queuing random faults (POST /_emulator/faults, /_emulator/chaos) or resetting the
#      emulator in the middle of pass 1 would make the service answer 429/5xx/dropped
#      connections at random, which the spec allows but which would hide what pass 1 tests.
#      Control endpoints are never affected by faults, so pass 2 is deterministic.
#
# Checks: every schemathesis check, all on by default (not_a_server_error,
# status_code_conformance, content_type_conformance, response_headers_conformance,
# response_schema_conformance, negative_data_rejection, positive_data_acceptance,
# missing_required_header, ignored_auth, unsupported_method, allow_header_conformance,
# use_after_free, ensure_resource_availability, ...). The emulator's stderr is also checked for
# panics.
#
# Rules JSON Schema cannot state are bridged by hooks (a generated module), not by weakening
# checks; schemathesis revalidates every case after the hook, so the checks judge what is sent:
#  - `leonardo_init_image_id` / `leonardo_image_prompts` must name an uploaded asset: every
#    non-blank reference the generator makes is replaced by a real one (uploaded first);
#  - an upload must be an image by its magic bytes: text parts get a GIF signature in front;
#  - a /temp download needs a valid signature: every other one with the required parameters
#    is pointed at a real signed URL taken from an earlier generation's answer;
#  - integers as JSON integers (2, not 2.0) and numbers within the double range (see the
#    spec's description).
#
# Usage: scripts/test-contract.sh [extra `st run` arguments]
# Environment:
#   CONTRACT_MAX_EXAMPLES  examples per operation and phase (default 100: about a minute on 2
#                          cores; 300 takes about 5 minutes)
#   CONTRACT_SEED          default 20261124 (reproducible); "random" for a fresh seed
#   CONTRACT_WORKERS       default 1 (with more, hypothesis can hit a CPython 3.11 thread-safety
#                          bug in ast.parse: "AST constructor recursion depth mismatch")
#   PYTHON                 interpreter for the venv (default python3)
# Nothing is written into the repository (schemathesis runs in a temporary directory).
# Ends with "contract: N operations, M test cases, F failures (seed S)"; exits 1 on failures.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
repo_setup

SCHEMATHESIS_SPEC="schemathesis>=4.3,<5"
python="${PYTHON:-python3}"
venv="$CARGO_TARGET_DIR/venv-contract"
max_examples="${CONTRACT_MAX_EXAMPLES:-100}"
seed="${CONTRACT_SEED:-20261124}"
workers="${CONTRACT_WORKERS:-1}"
key=vxl-emulator-key

step "contract: venv and $SCHEMATHESIS_SPEC"
venv_make "$venv"
vpy="$venv/bin/python"
[ -x "$venv/bin/st" ] || rm -f "$venv/.visionxl-contract-tools"
venv_install "$venv" contract-tools "$SCHEMATHESIS_SPEC"
echo "  $("$venv/bin/st" --version)"

step "contract: build the emulator (debug)"
cargo build --locked -p visionxl-emulator
emulator="$CARGO_TARGET_DIR/debug/visionxl-emulator"

work_start

# The default key, with credits enough for every generation the run makes (the default 100,000
# would run out after ~250 successful generations and turn valid requests into 402s).
printf '[{"key": "%s", "credits": 1000000000000}]\n' "$key" >"$work/keys.json"

# Starts a fresh emulator; sets base_url.
start_emulator() {
  emulator_start "$emulator" --keys "$work/keys.json" || exit 1
  echo "  emulator at $base_url (pid $emu_pid)"
}

# schemathesis configuration and hooks (written here so the run needs no other files).
cat >"$work/schemathesis.toml" <<'EOF'
hooks = "vxl_contract_hooks"
EOF
cat >"$work/vxl_contract_hooks.py" <<'EOF'
"""Hooks for scripts/test-contract.sh."""

import json
import os
import urllib.parse

import schemathesis

# Unicode White_Space as Rust's str::trim sees it: what visionxl-core calls blank.
_WS = set("\t\n\x0b\x0c\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | {
    chr(c) for c in range(0x2000, 0x200B)
}
_REFS = os.environ.get("VXL_CONTRACT_ASSET_REFS", "").split()

def _ref(value, i):
    """A real asset reference for a non-blank string; anything else unchanged."""
    if _REFS and isinstance(value, str) and any(ch not in _WS for ch in value):
        return _REFS[i % len(_REFS)]
    return value

_BIG = 10**300

def _json_numbers(value):
    """Numbers as the spec's description asks, recursively; no case changes its class.

    - 2.0 -> 2: JSON Schema calls 2.0 an integer, so schemathesis sends it for integer fields;
      visionxl-core (and serde) read it as a number with a fraction and refuse it where an
      integer is required. Both spellings are equally valid or invalid by the schema.
    - integers beyond the IEEE 754 double range (schemathesis sends 300-digit integers, even in
      properties the server ignores) -> +-10**300: the emulator's JSON parser, like most, stops
      at that range (RFC 8259 section 6). Where a bound applies, both are out of bounds."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return max(-_BIG, min(_BIG, value))
    if isinstance(value, list):
        return [_json_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_numbers(v) for k, v in value.items()}
    return value

def _image_upload(case):
    """An upload's bytes must be an image, which the schema cannot say: a text `asset` part
    (valid by the schema, as before) gets a GIF signature in front, the magic bytes the emulator
    recognises, so schema-valid uploads succeed and their links can be followed."""
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("asset"), str):
        if not body["asset"].startswith(("GIF87a", "GIF89a")):
            case.body = {**body, "asset": "GIF89a" + body["asset"]}

# (path, query) of the first signed temporary URLs the emulator answered.
_SIGNED = []
_signed_uses = [0]

def _signed_download(case):
    """Every other schema-valid /temp download goes to a real signed URL (the schema cannot
    make a valid signature), so the 200 answers are checked too; the others still test the
    403s."""
    query = case.query or {}
    if not _SIGNED or not all(k in query for k in ("X-Amz-Date", "X-Amz-Expires", "X-Amz-Signature")):
        return
    if not isinstance((case.path_parameters or {}).get("path"), str):
        return
    _signed_uses[0] += 1
    if _signed_uses[0] % 2:
        path, signed = _SIGNED[_signed_uses[0] % len(_SIGNED)]
        case.path_parameters = {**case.path_parameters, "path": path}
        case.query = dict(signed)

@schemathesis.hook
def after_call(context, case, response):
    """Collects the signed temporary URLs of successful generations."""
    op = case.operation
    if op.method.upper() != "POST" or op.path != "/api/features" or response.status_code != 200:
        return
    try:
        url = json.loads(response.content)["aiRecord"]["temporaryUrl"]
    except (ValueError, KeyError, TypeError):
        return
    parts = urllib.parse.urlsplit(url)
    if isinstance(url, str) and parts.path.startswith("/temp/"):
        path = urllib.parse.unquote(parts.path[len("/temp/"):])
        # A few are enough (each new picture costs the debug emulator a render; URLs stay
        # valid for 600 s, longer than a run).
        if len(_SIGNED) < 4:
            _SIGNED.append((path, dict(urllib.parse.parse_qsl(parts.query))))

@schemathesis.hook
def before_call(context, case, kwargs):
    """Numbers the emulator can read; asset references that name an uploaded asset.

    Only non-blank reference strings are replaced, so a negative case stays negative
    (schemathesis revalidates the case after this hook either way)."""
    if isinstance(case.body, (dict, list)):
        fixed = _json_numbers(case.body)
        if repr(fixed) != repr(case.body):
            case.body = fixed
    op = case.operation
    if op.method.upper() == "POST" and op.path == "/api/assets":
        _image_upload(case)
        return
    if op.method.upper() == "GET" and op.path == "/temp/{path}":
        _signed_download(case)
        return
    if op.method.upper() != "POST" or op.path != "/api/features":
        return
    body = case.body
    if not isinstance(body, dict) or not isinstance(body.get("promptObject"), dict):
        return
    po = dict(body["promptObject"])
    changed = False
    if "leonardo_init_image_id" in po:
        new = _ref(po["leonardo_init_image_id"], 0)
        changed |= new is not po["leonardo_init_image_id"]
        po["leonardo_init_image_id"] = new
    prompts = po.get("leonardo_image_prompts")
    if isinstance(prompts, list):
        new = [_ref(p, i) for i, p in enumerate(prompts)]
        changed |= any(a is not b for a, b in zip(new, prompts))
        po["leonardo_image_prompts"] = new
    if changed:
        case.body = {**body, "promptObject": po}
EOF

# Uploads a 1x1 PNG and prints its two references (asset.key, fileContent.path).
upload_asset() {
  "$vpy" - "$base_url" "$key" <<'EOF'
import json, struct, sys, urllib.request, zlib

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0))
       + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00\xff")) + chunk(b"IEND", b""))
boundary = "vxlcontractboundary"
body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"asset\"; filename=\"init.png\"\r\n"
        f"Content-Type: image/png\r\n\r\n").encode() + png + f"\r\n--{boundary}--\r\n".encode()
req = urllib.request.Request(sys.argv[1] + "/api/assets", data=body, method="POST", headers={
    "API-KEY": sys.argv[2], "Content-Type": f"multipart/form-data; boundary={boundary}"})
with urllib.request.urlopen(req, timeout=30) as resp:
    answer = json.load(resp)
print(answer["asset"]["key"], answer["fileContent"]["path"])
EOF
}

seed_args=()
if [ "$seed" != "random" ]; then
  seed_args=(--seed "$seed")
fi

total_ops=0
total_cases=0
total_failures=0
# Runs one pass; $1 = name, the rest = `st run` arguments.
run_pass() {
  local name=$1
  shift
  local log="$work/$name.log"
  local rc=0
  # From the work dir: nothing (reports, caches) is written into the repository.
  (cd "$work" && PYTHONPATH="$work" NO_COLOR=1 COLUMNS=120 \
    "$venv/bin/st" --config-file "$work/schemathesis.toml" run "$root/docs/openapi.yaml" \
    --url "$base_url" -H "API-KEY: $key" \
    --max-examples "$max_examples" --workers "$workers" \
    --generation-database none --request-timeout 30 --no-color \
    ${seed_args[@]+"${seed_args[@]}"} "$@" </dev/null) >"$log" 2>&1 || rc=$?
  cat "$log"
  # "Tested: N" and "N generated, ..." from schemathesis's summary.
  local ops cases failures
  ops=$(grep -E '^ +Tested: [0-9]+' "$log" | grep -oE '[0-9]+' | head -n 1 || true)
  cases=$(grep -oE '[0-9]+ generated' "$log" | grep -oE '[0-9]+' | head -n 1 || true)
  failures=$(grep -oE '[0-9]+ unique failures?' "$log" | grep -oE '[0-9]+' | head -n 1 || true)
  ops=${ops:-0}
  cases=${cases:-0}
  failures=${failures:-0}
  if [ "$rc" -ne 0 ] && [ "$failures" -eq 0 ]; then
    failures=1 # errors (not check failures) also fail the run
  fi
  echo "  pass $name: $ops operations, $cases test cases, $failures failures (st exit $rc)"
  total_ops=$((total_ops + ops))
  total_cases=$((total_cases + cases))
  total_failures=$((total_failures + failures))
}

step "contract pass 1: service and downloads (max $max_examples examples per operation and phase)"
start_emulator
refs=$(upload_asset)
echo "  uploaded a 1x1 PNG for asset references: $refs"
export VXL_CONTRACT_ASSET_REFS="$refs"
run_pass service --include-tag service --include-tag downloads "$@"
emulator_stop

step "contract pass 2: control endpoints (/_emulator/*), fresh emulator"
start_emulator
# No links among the control endpoints: no stateful phase.
run_pass control --include-tag control --phases examples,coverage,fuzzing "$@"
emulator_stop

if grep -qiE 'panicked|RUST_BACKTRACE' "$work/emu.err"; then
  echo "error: the emulator panicked:" >&2
  grep -iE -A5 'panicked' "$work/emu.err" >&2 || true
  total_failures=$((total_failures + 1))
fi

echo
echo "contract: $total_ops operations, $total_cases test cases, $total_failures failures (seed $seed)"
[ "$total_failures" -eq 0 ]
