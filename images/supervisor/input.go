package main

import (
	"bytes"
	"errors"
	"io"
	"time"
)

// syncMarker starts every channel a host opens: a zero length no frame can have, then a fixed
// phrase. A host that died part-way through a frame leaves the supervisor waiting for the rest of
// it; the rest never comes, so after stallLimit the partial frame is dropped and the input is read
// until the next host's marker, which it repeats until the supervisor answers.
var syncMarker = append([]byte{0, 0, 0, 0}, []byte("AIRLOCK-SYNC-V1\n")...)

const stallLimit = 2 * time.Second

var errStalled = errors.New("a frame stopped part-way")

// input reads the channel in a goroutine, so a frame's body can be waited for with a deadline.
type input struct {
	chunks chan []byte
	err    error
	buf    []byte
}

func newInput(r io.Reader) *input {
	in := &input{chunks: make(chan []byte, 16)}
	go func() {
		for {
			b := make([]byte, 64<<10)
			n, err := r.Read(b)
			if n > 0 {
				in.chunks <- b[:n]
			}
			if err != nil {
				in.err = err
				close(in.chunks)
				return
			}
		}
	}()
	return in
}

// fill waits for more input: without a limit when idle between frames, else until the deadline.
func (in *input) fill(deadline time.Time) error {
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		timer := time.NewTimer(time.Until(deadline))
		defer timer.Stop()
		timeout = timer.C
	}
	select {
	case b, ok := <-in.chunks:
		if !ok {
			return in.err
		}
		in.buf = append(in.buf, b...)
		return nil
	case <-timeout:
		return errStalled
	}
}

func (in *input) take(n int, deadline time.Time) ([]byte, error) {
	for len(in.buf) < n {
		if err := in.fill(deadline); err != nil {
			return nil, err
		}
	}
	out := append([]byte(nil), in.buf[:n]...)
	in.buf = in.buf[n:]
	return out, nil
}

// next returns the next frame. Sync markers are skipped; a frame that stalls part-way is dropped,
// and the input is then skipped up to the next marker.
func (in *input) next() (frame, error) {
	for {
		header, err := in.take(headerBytes, time.Time{})
		if err != nil {
			return frame{}, err
		}
		if bytes.Equal(header[:4], syncMarker[:4]) {
			if err := in.resync(header); err != nil {
				return frame{}, err
			}
			continue
		}
		f, err := in.body(header)
		if errors.Is(err, errStalled) {
			if err := in.resync(nil); err != nil {
				return frame{}, err
			}
			continue
		}
		return f, err
	}
}

func (in *input) body(header []byte) (frame, error) {
	f, length, err := parseHeader(header)
	if err != nil {
		return frame{}, err
	}
	f.payload, err = in.take(int(length)-5, time.Now().Add(stallLimit))
	return f, err
}

// resync drops input up to and including the next whole marker (`seen` is what was read of one).
func (in *input) resync(seen []byte) error {
	in.buf = append(append([]byte(nil), seen...), in.buf...)
	for {
		if i := bytes.Index(in.buf, syncMarker); i >= 0 {
			in.buf = in.buf[i+len(syncMarker):]
			return nil
		}
		// Keep a tail that may be the start of a marker.
		if keep := len(syncMarker) - 1; len(in.buf) > keep {
			in.buf = in.buf[len(in.buf)-keep:]
		}
		if err := in.fill(time.Time{}); err != nil {
			return err
		}
	}
}
