package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.logging.Level;
import org.junit.jupiter.api.Test;

class LoggingTest {
    @Test
    void parse_knownNames_mapToLevels() {
        assertEquals(Level.SEVERE, Logging.parse("error"));
        assertEquals(Level.WARNING, Logging.parse("warn"));
        assertEquals(Level.INFO, Logging.parse(" INFO "));
        assertEquals(Level.FINE, Logging.parse("debug"));
    }

    @Test
    void parse_unsetOrUnknown_isWarn() {
        assertEquals(Level.WARNING, Logging.parse(null));
        assertEquals(Level.WARNING, Logging.parse(""));
        assertEquals(Level.WARNING, Logging.parse("loud"));
    }
}
