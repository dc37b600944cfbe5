package dev.larder.tracer;

/** x86_64 syscall numbers the tracer decodes (arch/x86/entry/syscalls/syscall_64.tbl). */
final class Syscalls {
    private Syscalls() {
    }

    static final int READ = 0;
    static final int WRITE = 1;
    static final int MMAP = 9;
    static final int MUNMAP = 11;
    static final int PWRITE64 = 18;
    static final int WRITEV = 20;
    static final int SENDFILE = 40;
    static final int OPEN = 2;
    static final int STAT = 4;
    static final int LSTAT = 6;
    static final int ACCESS = 21;
    static final int SOCKET = 41;
    static final int CONNECT = 42;
    static final int SOCKETPAIR = 53;
    static final int EXECVE = 59;
    static final int KILL = 62;
    static final int TRUNCATE = 76;
    static final int GETDENTS = 78;
    static final int CHDIR = 80;
    static final int FCHDIR = 81;
    static final int RENAME = 82;
    static final int MKDIR = 83;
    static final int RMDIR = 84;
    static final int CREAT = 85;
    static final int LINK = 86;
    static final int UNLINK = 87;
    static final int SYMLINK = 88;
    static final int READLINK = 89;
    static final int CHMOD = 90;
    static final int PTRACE = 101;
    static final int MKNOD = 133;
    static final int TKILL = 200;
    static final int GETDENTS64 = 217;
    static final int EXIT_GROUP = 231;
    static final int TGKILL = 234;
    static final int OPENAT = 257;
    static final int MKDIRAT = 258;
    static final int MKNODAT = 259;
    static final int NEWFSTATAT = 262;
    static final int UNLINKAT = 263;
    static final int RENAMEAT = 264;
    static final int LINKAT = 265;
    static final int SYMLINKAT = 266;
    static final int READLINKAT = 267;
    static final int FCHMODAT = 268;
    static final int FACCESSAT = 269;
    static final int RENAMEAT2 = 316;
    static final int EXECVEAT = 322;
    static final int PWRITEV = 296;
    static final int PWRITEV2 = 328;
    static final int STATX = 332;
    static final int OPENAT2 = 437;
    static final int FACCESSAT2 = 439;
    static final int FCHMODAT2 = 452;

    static final int PRCTL = 157;
    static final int SECCOMP = 317;

    static final int AT_FDCWD = -100;
}
