package dev.larder.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReplyTest {
    private static Reply reply(String json) throws Exception {
        return new Reply(1, json, (ObjectNode) HelperSession.JSON.readTree(json));
    }

    @Test
    void typeProblems_goodHit_none() throws Exception {
        Reply r = reply("{\"ID\":3,\"OutputID\":\"AAECAw==\",\"Size\":4,\"Time\":\"2026-11-21T20:01:02Z\","
                + "\"DiskPath\":\"/x\",\"Future\":{\"a\":1}}");
        assertEquals(List.of(), r.typeProblems());
        assertTrue(r.isHit());
        assertArrayEquals(new byte[] {0, 1, 2, 3}, r.rawOutputId());
    }

    @Test
    void typeProblems_nullFields_acceptedAsGoDoes() throws Exception {
        assertEquals(List.of(), reply("{\"ID\":1,\"Err\":null,\"Miss\":null,\"Size\":null}").typeProblems());
    }

    @Test
    void typeProblems_wrongTypes_eachNamed() throws Exception {
        Reply r = reply("{\"ID\":\"3\",\"Size\":\"12\",\"Miss\":\"true\",\"OutputID\":\"not base64!\","
                + "\"KnownCommands\":[\"get\",1],\"DiskPath\":7,\"Err\":false,\"Time\":12}");
        List<String> p = r.typeProblems();
        assertEquals(8, p.size(), p.toString());
        assertTrue(p.contains("Size is \"12\", cmd/go wants an integer"), p.toString());
        assertTrue(p.contains("ID is \"3\", cmd/go wants an integer"), p.toString());
    }

    @Test
    void typeProblems_fractionalId_isNotAnInteger() throws Exception {
        assertEquals(List.of("ID is 1.5, cmd/go wants an integer"), reply("{\"ID\":1.5}").typeProblems());
    }

    @Test
    void accessors_lenientAboutTypes_soOtherChecksStillSeeTheAnswer() throws Exception {
        Reply r = reply("{\"ID\":\"3\",\"Size\":\"12\"}");
        assertEquals(3, r.id());
        assertEquals(12, r.size());
        assertFalse(r.isHit());
    }

    @Test
    void accessors_missingOrEmpty_readAsGoZeroValues() throws Exception {
        Reply r = reply("{\"ID\":2,\"Err\":\"\",\"DiskPath\":\"\"}");
        assertFalse(r.isError());
        assertNull(r.diskPath());
        assertEquals(0, r.size());
        assertEquals(Reply.NO_ID, reply("{\"Miss\":true}").id());
    }
}
