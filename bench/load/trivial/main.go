// Command trivial is a GOCACHEPROG helper that stores nothing: every get is a hit on one fixed
// file, DIR/fixed (4 KiB, the same bytes in every session), and every put's body is decoded and
// thrown away. The load generator runs against it first to show its own ceiling: what it
// measures for a real helper cannot exceed what it measures here.
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// FixedSize is the size of DIR/fixed; byte i of it is i%251.
const FixedSize = 4096

type request struct {
	ID       int64
	Command  string
	BodySize int64 `json:",omitempty"`
}

type response struct {
	ID            int64
	Err           string   `json:",omitempty"`
	KnownCommands []string `json:",omitempty"`
	OutputID      []byte   `json:",omitempty"`
	Size          int64    `json:",omitempty"`
	DiskPath      string   `json:",omitempty"`
}

func main() {
	dir := flag.String("dir", "", "directory for the fixed file (required)")
	flag.Parse()
	if *dir == "" {
		fatal("-dir is required")
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		fatal(err.Error())
	}
	body := make([]byte, FixedSize)
	for i := range body {
		body[i] = byte(i % 251)
	}
	fixed := filepath.Join(abs, "fixed")
	if err := os.MkdirAll(abs, 0o755); err != nil {
		fatal(err.Error())
	}
	tmp, err := os.CreateTemp(abs, ".fixed-*")
	if err == nil {
		_, err = tmp.Write(body)
		tmp.Close()
		if err == nil {
			err = os.Rename(tmp.Name(), fixed)
		}
	}
	if err != nil {
		fatal(err.Error())
	}
	sum := sha256.Sum256(body)

	var wmu sync.Mutex
	bw := bufio.NewWriterSize(os.Stdout, 64<<10)
	enc := json.NewEncoder(bw)
	reply := func(r *response) {
		wmu.Lock()
		defer wmu.Unlock()
		enc.Encode(r)
		bw.Flush()
	}
	reply(&response{KnownCommands: []string{"get", "put", "close"}})

	br := bufio.NewReaderSize(os.Stdin, 1<<20)
	for {
		line, err := br.ReadBytes('\n')
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			if err != nil {
				return
			}
			continue
		}
		var req request
		if err := json.Unmarshal(line, &req); err != nil {
			fatal(fmt.Sprintf("request %.80q: %v", line, err))
		}
		switch req.Command {
		case "get":
			reply(&response{ID: req.ID, OutputID: sum[:], Size: FixedSize, DiskPath: fixed})
		case "put":
			if req.BodySize > 0 {
				for {
					c, err := br.ReadByte()
					if err != nil {
						fatal("put body: " + err.Error())
					}
					if c == '"' {
						break
					}
				}
				n, err := discardBase64(br)
				if err != nil || n != req.BodySize {
					fatal(fmt.Sprintf("put body: got %d bytes, declared %d (%v)", n, req.BodySize, err))
				}
			}
			reply(&response{ID: req.ID, DiskPath: fixed})
		case "close":
			reply(&response{ID: req.ID})
			return
		default:
			reply(&response{ID: req.ID, Err: "unknown command"})
		}
	}
}

// decoded is where discardBase64 decodes to; only the reading goroutine uses it.
var decoded [3 << 16]byte

// discardBase64 decodes base64 from br up to (and consuming) the next '"', a buffer at a time,
// and returns how many bytes it decoded.
func discardBase64(br *bufio.Reader) (int64, error) {
	var n int64
	var carry []byte
	dst := decoded[:]
	for {
		if _, err := br.Peek(1); err != nil {
			return n, io.ErrUnexpectedEOF
		}
		buf, _ := br.Peek(br.Buffered())
		end := bytes.IndexByte(buf, '"')
		last := end >= 0
		if last {
			buf = buf[:end]
		}
		src := buf
		if len(carry) > 0 {
			src = append(carry, buf...)
		}
		use := len(src)
		if !last {
			use -= use % 4
		}
		for off := 0; off < use; {
			k := min(use-off, len(dst)/3*4)
			m, err := base64.StdEncoding.Decode(dst, src[off:off+k])
			if err != nil {
				return n, err
			}
			n += int64(m)
			off += k
		}
		carry = append([]byte(nil), src[use:]...)
		if last {
			br.Discard(end + 1)
			return n, nil
		}
		br.Discard(len(buf))
	}
}

func fatal(msg string) {
	fmt.Fprintln(os.Stderr, "trivial: "+msg)
	os.Exit(1)
}
