# Shell helpers shared by the test and benchmark scripts. Source it; it runs nothing.
#
#   repo_setup                   cd to the repository root and set $root; CARGO_TARGET_DIR
#                                (default $root/target), CARGO_TERM_COLOR (default never),
#                                cargo's bin dir on PATH, pip quiet and non-interactive
#   work_start                   $work: a temporary directory; on exit (or INT/TERM) the emulator
#                                stops (emulator_stop) and $work is removed
#   step TEXT                    prints a step heading (unless the caller defined step first)
#   apt_install PKG...           Debian packages, non-interactive (apt-get update once per script;
#                                sudo -n when not root)
#   url_start NAME CMD [ARG...]  starts CMD in the background, stdout in $work/NAME.out and stderr
#                                in $work/NAME.err ($work: the caller's directory); waits (30 s
#                                at most) for its first stdout line, an http:// URL (the emulator
#                                binary, `visionxl emulator` and `visionxl serve` all print one);
#                                sets started_pid and started_url; fails with its stderr
#   url_stop PID                 stops a process url_start started (SIGTERM, then waits)
#   emulator_start BIN [ARG...]  url_start of the emulator binary on a free loopback port with
#                                ARGs; sets emu_pid and base_url
#   emulator_stop                stops it (idempotent; call it from the caller's EXIT trap)
#   ensure_venv_support          makes `$python -m venv` work (python3-venv with apt-get)
#   venv_make VENV               a virtualenv with pip at VENV, made with $python (default
#                                python3); installs python3-venv with apt first when needed
#   venv_install VENV NAME PKG.. pip-installs PKGs into VENV unless the stamp VENV/.visionxl-NAME
#                                says this interpreter already has them (reruns skip pip)

export DEBIAN_FRONTEND=noninteractive
apt_updated=0
apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  if [ "$apt_updated" -eq 0 ]; then
    $sudo apt-get update -qq </dev/null
    apt_updated=1
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" </dev/null
}

repo_setup() {
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  root=$(pwd)
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
  export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
  export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
  export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
}

work_start() {
  work=$(mktemp -d)
  trap 'emulator_stop; rm -rf "$work"' EXIT
  trap 'exit 130' INT TERM
}

# The caller's own step(), when it has one.
declare -F step >/dev/null || step() { printf '\n==> %s\n' "$*"; }

started_pid=""
started_url=""
url_start() {
  local name=$1
  shift
  # Emptied here, not by the background job's redirection (which may come too late): the URL
  # read below must be the new process's.
  : >"$work/$name.out"
  "$@" >"$work/$name.out" 2>>"$work/$name.err" </dev/null &
  started_pid=$!
  started_url=""
  for _ in $(seq 1 300); do # at most 30 s
    started_url=$(head -n 1 "$work/$name.out" 2>/dev/null || true)
    case "$started_url" in http://*) return 0 ;; esac
    kill -0 "$started_pid" 2>/dev/null || break
    sleep 0.1
  done
  started_url=""
  echo "error: $* did not print its URL" >&2
  cat "$work/$name.err" >&2 2>/dev/null || true
  return 1
}

url_stop() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

emu_pid=""
base_url=""
emulator_stop() {
  if [ -n "$emu_pid" ]; then
    url_stop "$emu_pid"
    emu_pid=""
  fi
}

emulator_start() {
  local bin=$1
  shift
  emulator_stop
  base_url=""
  url_start emu "$bin" --port 0 "$@" || return 1
  emu_pid=$started_pid
  base_url=$started_url
}

# True when $python can make a virtualenv with pip in it (Debian and Ubuntu ship
# `venv`/`ensurepip` separately, in python3-venv).
venv_supported() {
  "${python:-python3}" -c 'import venv, ensurepip; ensurepip.version()' >/dev/null 2>&1
}

# Installs the apt package that provides venv/ensurepip for $python, non-interactively
# (apt-get update first; never reads stdin). Fails with a clear message where that is impossible.
ensure_venv_support() {
  if venv_supported; then
    return 0
  fi
  local ver python=${python:-python3}
  ver=$("${python:-python3}" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: $python cannot create a virtualenv (no venv/ensurepip module); install your" \
      "distribution's venv package for Python $ver and rerun" >&2
    return 1
  fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "error: $python needs python3-venv (or python$ver-venv) and this user cannot" \
        "install it: run 'apt-get install python3-venv' as root" >&2
      return 1
    fi
    sudo=(sudo -n)
  fi
  step "python: installing python$ver-venv with apt-get (venv/ensurepip missing)"
  export DEBIAN_FRONTEND=noninteractive
  ${sudo[@]+"${sudo[@]}"} apt-get update -qq </dev/null
  # The versioned package matches a non-default python3.X; python3-venv is the default's.
  ${sudo[@]+"${sudo[@]}"} apt-get install -y -qq --no-install-recommends "python$ver-venv" \
    </dev/null \
    || ${sudo[@]+"${sudo[@]}"} apt-get install -y -qq --no-install-recommends python3-venv \
      </dev/null
  if ! venv_supported; then
    echo "error: $python still cannot create a virtualenv after installing python3-venv" >&2
    return 1
  fi
}

venv_make() {
  local venv=$1 python=${python:-python3}
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
    return 0
  fi
  ensure_venv_support
  step "python: creating $venv"
  "$python" -m venv --clear "$venv"
}

venv_install() {
  local venv=$1 name=$2
  shift 2
  local stamp="$venv/.visionxl-$name" want
  want="$("$venv/bin/python" -c 'import sys; print(sys.version)') $*"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  step "python: installing $* into $venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip </dev/null || return 1
  "$venv/bin/python" -m pip install --quiet "$@" </dev/null || return 1
  printf '%s' "$want" >"$stamp"
}
