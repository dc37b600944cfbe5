package dev.larder.tracer;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * The few libc calls the tracer makes, bound with JNA's direct mapping (pointers as {@code long}):
 * a call costs about a microsecond, which matters at one ptrace stop per traced syscall.
 *
 * <p>Not thread-confined by itself, but ptrace requests are only valid from the thread that
 * attached: {@link TraceLoop} makes them all from its own thread. Errors come back as -1 with
 * {@link Native#getLastError()} holding errno.
 */
final class Libc {
    static {
        Native.register(NativeLibrary.getInstance("c"));
    }

    private Libc() {
    }

    // ptrace(2) requests and options (linux/ptrace.h).
    static final int PTRACE_CONT = 7;
    static final int PTRACE_GETREGS = 12;
    static final int PTRACE_SETREGS = 13;
    static final int PTRACE_SYSCALL = 24;
    static final int PTRACE_GETEVENTMSG = 0x4201;
    static final int PTRACE_SEIZE = 0x4206;
    static final int PTRACE_INTERRUPT = 0x4207;
    static final int PTRACE_LISTEN = 0x4208;
    static final int PTRACE_GET_SYSCALL_INFO = 0x420e;
    static final int PTRACE_DETACH = 17;

    static final int PTRACE_O_TRACESYSGOOD = 1;
    static final int PTRACE_O_TRACEFORK = 1 << 1;
    static final int PTRACE_O_TRACEVFORK = 1 << 2;
    static final int PTRACE_O_TRACECLONE = 1 << 3;
    static final int PTRACE_O_TRACEEXEC = 1 << 4;
    static final int PTRACE_O_TRACEEXIT = 1 << 6;
    static final int PTRACE_O_TRACESECCOMP = 1 << 7;
    static final int PTRACE_O_EXITKILL = 1 << 20;

    static final int PTRACE_EVENT_FORK = 1;
    static final int PTRACE_EVENT_VFORK = 2;
    static final int PTRACE_EVENT_CLONE = 3;
    static final int PTRACE_EVENT_EXEC = 4;
    static final int PTRACE_EVENT_EXIT = 6;
    static final int PTRACE_EVENT_SECCOMP = 7;
    static final int PTRACE_EVENT_STOP = 128;

    static final int PTRACE_SYSCALL_INFO_ENTRY = 1;
    static final int PTRACE_SYSCALL_INFO_EXIT = 2;
    static final int PTRACE_SYSCALL_INFO_SECCOMP = 3;

    static final int WUNTRACED = 2;
    static final int WNOHANG = 1;
    static final int __WNOTHREAD = 0x20000000;
    static final int __WALL = 0x40000000;

    static final int POSIX_SPAWN_SETSIGDEF = 0x04;
    static final int POSIX_SPAWN_SETSIGMASK = 0x08;

    static final int SIGINT = 2;
    static final int SIGKILL = 9;
    static final int SIGTRAP = 5;
    static final int SIGSTOP = 19;
    static final int SIGCONT = 18;
    static final int SIGTSTP = 20;
    static final int SIGTTIN = 21;
    static final int SIGTTOU = 22;

    static final int O_RDONLY = 0;
    static final int O_NOCTTY = 0x100;
    static final int O_CLOEXEC = 0x80000;
    static final int POLLIN = 1;
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int ECHILD = 10;
    static final int ESRCH = 3;

    static native long ptrace(long request, int pid, long addr, long data);

    static native int waitpid(int pid, long status, int options);

    static native long process_vm_readv(int pid, long localIov, long localCount, long remoteIov, long remoteCount,
            long flags);

    static native long process_vm_writev(int pid, long localIov, long localCount, long remoteIov, long remoteCount,
            long flags);

    static native int posix_spawnp(long pid, String file, long fileActions, long attr, long argv, long envp);

    static native int posix_spawn_file_actions_init(long fileActions);

    static native int posix_spawn_file_actions_destroy(long fileActions);

    static native int posix_spawn_file_actions_adddup2(long fileActions, int fd, int newFd);

    static native int posix_spawn_file_actions_addclosefrom_np(long fileActions, int from);

    static native int posix_spawn_file_actions_addclose(long fileActions, int fd);

    static native int posix_spawnattr_init(long attr);

    static native int posix_spawnattr_destroy(long attr);

    static native int posix_spawnattr_setflags(long attr, short flags);

    static native int posix_spawnattr_setsigmask(long attr, long sigset);

    static native int posix_spawnattr_setsigdefault(long attr, long sigset);

    static native int sigemptyset(long set);

    static native int sigfillset(long set);

    static native int kill(int pid, int sig);

    static native int pipe2(long fds, int flags);

    static native int close(int fd);

    static native long read(int fd, long buf, long count);

    static native long write(int fd, long buf, long count);

    static native int poll(long fds, long nfds, int timeout);

    static native int getpgrp();

    static native int setsid();

    static native int geteuid();

    static native int tcgetpgrp(int fd);

    static native int open(String path, int flags);

    /** Whether this process's group is the foreground group of its controlling terminal. */
    static boolean inForegroundOfTerminal() {
        int fd = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);
        if (fd < 0) {
            return false;
        }
        try {
            return tcgetpgrp(fd) == getpgrp();
        } finally {
            close(fd);
        }
    }

    static native int faccessat(int dirFd, String path, int mode, int flags);
}
