// Command load drives a GOCACHEPROG helper the way cmd/go does (its stdin and stdout as pipes,
// requests from many goroutines, one writer, answers matched by ID) but much harder, and reports
// what it sustains:
//
//	hits      put -n small outputs, then get them back over one session with -inflight
//	          requests outstanding, for -duration (or -count gets): hits/s and latency
//	sessions  the same from -sessions helper processes at once on the same -dir: aggregate hits/s
//	puts      -put1m bodies of 1 MiB, then -put64m bodies of 64 MiB (random bytes, each body a
//	          distinct window of one buffer, OutputID its SHA-256, computed before the clock
//	          starts; base64 streamed onto the pipe): MB/s (10^6 bytes of body per second)
//
// Every hit is checked: not a miss, OutputID and Size as put, DiskPath a file of that size (a
// stat; -verify-content reads and hashes it too). Every put answer must name a file of the
// body's size. -fixed says the helper is bench/load/trivial: every answer must then be
// DIR/fixed, and what is measured is the generator's own ceiling.
//
// Usage: load -cmd 'HELPER ARGS ({dir} is replaced by -dir)' -dir DIR [flags]
package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type request struct {
	ID       int64
	Command  string
	ActionID []byte `json:",omitempty"`
	OutputID []byte `json:",omitempty"`
	BodySize int64  `json:",omitempty"`
}

type response struct {
	ID            int64
	Err           string
	KnownCommands []string
	Miss          bool
	OutputID      []byte
	Size          int64
	Time          *time.Time
	DiskPath      string
}

var (
	cmdFlag      = flag.String("cmd", "", "helper command; {dir} is replaced by -dir (required)")
	dirFlag      = flag.String("dir", "", "store directory handed to the helper (required)")
	phasesFlag   = flag.String("phases", "hits,sessions,puts", "phases to run, comma-separated")
	nFlag        = flag.Int("n", 2000, "small outputs put before the get phases")
	inflightFlag = flag.Int("inflight", 64, "requests in flight per session in the get phases")
	durFlag      = flag.Duration("duration", 3*time.Second, "length of each get phase")
	countFlag    = flag.Int("count", 0, "if > 0: gets per session instead of -duration")
	sessFlag     = flag.Int("sessions", 32, "helper processes in the sessions phase")
	put1mFlag    = flag.Int("put1m", 128, "puts of 1 MiB bodies")
	put64mFlag   = flag.Int("put64m", 3, "puts of 64 MiB bodies")
	putInflight  = flag.Int("put-inflight", 4, "puts in flight")
	verifyFlag   = flag.Bool("verify-content", false, "read and hash every hit's file")
	fixedFlag    = flag.Bool("fixed", false, "the helper is bench/load/trivial: every answer is DIR/fixed")
	rssPidFlag   = flag.Int("rss-pid", 0, "also sample the RSS of this process before and after each phase")
	rssPidfile   = flag.String("rss-pidfile", "", "the same, for the process whose pid this file holds (read at each sample)")
	rssMatchFlag = flag.String("rss-of-cmd-matching", "", "the same, for the processes whose command line matches this regexp")
	jsonFlag     = flag.String("json", "", "write the results as JSON to this file")
	nameFlag     = flag.String("name", "", "contender name for the output")
)

// results is what -json writes; the text output says the same.
type results struct {
	Name              string             `json:"name"`
	Cmd               string             `json:"cmd"`
	HandshakeMs       float64            `json:"handshake_ms"`
	SmallPutsPerSec   float64            `json:"small_puts_per_sec,omitempty"`
	HitsPerSec        float64            `json:"hits_per_sec,omitempty"`
	HitLatencyUs      map[string]float64 `json:"hit_latency_us,omitempty"`
	SessionsStartMs   float64            `json:"sessions_start_ms,omitempty"`
	SessionsHitsPerS  float64            `json:"sessions_hits_per_sec,omitempty"`
	Put1MiBMBps       float64            `json:"put_1mib_mb_per_sec,omitempty"`
	Put64MiBMBps      float64            `json:"put_64mib_mb_per_sec,omitempty"`
	HelperPeakRSSKiB  map[string]int64   `json:"helper_peak_rss_kib,omitempty"`
	SampledRSSKiB     map[string]int64   `json:"sampled_rss_kib,omitempty"`
	Failures          int64              `json:"failures"`
	FirstFailures     []string           `json:"first_failures,omitempty"`
	ProtocolDeviation []string           `json:"protocol_deviations,omitempty"`
}

var (
	res       results
	failures  atomic.Int64
	failMu    sync.Mutex
	fixedWant struct {
		id   []byte
		size int64
		path string
	}
)

func fail(format string, args ...any) {
	if failures.Add(1) <= 10 {
		msg := fmt.Sprintf(format, args...)
		failMu.Lock()
		res.FirstFailures = append(res.FirstFailures, msg)
		failMu.Unlock()
		fmt.Fprintln(os.Stderr, "load: FAIL: "+msg)
	}
}

func deviation(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	failMu.Lock()
	defer failMu.Unlock()
	if len(res.ProtocolDeviation) < 10 && !slices.Contains(res.ProtocolDeviation, msg) {
		res.ProtocolDeviation = append(res.ProtocolDeviation, msg)
		fmt.Fprintln(os.Stderr, "load: protocol: "+msg)
	}
}

func main() {
	flag.Parse()
	if *cmdFlag == "" || *dirFlag == "" {
		fmt.Fprintln(os.Stderr, "usage: load -cmd 'HELPER ARGS' -dir DIR [flags]")
		os.Exit(2)
	}
	dir, err := filepath.Abs(*dirFlag)
	check(err)
	check(os.MkdirAll(dir, 0o755))
	argv, err := splitCommand(strings.ReplaceAll(*cmdFlag, "{dir}", dir))
	check(err)
	res.Name, res.Cmd = *nameFlag, strings.Join(argv, " ")
	if res.Name == "" {
		res.Name = filepath.Base(argv[0])
	}
	phases := strings.Split(*phasesFlag, ",")
	res.HelperPeakRSSKiB = map[string]int64{}
	res.SampledRSSKiB = map[string]int64{}
	sample("start")

	s, hs, err := startSession(argv)
	check(err)
	res.HandshakeMs = ms(hs)
	fmt.Printf("%s: %s\n  handshake %.1f ms\n", res.Name, res.Cmd, res.HandshakeMs)
	if *fixedFlag {
		fixedWant.path = filepath.Join(dir, "fixed")
		b, err := os.ReadFile(fixedWant.path)
		check(err)
		sum := sha256.Sum256(b)
		fixedWant.id, fixedWant.size = sum[:], int64(len(b))
	}

	var keys []entry
	if slices.Contains(phases, "hits") || slices.Contains(phases, "sessions") {
		keys = putSmall(s, *nFlag)
	}
	if slices.Contains(phases, "hits") {
		n, el, lat := getHits([]*session{s}, keys)
		res.HitsPerSec = float64(n) / el.Seconds()
		slices.Sort(lat)
		res.HitLatencyUs = map[string]float64{"p50": us(pct(lat, 50)), "p99": us(pct(lat, 99)), "max": us(pct(lat, 100))}
		fmt.Printf("  gets, 1 session x %d in flight: %d hits in %.2f s = %.0f hits/s (latency p50 %.0f us, p99 %.0f us, max %.0f us)\n",
			*inflightFlag, n, el.Seconds(), res.HitsPerSec, res.HitLatencyUs["p50"], res.HitLatencyUs["p99"], res.HitLatencyUs["max"])
		sample("after-hits")
	}
	if slices.Contains(phases, "sessions") {
		runSessions(argv, keys)
		sample("after-sessions")
	}
	if slices.Contains(phases, "puts") {
		putBig(s)
		sample("after-puts")
	}
	res.HelperPeakRSSKiB["session-1"] = s.peakRSS()
	check(s.close())
	fmt.Printf("  helper peak RSS (session 1) %d MiB\n", res.HelperPeakRSSKiB["session-1"]>>10)
	res.Failures = failures.Load()
	if *jsonFlag != "" {
		b, _ := json.MarshalIndent(&res, "", "  ")
		check(os.WriteFile(*jsonFlag, append(b, '\n'), 0o644))
	}
	if res.Failures > 0 {
		fmt.Printf("  %d FAILED checks\n", res.Failures)
		os.Exit(1)
	}
}

// entry is one output put in the hits phase.
type entry struct {
	action, output []byte
	size           int64
}

func putSmall(s *session, n int) []entry {
	keys := make([]entry, n)
	bodies := make([][]byte, n)
	for i := range keys {
		b := make([]byte, 100+mrand.IntN(8000))
		rand.Read(b)
		sum := sha256.Sum256(b)
		keys[i] = entry{randomID(), sum[:], int64(len(b))}
		bodies[i] = b
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for w := 0; w < *inflightFlag; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				k := keys[i]
				r, err := s.call(&request{Command: "put", ActionID: k.action, OutputID: k.output, BodySize: k.size}, bodies[i])
				checkPut(r, err, k.size)
			}
		}()
	}
	wg.Wait()
	el := time.Since(t0)
	res.SmallPutsPerSec = float64(n) / el.Seconds()
	fmt.Printf("  puts of %d small outputs (100-8099 bytes), %d in flight: %.0f puts/s\n", n, *inflightFlag, res.SmallPutsPerSec)
	return keys
}

func checkPut(r *response, err error, size int64) {
	if err != nil {
		fail("put: %v", err)
		return
	}
	if r.Err != "" {
		fail("put: Err %q", r.Err)
		return
	}
	want := size
	if *fixedFlag {
		want = fixedWant.size
	}
	if fi, err := os.Stat(r.DiskPath); err != nil || fi.Size() != want {
		fail("put: DiskPath %q: got %v, want a file of %d bytes", r.DiskPath, statString(fi, err), want)
	}
}

// getHits runs -inflight getters on each session until -duration is over (or each session has
// done -count gets) and returns the hits, the time taken and every hit's latency.
func getHits(sessions []*session, keys []entry) (int64, time.Duration, []time.Duration) {
	var hits atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	lats := make([][]time.Duration, len(sessions)**inflightFlag)
	t0 := time.Now()
	for si, s := range sessions {
		var issued atomic.Int64
		for w := 0; w < *inflightFlag; w++ {
			wg.Add(1)
			slot := si**inflightFlag + w
			go func() {
				defer wg.Done()
				rnd := mrand.New(mrand.NewPCG(uint64(slot), 1))
				for !stop.Load() {
					if *countFlag > 0 && issued.Add(1) > int64(*countFlag) {
						return
					}
					k := keys[rnd.IntN(len(keys))]
					t := time.Now()
					r, err := s.call(&request{Command: "get", ActionID: k.action}, nil)
					lats[slot] = append(lats[slot], time.Since(t))
					if checkHit(r, err, k) {
						hits.Add(1)
					}
				}
			}()
		}
	}
	if *countFlag == 0 {
		time.Sleep(*durFlag)
		stop.Store(true)
	}
	wg.Wait()
	el := time.Since(t0)
	return hits.Load(), el, slices.Concat(lats...)
}

func checkHit(r *response, err error, k entry) bool {
	if err != nil {
		fail("get: %v", err)
		return false
	}
	wantID, wantSize := k.output, k.size
	if *fixedFlag {
		wantID, wantSize = fixedWant.id, fixedWant.size
	}
	switch {
	case r.Err != "":
		fail("get %x: Err %q", k.action[:4], r.Err)
	case r.Miss:
		fail("get %x: a miss, want a hit", k.action[:4])
	case !bytes.Equal(r.OutputID, wantID):
		fail("get %x: OutputID %x, want %x", k.action[:4], r.OutputID, wantID)
	case r.Size != wantSize:
		fail("get %x: Size %d, want %d", k.action[:4], r.Size, wantSize)
	default:
		fi, err := os.Stat(r.DiskPath)
		if err != nil || fi.Size() != wantSize {
			fail("get %x: DiskPath %q: got %v, want a file of %d bytes", k.action[:4], r.DiskPath, statString(fi, err), wantSize)
			return false
		}
		if *verifyFlag {
			b, err := os.ReadFile(r.DiskPath)
			if sum := sha256.Sum256(b); err != nil || !bytes.Equal(sum[:], wantID) {
				fail("get %x: content of %q does not hash to the OutputID (%v)", k.action[:4], r.DiskPath, err)
				return false
			}
		}
		return true
	}
	return false
}

func runSessions(argv []string, keys []entry) {
	n := *sessFlag
	ss := make([]*session, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := range ss {
		wg.Add(1)
		go func() { defer wg.Done(); ss[i], _, errs[i] = startSession(argv) }()
	}
	wg.Wait()
	check(errors.Join(errs...))
	res.SessionsStartMs = ms(time.Since(t0))
	hits, el, _ := getHits(ss, keys)
	res.SessionsHitsPerS = float64(hits) / el.Seconds()
	var peak int64
	for _, s := range ss {
		peak = max(peak, s.peakRSS())
	}
	res.HelperPeakRSSKiB["sessions-max"] = peak
	var cerrs []error
	for _, s := range ss {
		cerrs = append(cerrs, s.close())
	}
	check(errors.Join(cerrs...))
	fmt.Printf("  gets, %d sessions x %d in flight: all handshakes in %.0f ms; %d hits in %.2f s = %.0f hits/s (peak RSS per helper %d MiB)\n",
		n, *inflightFlag, res.SessionsStartMs, hits, el.Seconds(), res.SessionsHitsPerS, peak>>10)
}

func putBig(s *session) {
	count := max(*put1mFlag, *put64mFlag)
	const stride = 4096
	buf := make([]byte, 64<<20+count*stride)
	rand.Read(buf)
	run := func(size, n int) float64 {
		if n == 0 {
			return 0
		}
		type job struct {
			action, output []byte
			body           []byte
		}
		jobs := make([]job, n)
		for i := range jobs {
			body := buf[i*stride : i*stride+size]
			sum := sha256.Sum256(body)
			jobs[i] = job{randomID(), sum[:], body}
		}
		var next atomic.Int64
		var wg sync.WaitGroup
		t0 := time.Now()
		for w := 0; w < *putInflight; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1) - 1)
					if i >= n {
						return
					}
					j := jobs[i]
					r, err := s.call(&request{Command: "put", ActionID: j.action, OutputID: j.output, BodySize: int64(size)}, j.body)
					checkPut(r, err, int64(size))
				}
			}()
		}
		wg.Wait()
		el := time.Since(t0)
		mbps := float64(size) * float64(n) / el.Seconds() / 1e6
		fmt.Printf("  puts of %d x %d MiB, %d in flight: %.2f s = %.0f MB/s\n", n, size>>20, *putInflight, el.Seconds(), mbps)
		return mbps
	}
	res.Put1MiBMBps = run(1<<20, *put1mFlag)
	res.Put64MiBMBps = run(64<<20, *put64mFlag)
}

// session is one helper process spoken to over its stdin and stdout.
type session struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	wmu     sync.Mutex // guards bw: one request is written whole at a time, as cmd/go does
	bw      *bufio.Writer
	enc     []byte     // base64 of one chunk of a body, under wmu
	mu      sync.Mutex // guards the fields below
	nextID  int64
	pending map[int64]chan *response
	readErr error
	done    chan struct{} // closed when the reader stops
}

func startSession(argv []string) (*session, time.Duration, error) {
	t0 := time.Now()
	c := exec.Command(argv[0], argv[1:]...)
	c.Stderr = os.Stderr
	in, err := c.StdinPipe()
	if err != nil {
		return nil, 0, err
	}
	out, err := c.StdoutPipe()
	if err != nil {
		return nil, 0, err
	}
	if err := c.Start(); err != nil {
		return nil, 0, err
	}
	s := &session{cmd: c, stdin: in, bw: bufio.NewWriterSize(in, 256<<10), pending: map[int64]chan *response{}, done: make(chan struct{})}
	hello := make(chan *response, 1)
	s.pending[0] = hello
	go s.readLoop(out)
	select {
	case r := <-hello:
		if r == nil {
			return nil, 0, fmt.Errorf("%s: no handshake: %v", argv[0], s.readErr)
		}
		if !slices.Contains(r.KnownCommands, "get") || !slices.Contains(r.KnownCommands, "put") {
			return nil, 0, fmt.Errorf("%s: handshake KnownCommands %q, want get and put", argv[0], r.KnownCommands)
		}
	case <-time.After(60 * time.Second):
		c.Process.Kill()
		return nil, 0, fmt.Errorf("%s: no handshake within 60 s", argv[0])
	}
	return s, time.Since(t0), nil
}

func (s *session) readLoop(out io.Reader) {
	dec := json.NewDecoder(bufio.NewReaderSize(out, 64<<10))
	var err error
	for {
		r := new(response)
		if err = dec.Decode(r); err != nil {
			break
		}
		s.mu.Lock()
		ch, ok := s.pending[r.ID]
		delete(s.pending, r.ID)
		s.mu.Unlock()
		if !ok {
			deviation("a response with ID %d, which is not outstanding", r.ID)
			continue
		}
		ch <- r
	}
	s.mu.Lock()
	if err != io.EOF {
		s.readErr = err
	} else {
		s.readErr = errors.New("helper closed its stdout")
	}
	for _, ch := range s.pending {
		close(ch)
	}
	s.pending = nil
	s.mu.Unlock()
	close(s.done)
}

// call sends req (with body, for a put) and waits for its answer.
func (s *session) call(req *request, body []byte) (*response, error) {
	ch := make(chan *response, 1)
	s.mu.Lock()
	if s.pending == nil {
		s.mu.Unlock()
		return nil, s.readErr
	}
	s.nextID++
	req.ID = s.nextID
	s.pending[req.ID] = ch
	s.mu.Unlock()
	if err := s.write(req, body); err != nil {
		return nil, err
	}
	r := <-ch
	if r == nil {
		return nil, fmt.Errorf("no answer to request %d: %v", req.ID, s.readErr)
	}
	return r, nil
}

// write frames req as cmd/go does: the JSON object, a newline, an empty line, then for a
// non-empty body the base64 JSON string and a newline. The base64 is streamed.
func (s *session) write(req *request, body []byte) error {
	line, err := json.Marshal(req)
	if err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.bw.Write(line)
	s.bw.WriteString("\n\n")
	if len(body) > 0 {
		s.bw.WriteByte('"')
		// Encoded a chunk at a time into one reused buffer: never the whole body's base64.
		const chunk = 3 << 16 // a multiple of 3: no padding before the end
		if s.enc == nil {
			s.enc = make([]byte, base64.StdEncoding.EncodedLen(chunk))
		}
		for len(body) > 0 {
			n := min(chunk, len(body))
			m := base64.StdEncoding.EncodedLen(n)
			base64.StdEncoding.Encode(s.enc, body[:n])
			if _, err := s.bw.Write(s.enc[:m]); err != nil {
				return err
			}
			body = body[n:]
		}
		s.bw.WriteString("\"\n")
	}
	return s.bw.Flush()
}

// peakRSS is the helper's VmHWM in KiB (0 if unknown).
func (s *session) peakRSS() int64 { return procStatus(s.cmd.Process.Pid, "VmHWM") }

// close sends close, waits for the answer, the end of stdout and the exit.
func (s *session) close() error {
	r, err := s.call(&request{Command: "close"}, nil)
	if err != nil {
		deviation("close: %v", err)
	} else if r.Err != "" {
		deviation("close answered with Err %q", r.Err)
	}
	s.stdin.Close()
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		return fmt.Errorf("%s: stdout still open 30 s after close", s.cmd.Path)
	}
	if err := s.cmd.Wait(); err != nil {
		return fmt.Errorf("%s after close: %v", s.cmd.Path, err)
	}
	return nil
}

// sample records the RSS of -rss-pid, of -rss-pidfile's process and of the processes matching -rss-of-cmd-matching.
func sample(label string) {
	if *rssPidFlag > 0 {
		res.SampledRSSKiB[label+"/pid"] = procStatus(*rssPidFlag, "VmRSS")
	}
	if *rssPidfile != "" {
		b, _ := os.ReadFile(*rssPidfile)
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			res.SampledRSSKiB[label+"/pidfile"] = procStatus(pid, "VmRSS")
		}
	}
	if *rssMatchFlag == "" {
		return
	}
	re := regexp.MustCompile(*rssMatchFlag)
	ents, _ := os.ReadDir("/proc")
	var total int64
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cl, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !re.Match(bytes.ReplaceAll(cl, []byte{0}, []byte{' '})) {
			continue
		}
		total += procStatus(pid, "VmRSS")
	}
	res.SampledRSSKiB[label+"/matching"] = total
	fmt.Printf("  RSS of processes matching %q, %s: %d MiB\n", *rssMatchFlag, label, total>>10)
}

func procStatus(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// splitCommand splits a command line on spaces, honouring single and double quotes, as
// cmd/go splits GOCACHEPROG (cmd/internal/quoted).
func splitCommand(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteByte(c)
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ' || c == '\t' || c == '\n':
			if in {
				args = append(args, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated quote in %q", s)
	}
	if in {
		args = append(args, cur.String())
	}
	if len(args) == 0 {
		return nil, errors.New("empty command")
	}
	return args, nil
}

func randomID() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
}

func statString(fi os.FileInfo, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%d bytes", fi.Size())
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted) - 1) * p / 100
	return sorted[i]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "load: "+err.Error())
		os.Exit(1)
	}
}
