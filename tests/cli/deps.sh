#!/usr/bin/env bash
# tools/deps.sh: with every package present it says nothing; with one
# missing, a user who is not root gets the package, what it is for and the
# one apt-get command, and the check fails.  (The root path runs apt-get:
# not tested here.)  Usage: tests/cli/deps.sh VMLAB (unused)
set -u
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }
here=$(cd "$(dirname "$0")/../.." && pwd)

out=$("$here/tools/deps.sh" build 2>&1) || fail "tools/deps.sh build fails: $out"
[ -z "$out" ] || fail "tools/deps.sh build printed: $out"

printf 'test  dpkg                      the package manager\ntest  vmlab-no-such-package     a part that needs it\n' \
    >"$tmp/list"
chmod 755 "$tmp"
chmod 644 "$tmp/list"
# As a user who is not root (nobody, when the tests run as root).
as_user() {
    if [ "$(id -u)" -eq 0 ]; then
        setpriv --reuid=65534 --regid=65534 --clear-groups env VMLAB_DEPS_LIST="$tmp/list" "$@"
    else
        VMLAB_DEPS_LIST="$tmp/list" "$@"
    fi
}
out=$(as_user "$here/tools/deps.sh" test 2>&1); rc=$?
[ "$rc" -eq 1 ] || fail "a missing package: exit $rc, wanted 1"
grep -qF "vmlab-no-such-package: a part that needs it" <<<"$out" || fail "no reason in: $out"
grep -qF "sudo apt-get install vmlab-no-such-package" <<<"$out" || fail "no command in: $out"
grep -q "dpkg:" <<<"$out" && fail "an installed package listed as missing: $out"
[ "$fails" -eq 0 ]
