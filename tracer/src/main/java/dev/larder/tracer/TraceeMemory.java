package dev.larder.tracer;

import com.sun.jna.Memory;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads and writes a stopped tracee's memory with process_vm_readv/writev. Strings are read a
 * page-bounded chunk at a time, so a string ending just before an unmapped page still reads.
 * Single-threaded: its buffers are shared.
 */
final class TraceeMemory {
    /** PATH_MAX: the kernel refuses longer paths, so a tracee cannot have used one. */
    static final int MAX_STRING = 4096;
    private static final int PAGE = 4096;

    /** MAX_ARG_STRLEN: the kernel refuses a longer argument or environment string. */
    static final int MAX_ARG = 32 * PAGE;
    /** At most this many strings are read from an argv or envp array (the kernel allows fewer in 2 MiB). */
    static final int MAX_STRINGS = 1 << 17;

    private final Memory buffer = new Memory(MAX_ARG);
    private final Memory iov = new Memory(32);

    /** What {@link #readString} returns for bytes that are not valid UTF-8. */
    static final String MALFORMED = "\0malformed";

    /**
     * The NUL-terminated string at {@code address} in {@code tid}, decoded as UTF-8, or null if it
     * cannot be read or has no NUL within {@link #MAX_STRING}, or {@link #MALFORMED} if it is not
     * valid UTF-8 (a name larder could not look up faithfully).
     */
    String readString(int tid, long address) {
        return readString(tid, address, MAX_STRING);
    }

    /** As {@link #readString(int, long)}, for a string of at most {@code max} bytes. */
    String readString(int tid, long address, int max) {
        if (address == 0) {
            return null;
        }
        int have = 0;
        while (have < max) {
            long at = address + have;
            int chunk = (int) Math.min(PAGE - (at & (PAGE - 1)), max - have);
            long got = readInto(tid, at, have, chunk);
            if (got <= 0) {
                return null;
            }
            for (int i = have; i < have + got; i++) {
                if (buffer.getByte(i) == 0) {
                    return decode(buffer.getByteArray(0, i));
                }
            }
            have += (int) got;
        }
        return null;
    }

    private static String decode(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return MALFORMED;
        }
    }

    /**
     * The NULL-terminated array of strings at {@code address} (an execve's argv or envp), or null
     * if any of it cannot be read or is not valid UTF-8. A null {@code address} is an empty array.
     */
    List<String> readStrings(int tid, long address) {
        List<String> out = new ArrayList<>();
        if (address == 0) {
            return out;
        }
        for (int i = 0; i < MAX_STRINGS; i++) {
            long p = readWord(tid, address + 8L * i);
            if (p == 0) {
                return out;
            }
            String v = readString(tid, p, MAX_ARG);
            if (v == null || v.equals(MALFORMED)) {
                return null;
            }
            out.add(v);
        }
        return null;
    }

    /** {@code length} bytes at {@code address}, or null if they cannot all be read. */
    byte[] readBytes(int tid, long address, int length) {
        byte[] out = new byte[length];
        int have = 0;
        while (have < length) {
            int chunk = Math.min(length - have, MAX_ARG);
            long got = readInto(tid, address + have, 0, chunk);
            if (got <= 0) {
                return null;
            }
            buffer.read(0, out, have, (int) got);
            have += (int) got;
        }
        return out;
    }

    /** The 8-byte word at {@code address}, or 0 if it cannot be read. */
    long readWord(int tid, long address) {
        return readInto(tid, address, 0, 8) == 8 ? buffer.getLong(0) : 0;
    }

    private long readInto(int tid, long remote, int offset, int length) {
        iov.setLong(0, TraceLoop.addr(buffer) + offset);
        iov.setLong(8, length);
        iov.setLong(16, remote);
        iov.setLong(24, length);
        long base = TraceLoop.addr(iov);
        return Libc.process_vm_readv(tid, base, 1, base + 16, 1, 0);
    }

    /** Writes {@code data} at {@code address} in {@code tid}; whether all of it was written. */
    static boolean write(int tid, long address, byte[] data) {
        Memory local = new Memory(data.length);
        local.write(0, data, 0, data.length);
        Memory v = new Memory(32);
        v.setLong(0, TraceLoop.addr(local));
        v.setLong(8, data.length);
        v.setLong(16, address);
        v.setLong(24, data.length);
        long base = TraceLoop.addr(v);
        return Libc.process_vm_writev(tid, base, 1, base + 16, 1, 0) == data.length;
    }
}
