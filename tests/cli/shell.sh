#!/usr/bin/env bash
# `vmlab shell`: on a terminal (driven by ptyexpect on a pseudo-terminal)
# line editing, completion, history kept across sessions, Ctrl-C, Ctrl-D,
# errors that do not end the session or count in its exit status; from a
# pipe, the lines read plainly, errors counted.
# Usage: tests/cli/shell.sh VMLAB (ptyexpect is next to VMLAB)
set -u
vmlab=${1:-build/test/vmlab}
pty=$(dirname "$vmlab")/ptyexpect
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }
unset XDG_STATE_HOME VMLAB_HISTORY
export HOME="$tmp/home"
mkdir -p "$HOME"

# dialogue NAME: runs the dialogue on stdin against a terminal session.
dialogue() {
    local name=$1
    if ! "$pty" "$vmlab" shell >"$tmp/pty.log" 2>&1; then
        fail "$name"; cat "$tmp/pty.log"
    fi
}

# Completion of commands, process names, constants and variables; a typo
# and Ctrl-C keep the session (and the machine) going; Ctrl-D leaves with
# status 0.
dialogue "completion, errors, Ctrl-C, Ctrl-D" <<'END'
expect vmlab> 
send process GAME\n
expect process -> 0x1
expect vmlab> 
send $p = Virt\tAl\t GA\t0 4K MEM_RESERV\t|MEM_COMM\t PAGE_READW\t\n
expect vmlab> 
send echo $\t\n
expect 0x10000
expect vmlab> 
send bogus\n
expect error: unknown command 'bogus'
expect vmlab> 
send write GAME $p u8 1 and half a line\x03
expect ^C
send expect read GAME $p u8 == 0\n
expect vmlab> 
send echo still here\n
expect still here
expect vmlab> 
raw
send \x04
exit 0
END

# Blocks: the prompt is "...> " until the block's end; Ctrl-C drops a
# block being typed and stops a running loop; the session goes on.
dialogue "blocks, Ctrl-C in a loop" <<'END'
expect vmlab> 
send repeat 2\n
expect ...> 
send echo in%s "side"\n
expect ...> 
send end\n
expect inside
expect inside
expect vmlab> 
send for $i in 1..3\n
expect ...> 
raw
send \x03
expect ^C
expect vmlab> 
send $n = 0\n
expect vmlab> 
send repeat 1000000000\n
expect ...> 
send $n = ($n + 1)\n
expect ...> 
send if $n == 1000\n
expect ...> 
send echo running\n
expect ...> 
send end\n
expect ...> 
send end\n
expect running
send \x03
expect interrupted (Ctrl-C)
expect vmlab> 
send expect ($n > 0)\n
expect vmlab> 
send echo alive\n
expect alive
expect vmlab> 
raw
send \x04
exit 0
END

# A long command shows its progress on the terminal's stderr; Ctrl-C
# stops it between two chunks and the session (and machine) go on.
dialogue "progress and Ctrl-C of a long command" <<'END'
expect vmlab> 
send machine ram=16M\n
expect vmlab> 
send process A\n
expect vmlab> 
send $p = VirtualAlloc A 0 8M MEM_RESERVE|MEM_COMMIT PAGE_READWRITE\n
expect vmlab> 
send touch A $p 8M w\n
expect vmlab> 
send tick 1000000\n
expect tick: 
expect Ctrl-C stops
send \x03
expect error: interrupted (Ctrl-C) after
expect vmlab> 
send expect stat A working_set > 0\n
expect vmlab> 
send echo alive\n
expect alive
expect vmlab> 
raw
send \x04
exit 0
END

# vmlab run: Ctrl-C stops the script, which then dies of SIGINT (so that
# a calling shell loop stops too).
cat >"$tmp/long.vms" <<'END'
machine ram=16M
process A
$p = VirtualAlloc A 0 8M MEM_RESERVE|MEM_COMMIT PAGE_READWRITE
touch A $p 8M w
tick 1000000
echo not reached
END
if ! "$pty" "$vmlab" run "$tmp/long.vms" >"$tmp/pty.log" 2>&1 <<'END'
expect tick: 
send \x03
expect long.vms:5: error: interrupted (Ctrl-C)
killed 2
END
then fail "vmlab run interrupted"; cat "$tmp/pty.log"; fi

# History: the second session recalls the first one's lines (Up arrow).
dialogue "history, first session" <<'END'
expect vmlab> 
send echo remembered line\n
expect remembered line
send quit\n
exit 0
END
[ -f "$HOME/.vmlab_history" ] || fail "no ~/.vmlab_history after a session"
dialogue "history, second session" <<'END'
expect vmlab> 
send \e[A\e[A\n
expect remembered line
expect vmlab> 
raw
send \x04
exit 0
END
export XDG_STATE_HOME="$tmp/state"
dialogue "history under XDG_STATE_HOME" <<'END'
expect vmlab> 
send echo xdg\n
expect xdg
expect vmlab> 
raw
send \x04
exit 0
END
grep -q "xdg" "$tmp/state/vmlab/history" 2>/dev/null || fail "no \$XDG_STATE_HOME/vmlab/history"
unset XDG_STATE_HOME

# An expect that fails, or an internal error, shows; only the latter ends
# the session with its status.
dialogue "a failed expect keeps the session" <<'END'
expect vmlab> 
send expect (1 == 2)\n
expect expect failed
send echo next\n
expect next
expect vmlab> 
raw
send \x04
exit 0
END

# Not a terminal: the lines are read plainly; errors do not stop the
# session but set its exit status.
out=$(printf 'echo hi\nbogus\necho after\n' | "$vmlab" shell 2>&1); rc=$?
[ "$rc" -eq 2 ] || fail "piped shell with an error: exit $rc, wanted 2"
grep -q "after" <<<"$out" || fail "piped shell stopped at the error: $out"
grep -q "vmlab>" <<<"$out" && fail "piped shell printed a prompt: $out"
out=$(printf 'echo hi\n' | "$vmlab" shell 2>&1); rc=$?
[ "$rc" -eq 0 ] || fail "piped shell without errors: exit $rc"

[ "$fails" -eq 0 ]
