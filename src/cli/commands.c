/*
** commands.c -- the command table of the scenario language.
**
** ONE table drives dispatch (cmd_find, cmd_run), `vmlab help` and
** `vmlab help COMMAND`: a command exists exactly when it has a row here.
**
** INVARIANTS:
**   CMD1  Names and aliases are unique across the table.
**   CMD2  min_args <= max_args (or max_args == -1: any number), and args
**       names the arguments in the order the handler reads them.
**   CMD3  cmd_run() checks the argument count, strips --json (CMD_JSON) and
**       a trailing cpu=N (CMD_CPU), creates the default machine
**       (CMD_MACHINE) and only then calls the handler.
*/
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define M  CMD_MACHINE
#define J  CMD_JSON
#define C  CMD_CPU
#define V  CMD_VALUE

static const struct cmd cmds[] = {
/* ---- Machine and processes ---------------------------------------- */
{ "machine", NULL, "Machine and processes", 0, -1, "[KEY=VALUE...]",
  "create a fresh machine (destroys the old one)",
  "Creates a new simulated machine; the previous machine, its processes and\n"
  "everything in them are destroyed (variables are kept).  Omitted keys take\n"
  "their defaults.  Keys:\n"
  "  ram=SIZE          physical memory (default 64M)\n"
  "  paging=MODE       4level (default), 5level, pae, legacy\n"
  "  tlb=ENTRIESxWAYS  first-level TLB per CPU (default 64x4)\n"
  "  tlb2=ENTRIESxWAYS second-level TLB (default none; tlb2=off)\n"
  "  cpus=N            1..64 (default 1)\n"
  "  seed=N            the machine's random generator (default 1)\n"
  "  split=2G|3G       user/kernel split of the 32-bit modes (default 2G)\n"
  "  pcid=on|off       PCID-tagged TLB entries (default off)\n"
  "  check=on|off      run every invariant check after every operation\n"
  "  data=on|off       off: frames keep no contents (page tables do); reads\n"
  "                    give 0, no file can be mapped: huge machines (64G in\n"
  "                    about 530M of host memory) for replay and scaling\n"
  "Paging under memory pressure:\n"
  "  pagefile=SIZE     a pagefile of SIZE (a temporary file, deleted at once);\n"
  "  pagefile=PATH,SIZE  the pagefile at PATH (created or truncated);\n"
  "  pagefile=off      no pagefile (default): dirty pages cannot leave RAM\n"
  "  policy=NAME       page replacement: ws (default: working sets, trimmed\n"
  "                    by age), fifo, lru, mru, clock, clock0, lfu, arc, 2q,\n"
  "                    lru2, clockpro, sieve, s3fifo, wsclock, nru, aging,\n"
  "                    random (global; opt and optclean need the future:\n"
  "                    `vmlab policy` only; see `vmlab help policy`)\n"
  "  wsmin=N wsmax=N   working-set limits of new processes, in pages\n"
  "                    (default 50 and 0 = no maximum)\n"
  "  low=N high=N      trim when available pages fall below low, up to high\n"
  "                    (default: RAM/64, at least 16, and twice that)\n"
  "  zeroreserve=N     zeroed pages the zero-page worker keeps (default: low)\n"
  "  bginterval=N      run the background work every N accesses (default\n"
  "                    65536; 0: only on thresholds and tick)\n"
  "Files:\n"
  "  files=PATH        the machine's file directory (relative file names are\n"
  "                    in it; default: a fresh temporary directory, removed\n"
  "                    with the machine)\n"
  "Images:\n"
  "  aslr=on|off       randomized image bases, heaps, stacks, PEB/TEB, the\n"
  "                    mmap base and brk (default on; from the seed: the same\n"
  "                    seed, the same layout); off: the systems' fixed places\n"
  "  imports=strict|lenient  strict: an image whose imported module is not\n"
  "                    loaded fails to load; lenient (default): the import\n"
  "                    stays unresolved and the load goes on\n"
  "Without a machine line, the first command that needs a machine creates\n"
  "the default one.",
  "machine ram=4M pagefile=16M policy=ws wsmin=16", 0, h_machine },
{ "process", NULL, "Machine and processes", 1, 2, "NAME [win32|posix]",
  "create a process; later commands name it",
  "Creates a process with an empty user address space (the kernel half is\n"
  "shared by every process).  It is an error if NAME exists.  NAME may be a\n"
  "$variable or \"string\" holding it ($n = format P%d $i; process $n).\n"
  "Value: the pid.\n"
  "win32: with the environment CreateProcess builds (no image): a PEB, the\n"
  "process parameters, the main thread (its TEB and a 1 MiB stack, 4 KiB\n"
  "committed above a guard page) and the process heap.  posix: with what\n"
  "execve builds (no image): the main [stack] (argv = { NAME }, the auxv),\n"
  "the mmap base and the brk.  Each placed by ASLR (machine aslr=).",
  "process A win32", M | V, h_process },
{ "terminate", NULL, "Machine and processes", 1, 1, "PROCESS",
  "terminate a process, releasing its memory",
  "Destroys a process: every page, page table and VAD is released.",
  "terminate A", M, h_terminate },
{ "cpu", NULL, "Machine and processes", 0, 1, "[N]",
  "set the CPU that later accesses run on",
  "Sets the CPU used by later memory accesses and TLB commands (default 0).\n"
  "A single command can also name its CPU with a trailing cpu=N word.\n"
  "Value: the current CPU.",
  "cpu 1", M | V, h_cpu },
{ "switch", NULL, "Machine and processes", 1, 2, "PROCESS [CPU]",
  "load PROCESS's CR3 on a CPU (context switch)",
  "Loads the process's CR3 on CPU (default: the current CPU).  Non-global\n"
  "TLB entries are flushed unless PCIDs are enabled (machine pcid=on).",
  "switch B", M, h_switch },
{ "layout", NULL, "Machine and processes", 0, 0, "",
  "the address-space layout of the paging mode",
  "Prints the user range, the kernel base, the mmap base, the virtual\n"
  "address bits and the allocation granularity of the machine's paging mode.",
  "layout", M | J, h_layout },
{ "check", NULL, "Machine and processes", 0, 0, "",
  "run every invariant check of the library",
  "Runs vml_machine_check().  A broken invariant is an internal error: vmlab\n"
  "prints it and exits with status 3.",
  "check", M, h_check },
{ "events", NULL, "Machine and processes", 1, 1, "on|off",
  "print every fault, list move, PTE write...",
  "Explain mode: with events on, each fault, page-list transition, PTE\n"
  "write, page-table allocation, TLB fill/invalidate/flush and CR3 load is\n"
  "printed on its own line, indented by two spaces.",
  "events on", 0, h_events },

/* ---- Script --------------------------------------------------------- */
{ "echo", NULL, "Script", 0, -1, "[WORD...]",
  "print words, $variables and (expressions)",
  "Prints its words separated by one space.  Inside a word, $name is replaced\n"
  "by the variable's value, (EXPRESSION) by its value and \"string\" by the\n"
  "string's text; everything else is printed as typed.  Numbers print as 0x\n"
  "hex; strings print as their text.  With % directives (%d %u %x %#x %s\n"
  "%%, widths), the last words are their values: echo %d faults ($n).  See\n"
  "vmlab help scripting.",
  "echo base=$base size=($n * 2) \"two words\"", 0, h_echo },
{ "format", NULL, "Script", 1, -1, "WORD...",
  "value: the string echo would print",
  "Builds a string as echo builds its line ($variables, (expressions),\n"
  "\"strings\", % directives with their values last) and gives it as the\n"
  "value: names made from numbers, for process, CreateFileMapping and the\n"
  "like.",
  "$name = format P%d $i", V, h_format },
{ "expect", NULL, "Script", 1, -1, "COMMAND... [OP VALUE | fails [REASON]]",
  "assert a value, a failure or an expression",
  "Forms:\n"
  "  expect (EXPR) OP VALUE        compare an expression\n"
  "  expect (EXPR)                 the expression is not zero\n"
  "  expect COMMAND ... OP VALUE   run COMMAND and compare its value\n"
  "  expect COMMAND ... fails [REASON]  COMMAND must fail (for that reason)\n"
  "  expect COMMAND ...            COMMAND must succeed\n"
  "OP is == != < <= > >= (unsigned numbers; strings compare as strings).\n"
  "REASON is ACCESS_VIOLATION, GUARD_PAGE_VIOLATION, STATUS_IN_PAGE_ERROR,\n"
  "SEGV_MAPERR, SEGV_ACCERR, BUS_ADRERR, a STATUS_* code, an exception reason\n"
  "(NOT_RESERVED, NOT_COMMITTED, KERNEL, NONCANONICAL, READONLY, NX, NOACCESS,\n"
  "GUARD, NO_MEMORY, IN_PAGE_ERROR), a Win32\n"
  "error name (ERROR_INVALID_ADDRESS), an errno name (EINVAL) or a vmlab\n"
  "status (NOT_PRESENT, INVALID, ...).  The command runs quietly.  A failed\n"
  "expect prints FILE:LINE: expect failed: expected X, got Y; the script\n"
  "goes on and vmlab run exits with status 1.",
  "expect read A $p u32 == 0x12345678", 0, h_expect },
{ "vars", NULL, "Script", 0, 0, "",
  "list the variables and their values",
  "Prints every variable with its value.",
  "vars", 0, h_vars },
{ "help", NULL, "Script", 0, 1, "[COMMAND|TOPIC]",
  "list the commands, or describe one",
  "Without an argument, lists every command.  With a command name, prints its\n"
  "usage, description and an example.  Topics: expressions, expect, stat\n"
  "(every counter), constants (every symbolic constant).",
  "help VirtualAlloc", 0, h_help },
{ "source", NULL, "Script", 1, 1, "FILE",
  "run a script file inside this session",
  "Runs the lines of FILE as if they were typed here: its machine commands,\n"
  "variables and defs stay after it ends.  A relative FILE is found next to\n"
  "the script that sources it (in the shell: in the current directory).  An\n"
  "error stops FILE and the line that sourced it; quit in FILE stops FILE\n"
  "only.  A sourced file may source others, up to 16 deep.",
  "source helpers.vms", 0, h_source },
{ "quit", "exit", "Script", 0, 0, "",
  "leave the shell; stop reading a file",
  "Leaves the shell; in a file, the rest of the file is not run.",
  "quit", 0, h_quit },

/* ---- Win32 personality ---------------------------------------------- */
{ "VirtualAlloc", NULL, "Win32 personality", 5, 5, "PROCESS ADDRESS SIZE TYPE PROTECT",
  "reserve and/or commit memory",
  "Calls VirtualAlloc in PROCESS.  TYPE is MEM_RESERVE, MEM_COMMIT, their OR\n"
  "(MEM_RESERVE|MEM_COMMIT), optionally |MEM_TOP_DOWN; PROTECT a PAGE_*\n"
  "value.  Reservations are rounded to 64 KiB, commits to pages.\n"
  "Value: the base address.  A failure prints its GetLastError code.",
  "$p = VirtualAlloc A 0 0x2000 MEM_RESERVE|MEM_COMMIT PAGE_READWRITE", M | V, h_valloc },
{ "VirtualAllocEx", NULL, "Win32 personality", 6, 6,
  "CALLER TARGET ADDRESS SIZE TYPE PROTECT",
  "VirtualAlloc in another process",
  "CALLER allocates memory in TARGET's address space (code injection's first\n"
  "step).  Value: the base address in TARGET.",
  "$x = VirtualAllocEx INJECTOR A 0 0x1000 MEM_RESERVE|MEM_COMMIT PAGE_READWRITE",
  M | V, h_vallocex },
{ "VirtualFree", NULL, "Win32 personality", 4, 4, "PROCESS ADDRESS SIZE TYPE",
  "decommit or release memory",
  "Calls VirtualFree.  MEM_RELEASE needs the reservation's base and SIZE 0.",
  "VirtualFree A $p 0 MEM_RELEASE", M, h_vfree },
{ "VirtualProtect", NULL, "Win32 personality", 4, 4, "PROCESS ADDRESS SIZE PROTECT",
  "change the protection of committed pages",
  "Calls VirtualProtect.  Value: the old protection of the first page.",
  "$old = VirtualProtect A $p 0x1000 PAGE_READONLY", M | V, h_vprotect },
{ "VirtualQuery", NULL, "Win32 personality", 2, 3, "PROCESS ADDRESS [FIELD]",
  "MEMORY_BASIC_INFORMATION of a region",
  "Without FIELD, prints every field: BaseAddress, AllocationBase,\n"
  "AllocationProtect, RegionSize, State, Protect, Type.  With FIELD, its value\n"
  "(e.g. expect VirtualQuery A $p State == MEM_COMMIT).",
  "$size = VirtualQuery A $p RegionSize", M | V | J, h_vquery },
{ "ReadProcessMemory", NULL, "Win32 personality", 4, 4, "CALLER TARGET ADDRESS TYPE",
  "read another process's memory",
  "TYPE is u8, u16, u32, u64 (little endian) or str (up to a NUL).\n"
  "Value: what was read.  A copy that stops at an inaccessible page fails\n"
  "with ERROR_PARTIAL_COPY.",
  "$y = ReadProcessMemory INJECTOR A $x u32", M | V, h_rpm },
{ "WriteProcessMemory", NULL, "Win32 personality", 4, 5,
  "CALLER TARGET ADDRESS [TYPE] VALUE",
  "write another process's memory",
  "Writes VALUE as TYPE (u8 u16 u32 u64), or a \"string\" (its bytes and a\n"
  "NUL).  Value: the number of bytes written.",
  "WriteProcessMemory INJECTOR A $x \"payload\"", M | V, h_wpm },

{ "SetProcessWorkingSetSize", NULL, "Win32 personality", 3, 3, "PROCESS MIN MAX",
  "set working-set limits (bytes); -1 -1 empties it",
  "SetProcessWorkingSetSize(hProcess, dwMinimumWorkingSetSize,\n"
  "dwMaximumWorkingSetSize): MIN and MAX are byte sizes (SIZE_T), rounded\n"
  "down to pages; MAX 0 means no maximum.  A working set above the new\n"
  "maximum is trimmed at once, the oldest pages first: clean pages go to the\n"
  "standby list, dirty ones to the modified list.  -1 -1 ((SIZE_T)-1 twice)\n"
  "empties the working set and keeps the limits.  A failure prints the\n"
  "library's status (INVALID: MIN above MAX; RANGE: more than RAM).",
  "SetProcessWorkingSetSize A 200K 400K", M, h_setwss },
{ "SetProcessMemoryPriority", NULL, "Win32 personality", 2, 2, "PROCESS PRIORITY",
  "memory priority 0..7 of the process's pages",
  "SetProcessInformation(hProcess, ProcessMemoryPriority, ...): the priority\n"
  "(0..7, default 5 = MEMORY_PRIORITY_NORMAL; 1 very low ... 4 below normal)\n"
  "that the process's pages mapped from then on carry on the standby list.\n"
  "Standby pages of the lowest priority are repurposed first.",
  "SetProcessMemoryPriority B 1", M, h_setmemprio },

{ "CreateFile", NULL, "Win32 personality", 4, 4, "PROCESS NAME ACCESS DISPOSITION",
  "open or create a file of the machine (a handle)",
  "CreateFile: NAME relative to the machine's file directory, or an absolute\n"
  "host path (read-only: GENERIC_WRITE fails ERROR_ACCESS_DENIED).  ACCESS:\n"
  "GENERIC_READ|GENERIC_WRITE|GENERIC_EXECUTE; DISPOSITION: CREATE_NEW,\n"
  "CREATE_ALWAYS, OPEN_EXISTING, OPEN_ALWAYS, TRUNCATE_EXISTING.  On an\n"
  "existing file CREATE_ALWAYS and OPEN_ALWAYS succeed and note\n"
  "ERROR_ALREADY_EXISTS.  Value: the handle.",
  "$hf = CreateFile A data.bin GENERIC_READ|GENERIC_WRITE OPEN_EXISTING", M | V, h_createfile },
{ "CreateFileMapping", NULL, "Win32 personality", 4, 5, "PROCESS FILE PROTECT SIZE [NAME]",
  "create (or open by name) a section",
  "CreateFileMapping: FILE a file handle, or INVALID_HANDLE_VALUE for a\n"
  "pagefile-backed section (SIZE bytes, SEC_COMMIT charged now or SEC_RESERVE\n"
  "committed later through VirtualAlloc on a view).  PROTECT: PAGE_READONLY,\n"
  "PAGE_READWRITE, PAGE_WRITECOPY, PAGE_EXECUTE_READ... | SEC_*.  SIZE 0: the\n"
  "file's size; a writable section larger than its file grows it.  NAME in\n"
  "the machine's namespace (Local\\name): an existing one is opened, noting\n"
  "ERROR_ALREADY_EXISTS.  Value: the section handle.",
  "$s = CreateFileMapping A INVALID_HANDLE_VALUE PAGE_READWRITE 0x10000 Local\\shm", M | V,
  h_createfilemapping },
{ "OpenFileMapping", NULL, "Win32 personality", 3, 3, "PROCESS ACCESS NAME",
  "open a named section",
  "OpenFileMapping: ACCESS is FILE_MAP_READ, FILE_MAP_WRITE, FILE_MAP_COPY,\n"
  "FILE_MAP_EXECUTE or FILE_MAP_ALL_ACCESS.  ERROR_FILE_NOT_FOUND for an\n"
  "unknown name.  Value: the section handle.",
  "$s2 = OpenFileMapping B FILE_MAP_ALL_ACCESS Local\\shm", M | V, h_openfilemapping },
{ "MapViewOfFile", "MapViewOfFileEx", "Win32 personality", 5, 6,
  "PROCESS SECTION ACCESS OFFSET SIZE [ADDRESS]",
  "map a view of a section",
  "MapViewOfFileEx: ACCESS FILE_MAP_READ / WRITE / COPY (copy-on-write) /\n"
  "EXECUTE / ALL_ACCESS; OFFSET a multiple of 64K (ERROR_MAPPED_ALIGNMENT);\n"
  "SIZE 0: to the end of the section; ADDRESS the view's base (0 or omitted:\n"
  "anywhere).  A copy-on-write view is charged to commit.  Value: the base.",
  "$v = MapViewOfFile A $s FILE_MAP_WRITE 0 0", M | V, h_mapview },
{ "UnmapViewOfFile", NULL, "Win32 personality", 2, 2, "PROCESS ADDRESS",
  "unmap a view (its modified file pages are written back)",
  "UnmapViewOfFile: ADDRESS is the view's base.",
  "UnmapViewOfFile A $v", M, h_unmapview },
{ "FlushViewOfFile", NULL, "Win32 personality", 3, 3, "PROCESS ADDRESS SIZE",
  "write a file view's modified pages to the file",
  "FlushViewOfFile: SIZE 0 flushes to the end of the view.  The Dirty bits of\n"
  "every process that maps the pages are gathered first.",
  "FlushViewOfFile A $v 0", M, h_flushview },
{ "CloseHandle", NULL, "Win32 personality", 2, 2, "PROCESS HANDLE",
  "close a file or section handle",
  "CloseHandle: a section lives while a handle or a view refers to it.",
  "CloseHandle A $s", M, h_closehandle },
{ "CreateProcess", NULL, "Programs", 2, 3, "NAME PATH [SUSPENDED]",
  "a Win32 process from a PE executable",
  "CreateProcess: a process named NAME from the PE32 or PE32+ executable at\n"
  "PATH (relative: the machine's file directory; absolute: a read-only host\n"
  "file).  The loader maps the image (at its per-boot base, or rebased),\n"
  "loads the DLLs it imports that it finds (its directory first), resolves\n"
  "or marks its imports, and fetches the entry point (not with SUSPENDED).\n"
  "The process gets its Win32 environment: the PEB (ImageBaseAddress), the\n"
  "process parameters (the path as ImagePathName and CommandLine), the main\n"
  "thread's TEB and stack (the image's SizeOfStackReserve/Commit, a guard\n"
  "page below) and the process heap (SizeOfHeapReserve/Commit), placed by\n"
  "ASLR; PEB32/TEB32 for a PE32 image.  A malformed file fails\n"
  "ERROR_BAD_EXE_FORMAT with the place and the problem.  Value: the pid.",
  "$pid = CreateProcess A app.exe", M | V, h_createprocess },
{ "LoadLibrary", NULL, "Programs", 2, 2, "PROCESS PATH",
  "load a DLL (or an EXE's image) into a process",
  "LoadLibrary: maps the image and what it imports, as CreateProcess does;\n"
  "a module already loaded has its count raised.  DllMain's first page is\n"
  "fetched on the first load.  Value: the module's base (HMODULE).",
  "$h = LoadLibrary A pedll64.dll", M | V, h_loadlibrary },
{ "GetModuleHandle", NULL, "Programs", 1, 2, "PROCESS [NAME]",
  "the base of a loaded module",
  "GetModuleHandle: NAME without case, \".dll\" optional; without NAME the\n"
  "executable.  ERROR_MOD_NOT_FOUND.  Value: the base.",
  "$h = GetModuleHandle A pedll64", M | V, h_getmodulehandle },
{ "GetProcAddress", NULL, "Programs", 3, 3, "PROCESS MODULE NAME",
  "the address of an exported function",
  "GetProcAddress: NAME, or #N for ordinal N; a forwarded export is followed\n"
  "(its DLL loaded).  ERROR_PROC_NOT_FOUND.  Value: the address.",
  "$f = GetProcAddress A $h dll_add", M | V, h_getprocaddress },
{ "FreeLibrary", NULL, "Programs", 2, 2, "PROCESS MODULE",
  "drop a reference to a module",
  "FreeLibrary: the last reference unmaps the image and releases the\n"
  "modules it imported.",
  "FreeLibrary A $h", M, h_freelibrary },
{ "execve", NULL, "Programs", 2, -1, "NAME PATH [ARG...]",
  "a Linux process from an ELF executable",
  "execve: a process named NAME from the ELF executable at PATH (relative:\n"
  "the machine's file directory; absolute: a read-only host file, e.g.\n"
  "/usr/bin/ls).  The kernel's part (segments, .bss, the interpreter) and\n"
  "ld.so's (the needed shared objects from the system library directories,\n"
  "relocations written in the process, RELRO made read-only) are done; no\n"
  "code runs.  The main [stack] holds argv (PATH, then the ARGs, as a shell\n"
  "passes them), an empty environment and the auxiliary vector; the brk\n"
  "starts after the highest segment; the mmap base, the stack top and the\n"
  "brk are drawn for each exec (aslr=on).  ENOENT, ENOEXEC with the place\n"
  "and the problem; E2BIG.  Value: the pid.",
  "$pid = execve A /usr/bin/ls", M | V, h_execve },
{ "dlopen", NULL, "Programs", 2, 2, "PROCESS PATH",
  "map a shared object as ld.so does",
  "dlopen: maps the object and the objects it needs (not loaded yet),\n"
  "relocates them, protects RELRO.  A loaded object gets one more\n"
  "reference.  Value: its load address.",
  "$b = dlopen A /lib/x86_64-linux-gnu/libz.so.1", M | V, h_dlopen },
{ "dlclose", NULL, "Programs", 2, 2, "PROCESS BASE",
  "drop a reference to a shared object",
  "dlclose: the last reference unmaps the object.",
  "dlclose A $b", M, h_dlclose },
{ "dlsym", NULL, "Programs", 3, 3, "PROCESS BASE NAME",
  "the address of a shared object's symbol",
  "dlsym: a dynamic symbol the object defines.  ENOENT.  Value: the\n"
  "address.",
  "$f = dlsym A $b zlibVersion", M | V, h_dlsym },
{ "GetLastError", NULL, "Win32 personality", 1, 1, "PROCESS",
  "the process's last Win32 error code",
  "GetLastError: the code of the process's last failed Win32 call, or of its\n"
  "last CreateFile, CreateFileMapping or OpenFileMapping, which set it on\n"
  "success too: 0, or ERROR_ALREADY_EXISTS (183) when the object existed.\n"
  "Value: the code.",
  "expect GetLastError A == ERROR_ALREADY_EXISTS", V, h_getlasterror },

/* ---- POSIX personality ---------------------------------------------- */
{ "mmap", NULL, "POSIX personality", 5, 7, "PROCESS ADDRESS LENGTH PROT FLAGS [FD [OFFSET]]",
  "map memory or a file (Linux rules, errno)",
  "Calls mmap.  PROT is PROT_NONE or an OR of PROT_READ PROT_WRITE PROT_EXEC;\n"
  "FLAGS e.g. MAP_PRIVATE|MAP_ANONYMOUS (|MAP_FIXED), or MAP_SHARED /\n"
  "MAP_PRIVATE with FD from open and OFFSET (page-aligned) into the file.\n"
  "MAP_SHARED|MAP_ANONYMOUS makes a shmem object of its own.  FD defaults\n"
  "to -1 and OFFSET to 0.  A page past the end of a mapped file raises\n"
  "SIGBUS (BUS_ADRERR).  Value: the address.",
  "$q = mmap A 0 0x3000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS", M | V, h_mmap },
{ "munmap", NULL, "POSIX personality", 3, 3, "PROCESS ADDRESS LENGTH",
  "unmap a range (splitting mappings)",
  "Calls munmap.",
  "munmap A $q 0x1000", M, h_munmap },
{ "mprotect", NULL, "POSIX personality", 4, 4, "PROCESS ADDRESS LENGTH PROT",
  "change protection (split/merge mappings)",
  "Calls mprotect.",
  "mprotect A $q 0x1000 PROT_READ", M, h_mprotect },
{ "open", NULL, "POSIX personality", 3, 3, "PROCESS NAME FLAGS",
  "open a file of the machine (a descriptor)",
  "open(2): NAME is relative to the machine's file directory (machine\n"
  "files=PATH), or an absolute host path, which can be read and mapped but\n"
  "never written (EACCES).  FLAGS: O_RDONLY, O_WRONLY or O_RDWR, with\n"
  "O_CREAT, O_EXCL, O_TRUNC.  Value: the descriptor (the lowest free, from 3).",
  "$fd = open A data.bin O_RDWR|O_CREAT", M | V, h_open },
{ "close", NULL, "POSIX personality", 2, 2, "PROCESS FD",
  "close a descriptor",
  "close(2): EBADF for a descriptor the process does not have.  A mapping\n"
  "made from the descriptor stays.",
  "close A $fd", M, h_close },
{ "msync", NULL, "POSIX personality", 4, 4, "PROCESS ADDRESS LENGTH FLAGS",
  "write a shared file mapping back to its file",
  "msync(2): MS_SYNC writes the modified pages of shared file mappings in\n"
  "the range to their files now (the Dirty bits of every process that maps\n"
  "them first); MS_ASYNC leaves them to the modified page writer, as Linux\n"
  "does since 2.6.19; MS_INVALIDATE has nothing to drop (one page cache).\n"
  "ENOMEM when the range is not fully mapped, after syncing what is.",
  "msync A $m 0x4000 MS_SYNC", M, h_msync },
{ "madvise", NULL, "POSIX personality", 4, 4, "PROCESS ADDRESS LENGTH ADVICE",
  "advice: MADV_DONTNEED, MADV_WILLNEED, MADV_FREE ...",
  "madvise(2).  MADV_DONTNEED drops the pages: private anonymous memory reads\n"
  "back as zeros, a private file mapping from the file, a shared mapping\n"
  "keeps its data.  MADV_WILLNEED reads a file's pages into memory ahead of\n"
  "use.  MADV_FREE lets clean private pages be dropped rather than saved\n"
  "when memory is short (a write first cancels it).  MADV_DONTFORK /\n"
  "MADV_DOFORK: not inherited by fork / inherited again.  ENOMEM over a hole.",
  "madvise A $p 0x4000 MADV_DONTNEED", M, h_madvise },
{ "fork", NULL, "POSIX personality", 2, 2, "PARENT CHILD",
  "fork: a child sharing every page copy-on-write",
  "fork(2): CHILD is the new process's name.  Its private memory shares the\n"
  "parent's pages copy-on-write (read-only in both, share count 2; the\n"
  "first write in either takes a copy), shared mappings stay shared, the\n"
  "descriptors are copied.  Value: the child's pid.",
  "$pid = fork A B", M | V, h_fork },

/* ---- Memory access -------------------------------------------------- */
{ "read", NULL, "Memory access", 3, 3, "PROCESS ADDRESS TYPE",
  "read memory through the MMU",
  "Reads at ADDRESS in PROCESS on the current CPU, through the TLB, the page\n"
  "walk and the fault handler.  TYPE u8 u16 u32 u64 reads little-endian\n"
  "numbers; str reads a NUL-terminated string (at most 64 KiB).  Value: what\n"
  "was read.  An exception prints its code and reason.",
  "$v = read A $p u32", M | V | C, h_read },
{ "write", NULL, "Memory access", 3, 4, "PROCESS ADDRESS [TYPE] VALUE",
  "write memory through the MMU",
  "Writes VALUE as TYPE (u8 u16 u32 u64, little endian), or a \"string\": its\n"
  "bytes and a NUL.  A number that does not fit in TYPE is an error.",
  "write A $p u32 0x12345678", M | C, h_write },
{ "exec", NULL, "Memory access", 2, 2, "PROCESS ADDRESS",
  "fetch an instruction byte (execute access)",
  "Fetches one byte at ADDRESS as the CPU does for an instruction: NX pages\n"
  "raise an access violation.  Value: the byte.",
  "exec A $p", M | V | C, h_exec },

{ "touch", NULL, "Memory access", 4, 4, "PROCESS ADDRESS LEN r|w",
  "one access per page of a range",
  "Touches every page of [ADDRESS, ADDRESS+LEN): the first at ADDRESS, the\n"
  "others at their first byte.  r reads there; w reads the byte there and\n"
  "writes it back (a read-modify-write: the page becomes dirty, its\n"
  "contents stay).\n"
  "Value: the pages touched.  An exception stops it, as read and write do.",
  "touch A $p 4M w", M | V | C, h_touch },
{ "fill", NULL, "Memory access", 4, 5, "PROCESS ADDRESS LEN SEED [AS]",
  "write a pattern derived from SEED and each address",
  "Writes LEN bytes at ADDRESS, in order, through the MMU: byte va is byte\n"
  "(va & 7) of SplitMix64's mix of (SEED * 0x9E3779B97F4A7C15) ^ (va & ~7).\n"
  "Every byte depends only on SEED and its own address, so verify checks\n"
  "any part of the range.  With AS, the bytes are those of addresses AS..\n"
  "(so a view of a file made by `file NAME SIZE SEED` compares: AS is the\n"
  "view's offset in the file).  An exception stops it at the faulting page.",
  "fill A $p 4M 7", M | C, h_fill },
{ "verify", NULL, "Memory access", 4, 5, "PROCESS ADDRESS LEN SEED [AS]",
  "count the bytes that differ from fill's pattern",
  "Reads LEN bytes at ADDRESS, in order, through the MMU, and compares them\n"
  "with the pattern fill writes for SEED (at addresses AS.. when given).\n"
  "Value: the number of bytes that differ (0: the data is intact).  An\n"
  "exception stops it.",
  "expect verify A $p 4M 7 == 0", M | V | C, h_verify },

/* ---- Page tables and TLB -------------------------------------------- */
{ "vtop", "!vtop", "Page tables and TLB", 2, 2, "PROCESS ADDRESS",
  "the page walk; value: the physical address",
  "Prints each level of the walk (table, index, entry) without touching the\n"
  "A/D bits or the TLB.  Value: the physical address.  Fails with\n"
  "NOT_PRESENT when there is no valid translation.",
  "$pa = vtop A $p", M | V | J, h_vtop },
{ "!pte", NULL, "Page tables and TLB", 2, 2, "PROCESS ADDRESS",
  "every level's entry, decoded (WinDbg !pte)",
  "Shows the entries of every paging level that map ADDRESS, with their\n"
  "flags (P RW US A D G NX...) or software PTE kind.",
  "!pte A $p", M | J, h_view_pte },
{ "pte", NULL, "Page tables and TLB", 2, 2, "PROCESS ADDRESS",
  "value: the raw leaf PTE",
  "Value: the raw leaf entry (the PTE, or the PDE/PDPTE of a large page).\n"
  "Fails with NOT_PRESENT when a table on the way is missing.",
  "$e = pte A $p", M | V, h_pte },
{ "setpte", NULL, "Page tables and TLB", 3, 3, "PROCESS ADDRESS VALUE",
  "raw write of the leaf PTE, NO TLB flush",
  "What the hardware sees when an OS forgets to flush: the entry changes in\n"
  "memory, but a TLB entry filled before keeps the old permissions and\n"
  "frame until invlpg or a flush.  The permission and status bits may\n"
  "change, and the frame may become one this process maps at another\n"
  "address (the page that loses its only PTE is freed).",
  "setpte A $p ($e & ~0x2)", M, h_setpte },
{ "invlpg", NULL, "Page tables and TLB", 2, 3, "PROCESS ADDRESS [all]",
  "invalidate the TLB entry of ADDRESS",
  "invlpg on the current CPU; with all, on every CPU (a counted shootdown).",
  "invlpg A $p", M | C, h_invlpg },
{ "flushtlb", NULL, "Page tables and TLB", 0, 1, "[all]",
  "flush the TLB (all: global entries too)",
  "Without all, a CR3 reload: global entries survive.  With all, every\n"
  "entry goes (a CR4.PGE toggle).",
  "flushtlb", M | C, h_flushtlb },
{ "tlb", NULL, "Page tables and TLB", 0, 1, "[CPU]",
  "a CPU's TLB entries and counters",
  "Shows the TLB of CPU (default: the current CPU).",
  "tlb 0", M | J, h_tlb },
{ "pagemap", NULL, "Page tables and TLB", 2, 3, "PROCESS ADDRESS [COUNT]",
  "/proc/PID/pagemap entries",
  "Prints the 64-bit pagemap entry of each page (PFN, present, swapped,\n"
  "exclusive, soft-dirty bits) as Linux lays it out.  COUNT is 1..65536.",
  "pagemap A $q 3", M | J, h_pagemap },

/* ---- Physical memory ------------------------------------------------ */
{ "!pfn", NULL, "Physical memory", 1, 1, "PFN",
  "a frame's PFN database entry (WinDbg !pfn)",
  "Shows the frame's list, links, PTE address, share and reference counts\n"
  "and flags.",
  "!pfn 0x1a7", M | J, h_view_pfn },
{ "!memusage", NULL, "Physical memory", 0, 0, "",
  "page counts of every list (WinDbg)",
  "Zeroed, free, standby (and its non-empty priorities), modified, bad and\n"
  "active pages, and the frames that hold page tables.",
  "!memusage", M | J, h_memusage },
{ "!db", NULL, "Physical memory", 1, 2, "PHYSADDR [COUNT]",
  "dump physical memory bytes",
  "Prints COUNT bytes (default 64, at most 4096) of physical memory in hex.",
  "!db $pa 16", M | J, h_db },
{ "markbad", NULL, "Physical memory", 1, 1, "PFN",
  "take a free frame out of service",
  "Moves the frame to the bad list; an active frame is refused (INVALID).",
  "markbad 0x200", M, h_markbad },
{ "zeropages", NULL, "Physical memory", 0, 1, "[N]",
  "run the zero-page worker",
  "Zeroes free frames and moves them to the zeroed list.  Value: how many.",
  "zeropages 16", M | V, h_zeropages },

/* ---- Paging ---------------------------------------------------------- */
{ "tick", NULL, "Paging", 0, 1, "[N]",
  "run the background work N times (default 1)",
  "Runs the memory manager's background work N times (0 to 1048576): the\n"
  "working-set manager ages every working set (a page whose A bit is set\n"
  "becomes young, the others grow older) and trims those above their\n"
  "maximum and, when memory is low, the oldest pages; the modified page\n"
  "writer writes every modified page to the pagefile, in clusters (they\n"
  "move to the standby list); the zero-page worker zeroes free pages.",
  "tick 3", M, h_tick },
{ "inject", NULL, "Paging", 1, 4, "POINT ERROR [after=N] [count=N] | [POINT] off",
  "make pagefile I/O or host allocations fail",
  "Fault injection.  POINT is pagefile-write (ERROR EIO or ENOSPC),\n"
  "pagefile-read (EIO), alloc (NOMEM: the host's malloc), file-read (EIO:\n"
  "a mapped file's page reads) or file-write (EIO or ENOSPC: write-backs\n"
  "to mapped files).  After N more\n"
  "successful operations of that kind (default 0), the next count (default\n"
  "1) fail.  A failed write leaves the pages on the modified list, data\n"
  "intact; a failed read raises STATUS_IN_PAGE_ERROR (SIGBUS).  inject\n"
  "POINT off cancels one point, inject off all of them.",
  "inject pagefile-write EIO count=1", M, h_inject },
{ "!vm", NULL, "Paging", 0, 0, "",
  "virtual memory usage: lists, commit, pagefile (WinDbg)",
  "Physical memory, available pages (zeroed, free, standby), modified\n"
  "pages, commit charge, commit limit and peak, the pagefile (size, free,\n"
  "peak use) and each process's private commit, largest first.",
  "!vm", M | J, h_view_vm },
{ "!wsle", NULL, "Paging", 1, 1, "PROCESS",
  "a process's working-set list (WinDbg)",
  "The working set's current, peak, minimum and maximum size, then one line\n"
  "per entry: slot index, virtual address, age (background passes since\n"
  "the page was last seen accessed, 0..7), the PTE's A and D bits and the\n"
  "frame.",
  "!wsle A", M | J, h_view_wsle },
{ "vmstat", NULL, "Paging", 0, 0, "",
  "/proc/vmstat lines (pgfault, pgmajfault, pswpin...)",
  "The /proc/vmstat counters vmlab reproduces exactly: nr_free_pages,\n"
  "pgpgin, pgpgout, pswpin, pswpout, pgfault, pgmajfault.",
  "vmstat", M | J, h_vmstat },

/* ---- Files ------------------------------------------------------------ */
{ "file", NULL, "Files", 2, 3, "NAME SIZE [SEED]",
  "create or replace a file in the machine's file directory",
  "Makes NAME hold SIZE bytes: byte k is fill's pattern byte for SEED at\n"
  "address k (zeros without SEED).  Refused while a view maps the file.",
  "file data.bin 0x4000 7", M, h_file },
{ "filecheck", NULL, "Files", 4, 4, "NAME OFFSET LEN SEED",
  "compare a host file with fill's pattern",
  "Value: how many of the host file's bytes OFFSET..OFFSET+LEN-1 differ from\n"
  "fill's pattern for SEED at addresses OFFSET.. (0: the file holds it).",
  "expect filecheck data.bin 0 0x4000 7 == 0", M | V, h_filecheck },

/* ---- Heaps, stacks and threads ---------------------------------------- */
{ "GetProcessHeap", NULL, "Heaps, stacks and threads", 1, 1, "PROCESS",
  "the process heap (PEB.ProcessHeap)",
  "Value: the handle of the process heap, the base of its first segment.  A\n"
  "process without a Win32 environment (process NAME, not NAME win32) has\n"
  "none (NOT_FOUND).",
  "$hp = GetProcessHeap A", M | V, h_getprocessheap },
{ "HeapCreate", NULL, "Heaps, stacks and threads", 4, 4, "PROCESS OPTIONS INITIAL MAXIMUM",
  "create a heap (reserve a segment, commit INITIAL)",
  "HeapCreate: OPTIONS 0 or HEAP_GENERATE_EXCEPTIONS | HEAP_NO_SERIALIZE |\n"
  "HEAP_CREATE_ENABLE_EXECUTE; INITIAL bytes committed (rounded to pages, at\n"
  "least one); MAXIMUM 0: a growable heap (a 1 MiB segment, more segments\n"
  "as it grows, large blocks in VirtualAllocs of their own), else a fixed\n"
  "heap of MAXIMUM bytes.  Value: the heap's handle.",
  "$hh = HeapCreate A 0 0x10000 0", M | V, h_heapcreate },
{ "HeapAlloc", NULL, "Heaps, stacks and threads", 4, 4, "PROCESS HEAP FLAGS SIZE",
  "allocate a block from a heap",
  "HeapAlloc: FLAGS 0, HEAP_ZERO_MEMORY, HEAP_GENERATE_EXCEPTIONS.  The heap\n"
  "commits what the block needs; blocks above 0xFE000 bytes (0x7F000 on\n"
  "32-bit) get a VirtualAlloc of their own.  Fails ERROR_NOT_ENOUGH_MEMORY\n"
  "(a fixed heap full), or raises STATUS_NO_MEMORY with\n"
  "HEAP_GENERATE_EXCEPTIONS; a handle that is no heap raises an access\n"
  "violation, a heap whose headers were overwritten STATUS_HEAP_CORRUPTION.\n"
  "Value: the block's address.",
  "$p = HeapAlloc A $hh HEAP_ZERO_MEMORY 100", M | V, h_heapalloc },
{ "HeapReAlloc", NULL, "Heaps, stacks and threads", 5, 5, "PROCESS HEAP FLAGS POINTER SIZE",
  "resize a heap block (in place, or moved)",
  "HeapReAlloc: shrinks in place, grows into a free block after it, or\n"
  "moves the block (not with HEAP_REALLOC_IN_PLACE_ONLY: then\n"
  "ERROR_NOT_ENOUGH_MEMORY).  HEAP_ZERO_MEMORY zeroes the added bytes.\n"
  "Value: the block's address.",
  "$p = HeapReAlloc A $hh 0 $p 4096", M | V, h_heaprealloc },
{ "HeapSize", NULL, "Heaps, stacks and threads", 4, 4, "PROCESS HEAP FLAGS POINTER",
  "the size asked for a heap block",
  "HeapSize: ERROR_INVALID_PARAMETER for a pointer that is not a busy block.\n"
  "Value: the size.",
  "expect HeapSize A $hh 0 $p == 100", M | V, h_heapsize },
{ "HeapFree", NULL, "Heaps, stacks and threads", 4, 4, "PROCESS HEAP FLAGS POINTER",
  "free a heap block",
  "HeapFree: the block coalesces with its free neighbours; a large free end\n"
  "of a segment is decommitted; a large block's VirtualAlloc is released.\n"
  "ERROR_INVALID_PARAMETER for a pointer that is not a busy block (a\n"
  "double free).",
  "HeapFree A $hh 0 $p", M, h_heapfree },
{ "HeapDestroy", NULL, "Heaps, stacks and threads", 2, 2, "PROCESS HEAP",
  "destroy a heap, releasing its memory",
  "HeapDestroy: every segment and large block is released.  The process heap\n"
  "cannot be destroyed (ERROR_INVALID_HANDLE).",
  "HeapDestroy A $hh", M, h_heapdestroy },
{ "CreateThread", NULL, "Heaps, stacks and threads", 1, 3, "PROCESS [STACKSIZE [FLAGS]]",
  "a new thread: its TEB and a guarded stack",
  "CreateThread: STACKSIZE is the commit (default the main thread's 4 KiB),\n"
  "or with FLAGS STACK_SIZE_PARAM_IS_A_RESERVATION the reservation (default\n"
  "1 MiB).  The stack's top pages are committed with a PAGE_GUARD page below;\n"
  "a touch of the guard page commits the next one as the new guard (no\n"
  "exception; stat stack_growths), until the reserve is used up:\n"
  "STATUS_STACK_OVERFLOW.  Needs a Win32 environment.  Value: the thread id.",
  "$tid = CreateThread A 0x10000 STACK_SIZE_PARAM_IS_A_RESERVATION", M | V, h_createthread },
{ "malloc", NULL, "Heaps, stacks and threads", 2, 2, "PROCESS SIZE",
  "glibc's malloc: brk below 128 KiB, mmap above",
  "glibc 2.36's malloc on the process's brk ([heap]) and mmap: the tcache,\n"
  "then the best free chunk, then the top (grown with brk, 128 KiB of pad);\n"
  "requests of M_MMAP_THRESHOLD (128 KiB, raised by freeing a larger mmapped\n"
  "chunk) or more get an mmap of their own.  Chunk headers are in the\n"
  "process's memory.  Value: the pointer; ENOMEM when it fails.",
  "$p = malloc A 100", M | V, h_malloc },
{ "realloc", NULL, "Heaps, stacks and threads", 3, 3, "PROCESS POINTER SIZE",
  "glibc's realloc",
  "Grows into the top or a free neighbour, shrinks in place, or moves.  SIZE\n"
  "0 frees (value 0).  Value: the pointer.",
  "$p = realloc A $p 200", M | V, h_realloc },
{ "calloc", NULL, "Heaps, stacks and threads", 3, 3, "PROCESS N SIZE",
  "glibc's calloc",
  "malloc of N * SIZE bytes (ENOMEM when it overflows), cleared -- but\n"
  "memory fresh from mmap or brk, which is zero already and not touched.",
  "$p = calloc A 10 16", M | V, h_calloc },
{ "brk", NULL, "Heaps, stacks and threads", 2, 2, "PROCESS ADDRESS",
  "the brk system call",
  "Sets the program break: the [heap] VMA grows (the pages free, one page\n"
  "short of the next mapping) or shrinks (its pages unmapped).  A break below\n"
  "the start or into another mapping is refused.  ADDRESS 0 asks.  Value:\n"
  "the break after the call (the old one when refused), as the kernel\n"
  "returns it.",
  "$b = brk A 0", M | V, h_brk },
{ "sbrk", NULL, "Heaps, stacks and threads", 2, 2, "PROCESS INCREMENT",
  "glibc's sbrk: move the break by INCREMENT",
  "INCREMENT may be negative.  Value: the previous break; ENOMEM when brk\n"
  "refuses.",
  "$old = sbrk A 0x1000", M | V, h_sbrk },
{ "!heap", NULL, "Heaps, stacks and threads", 1, 2, "PROCESS [HEAP]",
  "a process's heaps (WinDbg !heap -s), or one heap's blocks",
  "Without HEAP: one line per heap -- flags, reserved, committed, large\n"
  "(virtual) and free KB, free blocks, uncommitted ranges, virtual blocks.\n"
  "With HEAP: its segments and every block (address, previous size, size,\n"
  "flags, busy or free, the size asked).  Read without faults.",
  "!heap A", M | J, h_view_heap },
{ "!peb", NULL, "Heaps, stacks and threads", 1, 1, "PROCESS",
  "the process environment block (WinDbg !peb)",
  "ImageBaseAddress, Ldr, ProcessHeap, the heap list, ProcessParameters with\n"
  "the image path and command line.",
  "!peb A", M | J, h_view_peb },
{ "!teb", NULL, "Heaps, stacks and threads", 1, 2, "PROCESS [TID]",
  "a thread environment block (WinDbg !teb)",
  "StackBase, StackLimit (it follows the stack's growth), DeallocationStack,\n"
  "Self, ClientId, the PEB.  TID defaults to the main thread.",
  "!teb A", M | J, h_view_teb },

/* ---- Views ---------------------------------------------------------- */
{ "!vad", NULL, "Views", 1, 1, "PROCESS",
  "the VAD tree (WinDbg !vad)",
  "One line per VAD: node, level, start and end VPN, commit, type and\n"
  "protection.",
  "!vad A", M | J, h_view_vad },
{ "maps", NULL, "Views", 1, 1, "PROCESS",
  "/proc/PID/maps", "The mappings in the format of Linux's /proc/PID/maps.",
  "maps A", M | J, h_maps },
{ "status", NULL, "Views", 1, 1, "PROCESS",
  "/proc/PID/status memory lines (VmPTE...)",
  "The memory lines of Linux's /proc/PID/status.",
  "status A", M | J, h_status },
{ "taskmgr", NULL, "Views", 0, 0, "",
  "Task Manager columns, one row per process",
  "Working Set and its parts (WS Private, WS Shareable, WS Shared, as Process\n"
  "Explorer shows them), Peak Working Set, Commit size, Virtual Size, Page\n"
  "Faults and Hard Faults (faults that read the pagefile or a file).",
  "taskmgr", M | J, h_taskmgr },
{ "!ca", NULL, "Views", 2, 2, "PROCESS ADDRESS",
  "a section's control area and prototype PTEs (WinDbg !ca)",
  "The control area, segment and prototype PTEs of the section mapped at\n"
  "ADDRESS, each prototype PTE with its state (valid, transition, pagefile,\n"
  "in the file, demand zero).",
  "!ca A $v", M | J, h_view_ca },
{ "lm", NULL, "Views", 1, 1, "PROCESS",
  "the loaded modules (WinDbg lm)",
  "WinDbg's lm: start, end and name of each module the loader mapped\n"
  "(PE images, ELF objects), then the imported modules it did not find.\n"
  "--json adds paths, bases, deltas and counts.",
  "lm A", M | J, h_lm },
{ "!dh", NULL, "Views", 2, 2, "PROCESS ADDRESS",
  "an image's headers (WinDbg !dh)",
  "WinDbg's !dh: a PE image's file and optional headers, data directories\n"
  "and section table; an ELF object's header and program headers (readelf\n"
  "-h -l's fields).  ADDRESS is the module's base (lm).",
  "!dh A $h", M | J, h_view_dh },
{ "vmmap", NULL, "Views", 1, 1, "PROCESS",
  "the address space by kind of memory (VMMap)",
  "Sysinternals VMMap's summary: Image, Mapped File, Shareable, Heap, Stack,\n"
  "Private Data, Page Table and Free, each with size, committed, working\n"
  "set (private, shareable, shared) and blocks.",
  "vmmap A", M | J, h_vmmap },
{ "smaps", NULL, "Views", 1, 1, "PROCESS",
  "/proc/PID/smaps",
  "Each mapping's Size, Rss, Pss, Shared/Private Clean/Dirty, Referenced,\n"
  "Anonymous, Swap ... and VmFlags, in Linux's format.",
  "smaps A", M | J, h_smaps },
{ "pmap", NULL, "Views", 1, 1, "PROCESS",
  "pmap -x",
  "Address, Kbytes, RSS, Dirty, Mode and Mapping of each mapping, and the\n"
  "totals, as procps' pmap -x prints them.",
  "pmap A", M | J, h_pmap },
{ "meminfo", NULL, "Views", 0, 0, "",
  "/proc/meminfo",
  "MemTotal, MemFree, MemAvailable, Cached, SwapCached, Active, Inactive,\n"
  "SwapTotal, SwapFree, Dirty, AnonPages, Mapped, Shmem, PageTables,\n"
  "CommitLimit and Committed_AS, as Linux prints them.",
  "meminfo", M | J, h_meminfo },
{ "free", NULL, "Views", 0, 2, "[PROCESS POINTER]",
  "free -k; or glibc's free(POINTER) in PROCESS",
  "Without arguments: total, used, free, shared, buff/cache and available\n"
  "memory and swap, as procps' free -k prints them.\n"
  "free PROCESS POINTER: glibc's free of a malloc'd pointer: the chunk goes\n"
  "to the tcache, or coalesces with free neighbours or the top (which is\n"
  "trimmed with brk past M_TRIM_THRESHOLD); an mmapped chunk is unmapped.\n"
  "Where glibc aborts (\"free(): double free detected in tcache 2\",\n"
  "\"free(): invalid pointer\" ...) the call fails INVALID with glibc's\n"
  "message and changes nothing.",
  "free A $p", M | J, h_free },
{ "query", NULL, "Views", 2, 2, "PROCESS ADDRESS",
  "the library's VirtualQuery view",
  "Renders the MEMORY_BASIC_INFORMATION of the region at ADDRESS.",
  "query A $p", M | J, h_query },
{ "stats", NULL, "Views", 1, 1, "PROCESS|system|cpuN",
  "every counter of a process, system or CPU",
  "Prints all counters of the scope (see vmlab help stat).",
  "stats system", M | J, h_stats },
{ "stat", NULL, "Views", 2, 2, "PROCESS|system|cpuN COUNTER",
  "one counter's value",
  "Value: the counter COUNTER of a process, of the system or of a CPU (cpu0,\n"
  "cpu1...).  vmlab help stat lists every counter.",
  "expect stat A page_faults == 1", M | V, h_stat },
/* ---- Traces ---------------------------------------------------------- */
{ "replay", NULL, "Traces", 2, 3, "PROCESS TRACE [commit]",
  "drive a memory trace through an existing process",
  "Replays every access of TRACE (a \"file name\": lackey, text, CSV, vmt or\n"
  "oracleGeneral, compressed or not; vmlab help replay) through PROCESS on\n"
  "the current CPU: TLB, page walks, faults, working sets, pagefile, as the\n"
  "program's own accesses would.  The trace's PIDs are ignored.  Reads are 8-\n"
  "byte reads, writes and modifies 8-byte writes, instruction fetches execute\n"
  "accesses.  An access that raises an exception is counted and the replay\n"
  "goes on; with commit, an access to memory not reserved or not committed\n"
  "commits its page first (reserving its 64K region), so set up sections or\n"
  "images first and let the rest be committed on first touch.  Value: the\n"
  "accesses replayed; the note gives the exceptions and pages committed.",
  "replay A \"ls.vmt.zst\" commit", M | V, h_replay },
/* ---- Pictures ---------------------------------------------------------- */
{ "diagram", NULL, "Pictures", 1, -1, "walk|space|vad|lists|share ARGS [--ascii] [--width=N]",
  "draw a translation, an address space, a VAD tree, the page lists, sharing",
  "Draws live state as a box diagram (docs/pictures.md):\n"
  "  diagram walk PROCESS ADDRESS   CR3 -> each table (its physical address,\n"
  "                                 the index used, the entry's bits) -> frame;\n"
  "                                 a stopped walk says where and why\n"
  "  diagram space PROCESS          the address space, high addresses on top:\n"
  "                                 the kernel half, regions by kind, free gaps\n"
  "  diagram vad PROCESS            the VAD tree with heights and balances\n"
  "  diagram lists                  the frames by page list: a bar, the counts,\n"
  "                                 a frame map (a cell per frame or group)\n"
  "  diagram share ITEM...          pages converging on the frames they share;\n"
  "                                 an ITEM is PROCESS ADDRESS, or an ADDRESS\n"
  "                                 for every process with a VAD there\n"
  "Box-drawing characters when the locale is UTF-8, else ASCII; --ascii and\n"
  "--unicode choose.  The width is the terminal's (COLUMNS, or 80, when the\n"
  "output is not a terminal); --width=N sets it (40..1000).  Colour only on\n"
  "a terminal, and never when NO_COLOR is set.",
  "diagram walk A $p", M, h_diagram },
{ "record", NULL, "Pictures", 0, 2, "[accesses N | ticks N | off]",
  "sample counters every N accesses or ticks (the report's timelines)",
  "Starts the recorder: the page lists, commit, pagefile use, faults by kind\n"
  "and each process's working set, sampled after every N-th memory access\n"
  "(or pass of tick), deterministically.  At most 4096 samples are kept: a\n"
  "full recording keeps every other one and doubles N.  A machine created\n"
  "later records too, until record off.  Without arguments: what is being\n"
  "recorded.",
  "record accesses 100", M, h_record },
{ "report", NULL, "Pictures", 1, -1, "FILE [--svg DIR] [--plot CSV]...",
  "write the HTML report of the state now (and what was recorded)",
  "Writes one self-contained HTML file (inline SVG and CSS, no script, no\n"
  "network): RAMMap's Use Counts and physical pages, the standby list by\n"
  "priority, VMMap's view of every process, page-table and VAD trees, and\n"
  "the timelines recorded so far.  --svg DIR also writes each chart as an SVG\n"
  "file in DIR.  --plot CSV adds a plot of the curves in a CSV file (a header\n"
  "x,series...; or what `vmlab replay --csv`, `--mrc --csv` or\n"
  "`--timeline-out` wrote: every policy's fault ratio over the frames, a\n"
  "machine's counters over the accesses; docs/pictures.md).  FILE is\n"
  "relative to the directory vmlab runs in.\n"
  "vmlab report SCRIPT -o FILE [--svg DIR] [--plot CSV]... runs a script with\n"
  "a recorder from its first line (every access; --every N accesses or\n"
  "--ticks N ticks) and reports the state it ends in.",
  "report state.html", M, h_report },
};

#undef M
#undef J
#undef C
#undef V

size_t cmd_count(void)
{
    return sizeof cmds / sizeof cmds[0];
}

const struct cmd *cmd_at(size_t i)
{
    return i < cmd_count() ? &cmds[i] : NULL;
}

const struct cmd *cmd_find(const char *name)
{
    size_t i;

    for (i = 0; i < cmd_count(); i++)
        if (strcmp(cmds[i].name, name) == 0 ||
            (cmds[i].alias != NULL && strcmp(cmds[i].alias, name) == 0))
            return &cmds[i];
    return NULL;
}

/* Words that start or end with an operator: what blanks inside an
** expression leave behind (MEM_RESERVE | MEM_COMMIT).  A leading '-' is a
** negative number, not a piece. */
static int starts_op(const char *w)
{
    return w[0] != '\0' && (strchr("|&^+*/%<>=!~", w[0]) != NULL || strcmp(w, "-") == 0);
}

static int ends_op(const char *w)
{
    size_t n = strlen(w);

    return n > 0 && strchr("|&^+-*/%<>=!~", w[n - 1]) != NULL;
}

/* " (blanks split 'MEM_RESERVE | MEM_COMMIT' into 3 words: ...)" when the
** words look like an expression that blanks cut apart. */
static void blank_hint(vml_text *b, size_t argc, char **argv)
{
    size_t i, lo, hi, k;

    for (i = 0; i < argc && !starts_op(argv[i]) && !ends_op(argv[i]); i++)
        ;
    if (i == argc)
        return;
    lo = i > 0 && starts_op(argv[i]) ? i - 1 : i;
    for (hi = i; hi + 1 < argc && (ends_op(argv[hi]) || starts_op(argv[hi + 1])); hi++)
        ;
    if (hi == lo)
        return;
    vml_text_printf(b, " (blanks split '");
    for (k = lo; k <= hi; k++)
        vml_text_printf(b, "%s%s", k > lo ? " " : "", argv[k]);
    vml_text_printf(b, "' into %zu words: write it without blanks, ", hi - lo + 1);
    for (k = lo; k <= hi; k++)
        vml_text_printf(b, "%s", argv[k]);
    vml_text_printf(b, ", or in parentheses)");
}

static enum rc usage_error(struct interp *in, const struct cmd *c, size_t argc, char **argv)
{
    const char *s = c->min_args == 1 && c->max_args == 1 ? "" : "s";
    vml_text b = {0};
    enum rc rc;

    if (c->max_args == 0)
        vml_text_printf(&b, "%s takes no arguments", c->name);
    else if (c->max_args < 0)
        vml_text_printf(&b, "%s takes at least %d argument%s: %s", c->name, c->min_args,
                        c->min_args == 1 ? "" : "s", c->args);
    else if (c->min_args == c->max_args)
        vml_text_printf(&b, "%s takes %d argument%s: %s", c->name, c->min_args, s, c->args);
    else if (c->max_args == c->min_args + 1)
        vml_text_printf(&b, "%s takes %d or %d arguments: %s", c->name, c->min_args,
                        c->max_args, c->args);
    else
        vml_text_printf(&b, "%s takes %d to %d arguments: %s", c->name, c->min_args,
                        c->max_args, c->args);
    vml_text_printf(&b, "; got %zu", argc);
    blank_hint(&b, argc, argv);
    rc = cli_error(in, "%s", sb_str(&b));
    vml_text_free(&b);
    return rc;
}

enum rc cmd_run(struct interp *in, const struct cmd *c, size_t argc, char **argv,
                struct result *res)
{
    char **args = NULL;
    const char *cpu_word = NULL;
    size_t i, n = 0;
    int json = 0;
    enum rc rc;

    result_reset(res);
    if (argc > 0) {
        args = malloc(argc * sizeof *args);
        if (args == NULL)
            return cli_error(in, "out of memory");
    }
    for (i = 0; i < argc; i++) {
        if ((c->flags & CMD_JSON) && strcmp(argv[i], "--json") == 0)
            json = 1;
        else if ((c->flags & CMD_CPU) && i == argc - 1 && strncmp(argv[i], "cpu=", 4) == 0)
            cpu_word = argv[i] + 4;
        else
            args[n++] = argv[i];
    }
    if (n < (size_t)c->min_args || (c->max_args >= 0 && n > (size_t)c->max_args)) {
        rc = usage_error(in, c, n, args);
        free(args);
        return rc;
    }
    if ((c->flags & CMD_MACHINE) && need_machine(in) != RC_OK) {
        free(args);
        return RC_ERROR;
    }
    in->cmd_cpu = in->cpu;
    if (cpu_word != NULL && arg_cpu(in, cpu_word, &in->cmd_cpu) != RC_OK) {
        free(args);
        return RC_ERROR;
    }
    in->fmt = json ? VML_FMT_JSON : VML_FMT_TEXT;
    rc = c->fn(in, n, args, res);
    in->fmt = VML_FMT_TEXT;
    free(args);
    return rc;
}

/* "ACCESS_VIOLATION": the constant table's STATUS_ name of the code. */
static const char *exception_name(uint32_t ntstatus)
{
    const char *name = const_name(ntstatus, "STATUS_");

    return name != NULL ? name + strlen("STATUS_") : "EXCEPTION";
}

static const char *access_name(unsigned access)
{
    switch (access) {
    case VML_ACCESS_READ:  return "read";
    case VML_ACCESS_WRITE: return "write";
    case VML_ACCESS_EXEC:  return "execute";
    default:               return "access";
    }
}

void sb_failure(vml_text *b, const struct result *res)
{
    const char *name;

    switch (res->fail) {
    case FAIL_NONE:
        vml_text_printf(b, "success");
        break;
    case FAIL_WIN32:
        name = vml_win32_error_name(res->win32);
        vml_text_printf(b, "%s (%u)", name ? name : "error", (unsigned)res->win32);
        if (res->detail[0] != '\0')
            vml_text_printf(b, ": %s", res->detail);
        break;
    case FAIL_ERRNO:
        name = vml_errno_name(res->err);
        vml_text_printf(b, "%s (%d)", name ? name : "errno", res->err);
        if (res->detail[0] != '\0')
            vml_text_printf(b, ": %s", res->detail);
        break;
    case FAIL_STATUS:
        name = vml_status_name(res->st);
        if (name != NULL && strncmp(name, "VML_E_", 6) == 0)
            name += 6;
        vml_text_printf(b, "%s (%s)", name ? name : "status", vml_strerror(res->st));
        if (res->detail[0] != '\0' && strcmp(res->detail, vml_strerror(res->st)) != 0)
            vml_text_printf(b, ": %s", res->detail);
        break;
    case FAIL_EXCEPTION:
        vml_text_printf(b, "exception 0x%08X %s", (unsigned)res->ex.ntstatus,
                  exception_name(res->ex.ntstatus));
        if (res->ex.signo == VML_SIGSEGV && res->ex.si_code == VML_SEGV_MAPERR)
            vml_text_printf(b, " (SIGSEGV/SEGV_MAPERR)");
        else if (res->ex.signo == VML_SIGSEGV && res->ex.si_code == VML_SEGV_ACCERR)
            vml_text_printf(b, " (SIGSEGV/SEGV_ACCERR)");
        else if (res->ex.signo == VML_SIGSEGV && res->ex.si_code == VML_SI_KERNEL)
            vml_text_printf(b, " (SIGSEGV/SI_KERNEL)");      /* a #GP: non-canonical */
        else if (res->ex.signo == VML_SIGSEGV)
            vml_text_printf(b, " (SIGSEGV/si_code %d)", res->ex.si_code);
        else if (res->ex.signo == VML_SIGBUS && res->ex.si_code == VML_BUS_ADRERR)
            vml_text_printf(b, " (SIGBUS/BUS_ADRERR)");
        else if (res->ex.signo != 0)
            vml_text_printf(b, " (signal %d/%d)", res->ex.signo, res->ex.si_code);
        if (res->ex.reason != VML_AV_NONE)     /* (a heap call's exception has none) */
            vml_text_printf(b, " %s at 0x%llx: %s", access_name(res->ex.access),
                            (unsigned long long)res->ex.va, vml_av_reason_text(res->ex.reason));
        break;
    }
}

void cmd_print_result(struct interp *in, const struct cmd *c, const struct result *res)
{
    vml_text b = {0};

    if (in->quiet > 0)
        return;
    if (res->fail != FAIL_NONE) {
        if (res->fail != FAIL_EXCEPTION)
            vml_text_printf(&b, "%s failed: ", c->name);
        sb_failure(&b, res);
    } else if (res->val.kind != VAL_NONE) {
        vml_text_printf(&b, "%s -> ", c->name);
        sb_value(&b, &res->val, 1);
        if (res->note[0] != '\0')
            vml_text_printf(&b, " (%s)", res->note);
    } else {
        return;
    }
    fprintf(in->out, "%s\n", sb_str(&b));
    vml_text_free(&b);
}
