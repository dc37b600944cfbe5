// Command diskcache is a plain GOCACHEPROG helper that keeps the go command's build outputs in a
// directory: the Go-written peer that bench/ compares larder against.
//
// It does what the reference helpers people use do, and no more:
//
//	DIR/a/<action id hex>  one line of JSON: the output id, its size, the time of the put
//	DIR/o/<output id hex>  the output itself
//
// Both are written to a temporary file in the same directory and renamed into place, so a reader
// (this or any other session on the same DIR) sees a whole file or none. Nothing is fsynced: like
// Go's own GOCACHE, a crash may lose recent entries, never expose half of one. An action file
// whose output file is gone or has another size is a miss.
//
// The protocol is cmd/go's (cmd/go/internal/cacheprog): the handshake first, then one request
// per line; a put with BodySize > 0 is followed by its body as a base64 JSON string on the next
// line, streamed to disk and checked against OutputID (its SHA-256) and BodySize. Each request
// is answered by its own goroutine, in any order; one writer owns stdout. Input that cannot be
// framed ends the session with one line on stderr and exit status 1.
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

type request struct {
	ID       int64
	Command  string
	ActionID []byte `json:",omitempty"`
	OutputID []byte `json:",omitempty"`
	ObjectID []byte `json:",omitempty"` // the pre-1.24 name of OutputID
	BodySize int64  `json:",omitempty"`
}

type response struct {
	ID            int64
	Err           string     `json:",omitempty"`
	KnownCommands []string   `json:",omitempty"`
	Miss          bool       `json:",omitempty"`
	OutputID      []byte     `json:",omitempty"`
	Size          int64      `json:",omitempty"`
	Time          *time.Time `json:",omitempty"`
	DiskPath      string     `json:",omitempty"`
}

// actionEntry is the content of an action file.
type actionEntry struct {
	OutputID  string // hex
	Size      int64
	TimeNanos int64
}

type store struct{ actions, outputs string }

func main() {
	dir := flag.String("dir", "", "store directory (required)")
	getDelay := flag.Duration("get-delay", 0, "wait this long before answering each get "+
		"(bench/hot_latency.py: how a build's time grows with the helper's latency)")
	flag.Parse()
	if *dir == "" {
		fatal("-dir is required")
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		fatal(err.Error())
	}
	s := store{filepath.Join(abs, "a"), filepath.Join(abs, "o")}
	for _, d := range []string{s.actions, s.outputs} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			fatal(err.Error())
		}
	}

	out := make(chan *response, 256)
	writerDone := make(chan struct{})
	go writeResponses(out, writerDone)
	out <- &response{KnownCommands: []string{"get", "put", "close"}}

	br := bufio.NewReaderSize(os.Stdin, 64<<10)
	var inFlight sync.WaitGroup
	finish := func(closeID int64, isClose bool) {
		inFlight.Wait()
		if isClose {
			out <- &response{ID: closeID}
		}
		close(out)
		<-writerDone
		os.Exit(0)
	}
	for {
		line, err := readLine(br)
		if err == io.EOF {
			finish(0, false) // stdin closed without "close": cmd/go cancelled us
		}
		if err != nil {
			fatal("reading request: " + err.Error())
		}
		var req request
		if err := json.Unmarshal(line, &req); err != nil {
			fatal(fmt.Sprintf("request: got %.80q, want a JSON object: %v", line, err))
		}
		if req.OutputID == nil {
			req.OutputID = req.ObjectID
		}
		switch req.Command {
		case "close":
			finish(req.ID, true)
		case "get":
			inFlight.Add(1)
			go func() {
				defer inFlight.Done()
				if *getDelay > 0 {
					time.Sleep(*getDelay)
				}
				out <- s.get(&req)
			}()
		case "put":
			// The body has to be read here, before the next request; the rest runs on its own.
			tmp, err := s.receiveBody(br, &req)
			if err != nil && tmp == "" {
				fatal(err.Error())
			}
			inFlight.Add(1)
			go func() {
				defer inFlight.Done()
				if err != nil {
					out <- &response{ID: req.ID, Err: err.Error()}
					return
				}
				out <- s.put(&req, tmp)
			}()
		default:
			out <- &response{ID: req.ID, Err: fmt.Sprintf("unknown command %q", req.Command)}
		}
	}
}

// writeResponses is the only writer of stdout. It flushes when no other response is waiting.
func writeResponses(out <-chan *response, done chan<- struct{}) {
	defer close(done)
	bw := bufio.NewWriterSize(os.Stdout, 64<<10)
	enc := json.NewEncoder(bw)
	for r := range out {
		if err := enc.Encode(r); err != nil {
			fatal("writing response: " + err.Error())
		}
		if len(out) == 0 {
			if err := bw.Flush(); err != nil {
				fatal("writing response: " + err.Error())
			}
		}
	}
	if err := bw.Flush(); err != nil {
		fatal("writing response: " + err.Error())
	}
}

// readLine returns the next line that is not blank (cmd/go sends an empty line after each
// request), without its newline.
func readLine(br *bufio.Reader) ([]byte, error) {
	for {
		line, err := br.ReadBytes('\n')
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) > 0 {
			return trimmed, nil
		}
		if err != nil {
			if err == io.EOF && len(line) > 0 {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
}

// receiveBody streams a put's body into a temporary file of the output directory and returns its
// name. A body that does not match BodySize or OutputID is a request error (the file is removed,
// the name returned is "" only when the stream itself cannot be framed any more).
func (s store) receiveBody(br *bufio.Reader, req *request) (string, error) {
	f, err := os.CreateTemp(s.outputs, ".put-*")
	if err != nil {
		return "", err
	}
	h := sha256.New()
	var n int64
	if req.BodySize > 0 {
		if err := skipTo(br, '"'); err != nil {
			f.Close()
			os.Remove(f.Name())
			return "", fmt.Errorf("put body: %v, want a base64 JSON string", err)
		}
		q := &quoted{r: br}
		n, err = io.Copy(io.MultiWriter(f, h), base64.NewDecoder(base64.StdEncoding, q))
		if err == nil && !q.done {
			err = errors.New("put body: decoding stopped before the closing quote")
		}
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			return "", fmt.Errorf("put body: %v", err)
		}
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return f.Name(), err
	}
	var problem error
	if n != req.BodySize {
		problem = fmt.Errorf("put body: got %d bytes, declared %d", n, req.BodySize)
	} else if sum := h.Sum(nil); !bytes.Equal(sum, req.OutputID) {
		problem = fmt.Errorf("put body: SHA-256 %x, declared OutputID %x", sum, req.OutputID)
	}
	if problem != nil {
		os.Remove(f.Name())
		return f.Name(), problem
	}
	return f.Name(), nil
}

func (s store) put(req *request, tmp string) *response {
	if len(req.ActionID) == 0 || len(req.OutputID) == 0 {
		os.Remove(tmp)
		return &response{ID: req.ID, Err: "put: ActionID and OutputID are required"}
	}
	path := filepath.Join(s.outputs, hex.EncodeToString(req.OutputID))
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return &response{ID: req.ID, Err: err.Error()}
	}
	entry, _ := json.Marshal(actionEntry{hex.EncodeToString(req.OutputID), req.BodySize, time.Now().UnixNano()})
	if err := writeAtomic(s.actions, hex.EncodeToString(req.ActionID), append(entry, '\n')); err != nil {
		return &response{ID: req.ID, Err: err.Error()}
	}
	return &response{ID: req.ID, DiskPath: path}
}

func (s store) get(req *request) *response {
	miss := &response{ID: req.ID, Miss: true}
	b, err := os.ReadFile(filepath.Join(s.actions, hex.EncodeToString(req.ActionID)))
	if err != nil {
		return miss
	}
	var e actionEntry
	if json.Unmarshal(b, &e) != nil {
		return miss
	}
	oid, err := hex.DecodeString(e.OutputID)
	if err != nil || len(oid) != sha256.Size {
		return miss
	}
	path := filepath.Join(s.outputs, e.OutputID)
	if fi, err := os.Stat(path); err != nil || fi.Size() != e.Size {
		return miss
	}
	t := time.Unix(0, e.TimeNanos)
	return &response{ID: req.ID, OutputID: oid, Size: e.Size, Time: &t, DiskPath: path}
}

func writeAtomic(dir, name string, data []byte) error {
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// skipTo consumes whitespace up to and including the byte want.
func skipTo(br *bufio.Reader, want byte) error {
	for {
		c, err := br.ReadByte()
		if err != nil {
			return err
		}
		switch c {
		case want:
			return nil
		case ' ', '\t', '\r', '\n':
		default:
			return fmt.Errorf("got %q", c)
		}
	}
}

// quoted reads from r up to (and consuming) the next '"', then reports io.EOF.
type quoted struct {
	r    *bufio.Reader
	done bool
}

func (q *quoted) Read(p []byte) (int, error) {
	if q.done {
		return 0, io.EOF
	}
	if q.r.Buffered() == 0 {
		if _, err := q.r.Peek(1); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
	}
	buf, _ := q.r.Peek(min(q.r.Buffered(), len(p)))
	if i := bytes.IndexByte(buf, '"'); i >= 0 {
		n := copy(p, buf[:i])
		q.r.Discard(i + 1)
		q.done = true
		return n, nil
	}
	n := copy(p, buf)
	q.r.Discard(n)
	return n, nil
}

func fatal(msg string) {
	fmt.Fprintln(os.Stderr, "diskcache: "+msg)
	os.Exit(1)
}
