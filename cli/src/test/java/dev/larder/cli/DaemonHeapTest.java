package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The idle daemon's collection: with the launcher's heap ratios (40-70% of the heap may stay
 * free), a plain full collection leaves a large heap; {@link Daemon#collectSmall()} leaves one
 * near the live set, and puts the ratios back. Run in a child JVM with the daemon's collector and
 * ratios, since the test JVM has its own.
 */
class DaemonHeapTest {

    @Test
    void collectSmall_givesTheHeapBack_andRestoresTheRatios() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-XX:+UseSerialGC", "-Xms16m", "-Xmx1g", "-XX:MinHeapFreeRatio=40",
                "-XX:MaxHeapFreeRatio=70", "-cp", System.getProperty("java.class.path"), Probe.class.getName())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), out);
        assertEquals(0, p.exitValue(), out);
        List<Long> v = out.lines().filter(l -> l.startsWith("= ")).map(l -> Long.parseLong(l.substring(2))).toList();
        assertEquals(4, v.size(), out);
        long live = v.get(0);
        long plain = v.get(1);
        long small = v.get(2);
        // With 64 MiB live, a plain collection may keep up to 70% free; collectSmall at most 30%
        // of the old generation, and a young generation sized after it.
        assertTrue(plain > 2 * live, "committed after plain collections: got " + (plain >> 20) + " MiB for "
                + (live >> 20) + " MiB live, want more than twice that (else the ratios were not in effect and the"
                + " test proves nothing)\n" + out);
        assertTrue(small < plain * 6 / 10, "committed after collectSmall: got " + (small >> 20)
                + " MiB, want under 60% of " + (plain >> 20) + " MiB (plain collections), for " + (live >> 20)
                + " MiB live\n" + out);
        assertEquals(4070, v.get(3),
                "MinHeapFreeRatio * 100 + MaxHeapFreeRatio after collectSmall: want the launcher's 40 and 70\n" + out);
    }

    /** The child: grows the heap, keeps 64 MiB live, and prints the committed heap after each collection. */
    static final class Probe {
        /** What stays live: reachable from here through every collection. */
        static Object keep;

        public static void main(String[] args) throws IOException {
            byte[][] live = new byte[64][];
            for (int i = 0; i < live.length; i++) {
                live[i] = new byte[1 << 20];
            }
            keep = live;
            byte[][] garbage = new byte[512][];
            for (int i = 0; i < garbage.length; i++) {
                garbage[i] = new byte[1 << 20];
            }
            garbage = null;
            Runtime rt = Runtime.getRuntime();
            // As many plain collections as collectSmall runs: the serial collector shrinks in steps.
            for (int i = 0; i < 4; i++) {
                System.gc();
            }
            long used = rt.totalMemory() - rt.freeMemory();
            long plain = rt.totalMemory();
            Daemon.collectSmall();
            long small = rt.totalMemory();
            HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            int min = Integer.parseInt(vm.getVMOption("MinHeapFreeRatio").getValue());
            int max = Integer.parseInt(vm.getVMOption("MaxHeapFreeRatio").getValue());
            System.out.println("= " + used);
            System.out.println("= " + plain);
            System.out.println("= " + small);
            System.out.println("= " + (min * 100 + max));
        }
    }
}
