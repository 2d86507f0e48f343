#!/usr/bin/env bash
# bench/libcachesim.sh -- libCacheSim's cachesim, built for `make bench` to
# compare with (and bench/lcs_count, exact miss counts through its library).
#
# libCacheSim (https://github.com/1a1a11a/libCacheSim) is not part of
# vmlab: no line of it is copied here.  This script builds it from a
# source tree when one is present, outside the repository, once:
#   source  $LIBCACHESIM_SRC: a source tree, or a git directory (a bare
#           clone or a mirror such as /work/.mirror/1a1a11a+libCacheSim/repo,
#           which is tried when LIBCACHESIM_SRC is unset)
#   build   ${LIBCACHESIM_BUILD:-$HOME/.cache/vmlab/libCacheSim}
# It needs cmake, a C++ compiler, libglib2.0-dev and libzstd-dev (Debian).
# Prints "CACHESIM=PATH" and "LCS_COUNT=PATH" on success; otherwise says how
# to get the source and exits 1.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${LIBCACHESIM_BUILD:-$HOME/.cache/vmlab/libCacheSim}
src=${LIBCACHESIM_SRC:-/work/.mirror/1a1a11a+libCacheSim/repo}

if [ ! -x "$build/_build/bin/cachesim" ] || [ ! -f "$build/_build/liblibCacheSim.a" ]; then
    if [ ! -e "$src" ]; then
        echo "libCacheSim is not here: get it with" >&2
        echo "  git clone https://github.com/1a1a11a/libCacheSim /some/dir" >&2
        echo "and run: LIBCACHESIM_SRC=/some/dir make bench" >&2
        exit 1
    fi
    for tool in cmake c++ pkg-config; do
        command -v $tool >/dev/null || { echo "libCacheSim needs $tool" >&2; exit 1; }
    done
    pkg-config --exists glib-2.0 libzstd || {
        echo "libCacheSim needs Debian's libglib2.0-dev and libzstd-dev" >&2; exit 1; }
    echo "building libCacheSim from $src into $build (once)" >&2
    rm -rf "$build" && mkdir -p "$build"
    if [ -d "$src/objects" ] || git --git-dir="$src" rev-parse --git-dir >/dev/null 2>&1 \
            && [ ! -f "$src/CMakeLists.txt" ]; then
        # a git directory: its newest commit, without the large data files
        # (a mirror may lack the data files' blobs: git names them on stderr)
        git --git-dir="$src" archive HEAD $(git --git-dir="$src" ls-tree --name-only HEAD \
                                            | grep -v '^data$') 2>/dev/null | tar -x -C "$build"
        [ -f "$build/CMakeLists.txt" ] || { echo "cannot read $src" >&2; exit 1; }
    else
        cp -r "$src/." "$build/"
    fi
    mkdir -p "$build/_build"
    (cd "$build/_build" && cmake -DCMAKE_BUILD_TYPE=Release .. >cmake.log 2>&1 \
        && make -j2 cachesim libCacheSim >make.log 2>&1) \
        || { echo "libCacheSim did not build: see $build/_build/*.log" >&2; exit 1; }
fi
lcs=$build/_build
if [ ! -x "$lcs/lcs_count" ] || [ "$here/lcs_count.c" -nt "$lcs/lcs_count" ]; then
    libs=$(sed -n 's/.*cachesim \(.*\)$/\1/p' "$lcs/libCacheSim/bin/cachesim/CMakeFiles/cachesim.dir/link.txt" \
           | sed "s|\.\./\.\./\.\./|$lcs/|g; s|\.\./\.\./|$lcs/libCacheSim/|g")
    c++ -O2 -x c "$here/lcs_count.c" -x none -I"$build/libCacheSim/include" \
        $(pkg-config --cflags glib-2.0) -o "$lcs/lcs_count" $libs -lm -lpthread -ldl \
        || { echo "bench/lcs_count.c did not build against libCacheSim" >&2; exit 1; }
fi
echo "CACHESIM=$lcs/bin/cachesim"
echo "LCS_COUNT=$lcs/lcs_count"
