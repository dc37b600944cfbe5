package dev.larder.tracer;

/** Word offsets in x86_64's {@code struct user_regs_struct} (sys/user.h), as PTRACE_GETREGS fills it. */
final class Regs {
    private Regs() {
    }

    static final int R10 = 7;
    static final int R9 = 8;
    static final int R8 = 9;
    static final int RAX = 10;
    static final int RDX = 12;
    static final int RSI = 13;
    static final int RDI = 14;
    static final int ORIG_RAX = 15;
    static final int RIP = 16;
    static final int RSP = 19;
}
