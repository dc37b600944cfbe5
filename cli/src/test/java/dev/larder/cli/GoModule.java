package dev.larder.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A small Go module: a package with a test, and a cgo-free main that uses it. */
final class GoModule {
    static final String PATH = "example.com/larderdemo";

    private GoModule() {
    }

    static Path write(Path dir) throws IOException {
        return write(dir, PATH);
    }

    /** The module under another path, so that its actions differ from every other module's. */
    static Path write(Path dir, String path) throws IOException {
        Files.createDirectories(dir.resolve("greet"));
        Files.createDirectories(dir.resolve("cmd/hello"));
        Files.writeString(dir.resolve("go.mod"), "module " + path + "\n\ngo 1.21\n");
        Files.writeString(dir.resolve("greet/greet.go"), """
                // Package greet builds greetings.
                package greet

                import (
                	"fmt"
                	"strings"
                )

                // Hello greets name politely.
                func Hello(name string) string {
                	return fmt.Sprintf("Hello, %s!", strings.TrimSpace(name))
                }
                """);
        Files.writeString(dir.resolve("greet/greet_test.go"), """
                package greet

                import "testing"

                func TestHello(t *testing.T) {
                	if got, want := Hello(" larder "), "Hello, larder!"; got != want {
                		t.Fatalf("got %q, want %q", got, want)
                	}
                }
                """);
        Files.writeString(dir.resolve("cmd/hello/main.go"), """
                // Command hello prints a greeting.
                package main

                import (
                	"fmt"
                	"os"

                	"%s/greet"
                )

                func main() {
                	name := "world"
                	if len(os.Args) > 1 {
                		name = os.Args[1]
                	}
                	fmt.Println(greet.Hello(name))
                }
                """.formatted(path));
        ageSources(dir);
        return dir;
    }

    /**
     * Dates every file an hour back, as in a real checkout. cmd/go declines to cache its module
     * index for a directory holding a file modified less than two seconds ago
     * ({@code modTimeCutoff} in cmd/go/internal/modindex/read.go), so freshly written sources
     * would make the next build miss that index once, whatever the cache.
     */
    private static void ageSources(Path dir) throws IOException {
        java.nio.file.attribute.FileTime old = java.nio.file.attribute.FileTime.from(
                java.time.Instant.now().minus(java.time.Duration.ofHours(1)));
        try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.toList()) {
                Files.setLastModifiedTime(p, old);
            }
        }
    }
}
