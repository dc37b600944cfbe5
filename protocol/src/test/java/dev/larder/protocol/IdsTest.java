package dev.larder.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@link ActionId} and {@link OutputId}: what their shared base promises for both. */
class IdsTest {
    private static final String ABC_SHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    @Test
    void of_abc_isItsSha256() {
        assertEquals(OutputId.fromHex(ABC_SHA256), OutputId.of("abc".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void equals_sameBytes_equalWithinOneKindOnly() {
        byte[] b = OutputId.fromHex(ABC_SHA256).bytes();
        assertEquals(new ActionId(b), new ActionId(b.clone()), "two ActionIds of the same bytes");
        assertEquals(new ActionId(b).hashCode(), new ActionId(b.clone()).hashCode(), "their hash codes");
        assertNotEquals(new ActionId(b), new OutputId(b), "an ActionId and an OutputId of the same bytes");
    }

    @Test
    void toString_isLowercaseHex() {
        assertEquals(ABC_SHA256, OutputId.fromHex(ABC_SHA256.toUpperCase()).toString());
        assertEquals(ABC_SHA256, ActionId.fromHex(ABC_SHA256).toString());
    }

    @Test
    void bytes_areCopies() {
        byte[] b = new byte[ActionId.LENGTH];
        ActionId a = new ActionId(b);
        b[0] = 1;
        a.bytes()[1] = 1;
        assertEquals(new ActionId(new byte[ActionId.LENGTH]), a, "after changing the given and the returned bytes");
    }

    @Test
    void constructor_wrongLength_namesTheKind() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new OutputId(new byte[5]));
        assertEquals("OutputId: got 5 bytes, want 32", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ActionId(null));
        assertEquals("ActionId: missing, want 32 bytes", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ActionId.fromHex("zz" + ABC_SHA256.substring(2)));
        assertTrue(e.getMessage().startsWith("ActionId: not hex: "), "got " + e.getMessage());
    }
}
