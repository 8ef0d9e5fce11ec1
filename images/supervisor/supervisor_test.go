package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFramesRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := &writer{out: &buf}
	if err := w.send(kindStdout, 7, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := w.sendJSON(kindExit, 8, map[string]int{"exitCode": 3}); err != nil {
		t.Fatal(err)
	}
	first, err := readFrame(&buf)
	if err != nil || first.kind != kindStdout || first.id != 7 || string(first.payload) != "hello" {
		t.Fatalf("first frame: %+v %v", first, err)
	}
	second, err := readFrame(&buf)
	if err != nil || second.kind != kindExit || second.id != 8 || string(second.payload) != `{"exitCode":3}` {
		t.Fatalf("second frame: %+v %v", second, err)
	}
}

func TestFrameLengthOutOfBounds(t *testing.T) {
	for _, header := range [][]byte{
		{0, 0, 0, 4, 'H', 0, 0, 0, 0},             // shorter than its own kind and id
		{0x7f, 0xff, 0xff, 0xff, 'R', 0, 0, 0, 1}, // past the largest frame
	} {
		if _, err := readFrame(bytes.NewReader(header)); err != errFrameTooLarge {
			t.Fatalf("header %v: got %v", header, err)
		}
	}
}

func TestDecodeRunNeedsArgvOrFiles(t *testing.T) {
	if _, _, err := decodeRun([]byte{0, 0, 0, 2, '{', '}'}); err == nil {
		t.Fatal("an empty run request was accepted")
	}
	if _, _, err := decodeRun([]byte{0, 0, 0, 9, '{', '}'}); err == nil {
		t.Fatal("a json length past the payload was accepted")
	}
}

func TestOutputBudgetIsSharedAndFiresOnce(t *testing.T) {
	fired := 0
	b := &outputBudget{limit: 10, onLimit: func() { fired++ }}
	if got := b.take(6); got != 6 {
		t.Fatalf("first take: %d", got)
	}
	if got := b.take(6); got != 4 {
		t.Fatalf("second take: %d", got)
	}
	if got := b.take(6); got != 0 {
		t.Fatalf("third take: %d", got)
	}
	if fired != 1 {
		t.Fatalf("onLimit fired %d times", fired)
	}
}

func tarOf(t *testing.T, entries ...*tar.Header) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	for _, h := range entries {
		if err := w.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := w.Write(bytes.Repeat([]byte("x"), int(h.Size))); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf
}

func TestExtractKeepsNamesInsideTheRoot(t *testing.T) {
	root := t.TempDir()
	archive := tarOf(t, &tar.Header{Name: "../../escape.txt", Typeflag: tar.TypeReg, Mode: 0o644, Size: 3})
	if err := extract(archive, root); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "escape.txt")); err != nil {
		t.Fatalf("the file was not written inside the root: %v", err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(filepath.Dir(root)), "escape.txt")); err == nil {
		t.Fatal("the file escaped the root")
	}
}

func TestExtractRefusesLinks(t *testing.T) {
	root := t.TempDir()
	archive := tarOf(t, &tar.Header{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"})
	if err := extract(archive, root); err == nil {
		t.Fatal("a symlink entry was written")
	}
}

func TestExtractReplacesALinkRatherThanWriteThroughIt(t *testing.T) {
	root := t.TempDir()
	outside := filepath.Join(t.TempDir(), "target")
	if err := os.WriteFile(outside, []byte("kept"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "main.py")); err != nil {
		t.Fatal(err)
	}
	archive := tarOf(t, &tar.Header{Name: "main.py", Typeflag: tar.TypeReg, Mode: 0o644, Size: 3})
	if err := extract(archive, root); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(outside); string(got) != "kept" {
		t.Fatalf("the link's target changed: %q", got)
	}
	info, err := os.Lstat(filepath.Join(root, "main.py"))
	if err != nil || !info.Mode().IsRegular() || info.Size() != 3 {
		t.Fatalf("main.py is not the written file: %v %v", info, err)
	}
}

func TestAFailedWriteLeavesTheOldFileAndNoTemporary(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "main.py"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The header promises more bytes than the archive holds: the copy fails part-way.
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	if err := w.WriteHeader(&tar.Header{Name: "main.py", Typeflag: tar.TypeReg, Mode: 0o644, Size: 4096}); err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("new"))
	if err := extract(bytes.NewReader(buf.Bytes()), root); err == nil {
		t.Fatal("a cut-short file was written")
	}
	if got, _ := os.ReadFile(filepath.Join(root, "main.py")); string(got) != "old" {
		t.Fatalf("the old file changed: %q", got)
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 {
		t.Fatalf("a temporary file was left: %v", entries)
	}
}

func TestAFileIsNotWrittenOverADirectory(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "main.py", "inside"), 0o755); err != nil {
		t.Fatal(err)
	}
	archive := tarOf(t, &tar.Header{Name: "main.py", Typeflag: tar.TypeReg, Mode: 0o644, Size: 3})
	err := extract(archive, root)
	if err == nil || !strings.Contains(err.Error(), "main.py") {
		t.Fatalf("want an error naming main.py, got %v", err)
	}
}

func TestAKeyIsRunOnceAndFollowedAfter(t *testing.T) {
	m := newMemory()
	rec, known := m.claim("wf/run/1#0", 1)
	if known || rec == nil {
		t.Fatal("a new key was not claimed for running")
	}
	var buf bytes.Buffer
	w := &writer{out: &buf}
	rec.emit(w, kindStdout, []byte("out"))
	// A restarted host asks again while it runs: the output so far, then the answer.
	again, known := m.claim("wf/run/1#0", 2)
	if !known || again != rec {
		t.Fatal("the same key did not follow the run")
	}
	again.follow(w, 2)
	rec.finish(w, runAnswer{WallMs: 5})
	var got []frame
	for buf.Len() > 0 {
		f, err := readFrame(&buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, f)
	}
	want := []struct {
		kind byte
		id   uint32
	}{{kindStdout, 1}, {kindStdout, 2}, {kindExit, 1}, {kindExit, 2}}
	if len(got) != len(want) {
		t.Fatalf("got %d frames, want %d", len(got), len(want))
	}
	for i, f := range got {
		if f.kind != want[i].kind || f.id != want[i].id {
			t.Fatalf("frame %d: %c to %d", i, f.kind, f.id)
		}
	}
	// A second key is a new run, and the first is still followed.
	if _, known := m.claim("wf/run/1#1", 3); known {
		t.Fatal("a second key was taken as known")
	}
	if kept, known := m.claim("wf/run/1#0", 4); !known || kept != rec {
		t.Fatal("an earlier key was not followed")
	}
}

func TestOldRunsGoPastTheCountAndAreRefusedAfter(t *testing.T) {
	m := newMemory()
	for i := 0; i <= maxKeptRuns; i++ {
		if _, known := m.claim(fmt.Sprintf("k#%d", i), uint32(i)); known {
			t.Fatalf("key %d was taken as known", i)
		}
	}
	if rec, known := m.claim("k#0", 999); !known || rec != nil {
		t.Fatal("a key no longer kept was not refused")
	}
	if rec, known := m.claim("k#1", 999); !known || rec == nil {
		t.Fatal("the oldest key still kept was not followed")
	}
}

func TestOldRunsGoPastTheByteBudget(t *testing.T) {
	m := newMemory()
	w := &writer{out: io.Discard}
	big, _ := m.claim("big", 1)
	big.emit(w, kindStdout, make([]byte, maxKeptBytes+1))
	big.finish(w, runAnswer{})
	if _, known := m.claim("next", 2); known {
		t.Fatal("a new key was taken as known")
	}
	if rec, known := m.claim("big", 3); !known || rec != nil {
		t.Fatal("a run past the byte budget was kept")
	}
}

func TestAFrameCutShortIsDroppedAndTheNextHostIsHeard(t *testing.T) {
	r, w := io.Pipe()
	in := newInput(r)
	var hello bytes.Buffer
	_ = (&writer{out: &hello}).send(kindHello, 0, []byte("{}"))
	go func() {
		// A host that died part-way through a 100-byte frame...
		_, _ = w.Write([]byte{0, 0, 0, 105, kindRun, 0, 0, 0, 1, '{'})
		time.Sleep(stallLimit + 200*time.Millisecond)
		// ...and the next one, which opens with the marker and says hello.
		_, _ = w.Write(append(append([]byte(nil), syncMarker...), hello.Bytes()...))
	}()
	f, err := in.next()
	if err != nil || f.kind != kindHello || f.id != 0 {
		t.Fatalf("got %+v, %v", f, err)
	}
}

func TestAMarkerBetweenFramesIsSkipped(t *testing.T) {
	var buf bytes.Buffer
	buf.Write(syncMarker)
	_ = (&writer{out: &buf}).send(kindHello, 7, []byte("{}"))
	f, err := newInput(&buf).next()
	if err != nil || f.kind != kindHello || f.id != 7 {
		t.Fatalf("got %+v, %v", f, err)
	}
}

func TestPackKeepsOnlyFiguresOfAirlocksFolder(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{".airlock/figures", ".airlock/reports", "src"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	entryOf := func(rel string) fs.DirEntry {
		info, err := os.Lstat(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		return fs.FileInfoToDirEntry(info)
	}
	cases := []struct {
		rel  string
		skip bool
		err  error
	}{
		{".airlock", true, nil},
		{".airlock/reports", true, filepath.SkipDir},
		{".airlock/figures", false, nil},
		{"src", false, nil},
	}
	for _, c := range cases {
		skip, err := airlockEntry(c.rel, entryOf(c.rel))
		if skip != c.skip || err != c.err {
			t.Errorf("%s: got skip=%v err=%v, want skip=%v err=%v", c.rel, skip, err, c.skip, c.err)
		}
	}
	// A look-alike name outside .airlock is the program's own.
	if skip, _ := airlockEntry(".airlock-figures", entryOf("src")); skip {
		t.Error(".airlock-figures was left out")
	}
}

func TestReservedThreadsStayIdleForLater(t *testing.T) {
	threads := func() int {
		status, err := os.ReadFile("/proc/self/status")
		if err != nil {
			t.Fatal(err)
		}
		var n int
		for _, line := range strings.Split(string(status), "\n") {
			if _, err := fmt.Sscanf(line, "Threads: %d", &n); err == nil {
				return n
			}
		}
		t.Fatal("no Threads line in /proc/self/status")
		return 0
	}
	reserveThreads(spareThreads)
	// The reserve, the thread running this test and sysmon; the reserve outlives the goroutines that made it.
	time.Sleep(50 * time.Millisecond)
	if got := threads(); got < spareThreads+2 {
		t.Fatalf("%d threads after reserving %d", got, spareThreads)
	}
}
