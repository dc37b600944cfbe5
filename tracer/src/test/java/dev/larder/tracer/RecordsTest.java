package dev.larder.tracer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.protocol.ActionId;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The strict reading of manifests and outputs lists: what a recorder writes reads back; anything else is refused. */
class RecordsTest {
    private static final String SHA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private static final String BLOB = "{\"sha256\":\"" + SHA + "\",\"size\":3}";
    private static final ActionId ID = CacheKeys.identity("/bin/sh", "file 1", List.of("sh"), Map.of(), "/w", 022,
            "null");
    private static final List<Precondition> PRE = List.of(
            new Precondition("/bin/sh", Probe.Kind.CONTENT, "file 1", List.of()),
            new Precondition("/w", Probe.Kind.LIST, "list 2", List.of("out.txt")));

    private static byte[] bytes(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }

    private static String outputs(String files) {
        return "{\"version\":1,\"exitCode\":0,\"stdout\":" + BLOB + ",\"stderr\":" + BLOB + ",\"files\":[" + files
                + "],\"executions\":1}";
    }

    private static String refusal(String json) {
        return assertThrows(Records.Refused.class, () -> Records.outputs(bytes(json)),
                "got it read, want it refused: " + json).getMessage();
    }

    @Test
    void outputs_writtenByTheRecorder_readBack() throws Exception {
        Outputs o = new Outputs(1, 2, Outputs.Blob.of(dev.larder.protocol.OutputId.fromHex(SHA), 3),
                Outputs.Blob.of(dev.larder.protocol.OutputId.fromHex(SHA), 3),
                List.of(Outputs.FileOp.mkdir("/w/d", 0755), Outputs.FileOp.write("/w/d/a", new Outputs.Blob(SHA, 3),
                        0644, 12), Outputs.FileOp.append("/w/build.log", new Outputs.Blob(SHA, 3), 0644, 13),
                        Outputs.FileOp.symlink("/w/l", "d/a"), Outputs.FileOp.delete("/w/old")), 4);
        assertEquals(o, Records.outputs(Records.write(o)));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"op\":\"chmod\",\"path\":\"/w/a\"}",
        "{\"op\":\"write\",\"path\":\"w/a\",\"content\":" + BLOB + "}",
        "{\"op\":\"write\",\"path\":\"/w/../etc/a\",\"content\":" + BLOB + "}",
        "{\"op\":\"write\",\"path\":\"/w//a\",\"content\":" + BLOB + "}",
        "{\"op\":\"write\",\"path\":\"/w/./a\",\"content\":" + BLOB + "}",
        "{\"op\":\"write\",\"path\":\"/w/a/\",\"content\":" + BLOB + "}",
        "{\"op\":\"write\",\"path\":\"/w/a\\u0000b\",\"content\":" + BLOB + "}",
        "{\"op\":\"write\",\"path\":\"\",\"content\":" + BLOB + "}",
        "{\"op\":\"delete\",\"path\":\"/\"}",
        "{\"op\":\"write\",\"path\":\"/w/a\"}",
        "{\"op\":\"write\",\"path\":\"/w/a\",\"content\":{\"sha256\":\"" + SHA + "\",\"size\":-1}}",
        "{\"op\":\"write\",\"path\":\"/w/a\",\"content\":{\"sha256\":\"" + SHA + "\",\"size\":99999999999999999}}",
        "{\"op\":\"write\",\"path\":\"/w/a\",\"content\":{\"sha256\":\"xyz\",\"size\":1}}",
        "{\"op\":\"write\",\"path\":\"/w/a\",\"content\":" + BLOB + ",\"target\":\"/etc\"}",
        "{\"op\":\"write\",\"path\":\"/w/a\",\"content\":" + BLOB + ",\"mode\":70000}",
        "{\"op\":\"write\",\"path\":\"/w/a\",\"content\":" + BLOB + ",\"mode\":\"420\"}",
        "{\"op\":\"write\",\"path\":\"/w/a\",\"content\":" + BLOB + ",\"mode\":4.5}",
        "{\"op\":\"write\",\"path\":\"/w/a\",\"path\":\"/etc/passwd\",\"content\":" + BLOB + "}",
        "{\"op\":\"write\",\"path\":12,\"content\":" + BLOB + "}",
        "{\"op\":\"write\",\"path\":\"/w/a\",\"content\":" + BLOB + ",\"owner\":0}",
        "{\"op\":\"mkdir\",\"path\":\"/w/d\",\"content\":" + BLOB + "}",
        "{\"op\":\"append\",\"path\":\"/w/log\"}",
        "{\"op\":\"append\",\"path\":\"/w/log\",\"content\":null}",
        "{\"op\":\"append\",\"path\":\"log\",\"content\":" + BLOB + "}",
        "{\"op\":\"append\",\"path\":\"/w/../log\",\"content\":" + BLOB + "}",
        "{\"op\":\"append\",\"path\":\"/w/log\",\"content\":" + BLOB + ",\"target\":\"/etc/passwd\"}",
        "{\"op\":\"append\",\"path\":\"/w/log\",\"content\":" + BLOB + ",\"mode\":70000}",
        "{\"op\":\"append\",\"path\":\"/w/log\",\"content\":{\"sha256\":\"" + SHA + "\",\"size\":-1}}",
        "{\"op\":\"append\",\"path\":\"/w/log\",\"content\":" + BLOB + ",\"offset\":5}",
        "{\"op\":\"Append\",\"path\":\"/w/log\",\"content\":" + BLOB + "}",
        "{\"op\":\"delete\",\"path\":\"/w/d\",\"mode\":511}",
        "{\"op\":\"delete\",\"path\":\"/w/d\",\"target\":\"x\"}",
        "{\"op\":\"symlink\",\"path\":\"/w/l\"}",
        "{\"op\":\"symlink\",\"path\":\"/w/l\",\"target\":\"\"}",
        "{\"op\":\"symlink\",\"path\":\"/w/l\",\"target\":\"a\",\"mtime\":5}",
    })
    void outputs_malformedFileChange_isRefused(String change) {
        String why = refusal(outputs(change));
        assertTrue(!why.isEmpty(), "a refusal says why");
    }

    @Test
    void outputs_aPathWithDotDot_isRefusedNamingIt() {
        String why = refusal(outputs("{\"op\":\"write\",\"path\":\"/w/../etc/a\",\"content\":" + BLOB + "}"));
        assertTrue(why.contains("/w/../etc/a") && why.contains(".."), "got " + why + ", want the path and the rule");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"version\":2,\"exitCode\":0,\"stdout\":" + BLOB + ",\"stderr\":" + BLOB + ",\"executions\":1}",
        "{\"version\":1,\"exitCode\":300,\"stdout\":" + BLOB + ",\"stderr\":" + BLOB + ",\"executions\":1}",
        "{\"version\":1,\"exitCode\":0,\"stderr\":" + BLOB + ",\"executions\":1}",
        "{\"version\":1,\"exitCode\":0,\"stdout\":" + BLOB + ",\"stderr\":" + BLOB + ",\"executions\":-1}",
        "{\"version\":1,\"exitCode\":0,\"stdout\":" + BLOB + ",\"stderr\":" + BLOB + ",\"executions\":1} {}",
        "{\"version\":1,\"exitCode\":0,\"exitCode\":1,\"stdout\":" + BLOB + ",\"stderr\":" + BLOB + "}",
        "{\"version\":1,\"exitCode\":0,\"stdout\":" + BLOB + ",\"stderr\":" + BLOB + ",\"files\":[null]}",
        "[]",
        "null",
        "{\"version\":1,",
    })
    void outputs_malformedWhole_isRefused(String json) {
        refusal(json);
    }

    @Test
    void outputs_tooLarge_isRefusedUnparsed() {
        byte[] huge = new byte[(int) Records.MAX_BYTES + 1];
        assertThrows(Records.Refused.class, () -> Records.outputs(huge));
    }

    @Test
    void manifest_writtenByRunCache_readBackAndItsCandidateChecks() throws Exception {
        Manifest m = Manifest.empty().adding(new Manifest.Candidate(CacheKeys.digest(ID, PRE), PRE));
        Manifest read = Records.manifest(Records.write(m));
        assertEquals(m, read);
        assertNull(Records.candidateProblem(ID, read.candidates().get(0)));
    }

    @Test
    void manifest_olderVersion_isRefusedAsOlder() {
        String why = assertThrows(Records.Refused.class,
                () -> Records.manifest(bytes("{\"version\":1,\"candidates\":[]}"))).getMessage();
        assertTrue(why.contains("older larder"), "got " + why);
    }

    @Test
    void manifest_unknownFieldOrKind_isRefused() {
        assertThrows(Records.Refused.class, () -> Records.manifest(bytes(
                "{\"version\":2,\"candidates\":[],\"signature\":\"x\",\"extra\":1}")));
        assertThrows(Records.Refused.class, () -> Records.manifest(bytes("{\"version\":2,\"candidates\":[{\"digest\":\""
                + SHA + "\",\"preconditions\":[{\"path\":\"/a\",\"kind\":\"CHMOD\",\"value\":\"x\"}]}]}")));
    }

    @Test
    void candidate_forgedOrTruncatedDigest_isRefused() {
        String digest = CacheKeys.digest(ID, PRE);
        String forged = Records.candidateProblem(ID, new Manifest.Candidate(SHA, PRE));
        assertTrue(forged != null && forged.contains("digest does not match"), "forged digest: got " + forged);
        String truncated = Records.candidateProblem(ID, new Manifest.Candidate(digest, PRE.subList(0, 1)));
        assertTrue(truncated != null && truncated.contains("digest does not match"), "truncated: got " + truncated);
        String shortHex = Records.candidateProblem(ID, new Manifest.Candidate(digest.substring(1), PRE));
        assertTrue(shortHex != null && shortHex.contains("hex"), "short digest: got " + shortHex);
    }

    @Test
    void candidate_copiedFromAnotherIdentity_isRefused() {
        ActionId other = CacheKeys.identity("/bin/sh", "file 1", List.of("sh", "-c", "true"), Map.of(), "/w", 022,
                "null");
        String why = Records.candidateProblem(other, new Manifest.Candidate(CacheKeys.digest(ID, PRE), PRE));
        assertTrue(why != null && why.contains("another command"), "got " + why);
    }

    @Test
    void candidate_withoutPreconditions_isRefusedEvenWithItsOwnDigest() {
        String why = Records.candidateProblem(ID, new Manifest.Candidate(CacheKeys.digest(ID, List.of()), List.of()));
        assertTrue(why != null && why.contains("no preconditions"), "got " + why);
    }

    @Test
    void candidate_malformedPrecondition_isRefused() {
        for (Precondition p : List.of(new Precondition("rel/a", Probe.Kind.CONTENT, "file 1", List.of()),
                new Precondition("/a//b", Probe.Kind.CONTENT, "file 1", List.of()),
                new Precondition("/a", Probe.Kind.CONTENT, "", List.of()),
                new Precondition("/a", Probe.Kind.CONTENT, "file 1", List.of("x")),
                new Precondition("/a", Probe.Kind.LIST, "list 1", List.of("x/y")))) {
            List<Precondition> pre = List.of(p);
            assertTrue(Records.candidateProblem(ID, new Manifest.Candidate(CacheKeys.digest(ID, pre), pre)) != null,
                    "got " + p + " accepted, want it refused");
        }
        // A precondition keeps .. as the program named it (a symlink may precede it): only looked at.
        List<Precondition> dotDot = List.of(new Precondition("/w/sub/../a", Probe.Kind.CONTENT, "file 1", List.of()));
        assertNull(Records.candidateProblem(ID, new Manifest.Candidate(CacheKeys.digest(ID, dotDot), dotDot)));
    }

    @Test
    void pathProblem_normalAbsolute_isFine() {
        assertNull(Records.pathProblem("/w/a.txt", true));
        assertNull(Records.pathProblem("/", false));
        assertEquals("has a .. segment", Records.pathProblem("/w/..", true));
        assertNull(Records.pathProblem("/w/..x/a", true));
    }
}
