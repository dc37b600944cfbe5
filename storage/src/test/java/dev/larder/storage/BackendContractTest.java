package dev.larder.storage;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The backend contract over {@link MemoryBackend}, the smallest correct backend, and proof that
 * its checks fail: each broken variant is rejected by the check written for its fault.
 */
class BackendContractTest extends BackendContract {
    private final MemoryBackend.Data data = new MemoryBackend.Data();

    @Override
    protected Backend open() {
        return new MemoryBackend(data, MemoryBackend.Fault.NONE, clock);
    }

    /** The contract over a fresh backend with {@code fault}. */
    private static BackendContract over(MemoryBackend.Fault fault) {
        MemoryBackend.Data broken = new MemoryBackend.Data();
        return new BackendContract() {
            @Override
            protected Backend open() {
                return new MemoryBackend(broken, fault, clock);
            }
        };
    }

    /** Runs {@code check} of {@code contract} and checks that it fails with a message that mentions {@code want}. */
    private static void assertRejects(BackendContract contract, Executable check, String want) throws IOException {
        try {
            AssertionError e = assertThrows(AssertionError.class, check, "the contract's check of a broken backend");
            assertTrue(String.valueOf(e.getMessage()).contains(want),
                    "failure message: got \"" + e.getMessage() + "\", want it to mention \"" + want + "\"");
        } finally {
            contract.closeBackends();
        }
    }

    @Test
    void recordBeforeBody_isRejectedByTheReadersDuringStores() throws IOException {
        BackendContract c = over(MemoryBackend.Fault.RECORD_BEFORE_BODY);
        assertRejects(c, c::find_duringStores_neverNamesABodyThatDoesNotOpen, "got empty, want its body");
    }

    @Test
    void wrongBytes_isRejectedByTheRoundTrip() throws IOException {
        BackendContract c = over(MemoryBackend.Fault.WRONG_BYTES);
        assertRejects(c, c::store_thenFindAndOpen_serveTheExactBytes, "bytes");
    }

    @Test
    void keepsFirstOutput_isRejectedByTheReStore() throws IOException {
        BackendContract c = over(MemoryBackend.Fault.KEEPS_FIRST_OUTPUT);
        assertRejects(c, c::store_sameActionAgain_findNamesTheNewOutput, "output");
    }
}
