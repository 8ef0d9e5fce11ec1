package main

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"sync"
)

// A frame is [u32 length of what follows][u8 kind][u32 request id][payload], big-endian. The host
// writes frames on the supervisor's stdin; the supervisor answers on its stdout. The program never
// holds either: its own output reaches the host only as the payload of frames written here.
const (
	headerBytes  = 9
	maxFrameSize = 96 << 20

	// host -> supervisor
	kindHello = 'H' // {} -> 'H' {version, pid}
	kindRun   = 'R' // run request: [u32 json length][json][files tar]
	kindKill  = 'K' // stop the run with this id
	kindPack  = 'P' // {limitBytes}: the workspace as a tar, after the program is gone

	// supervisor -> host
	kindStdout = 'O'
	kindStderr = 'E'
	kindExit   = 'X' // the run's answer
	kindTar    = 'T' // a chunk of the workspace tar
	kindPacked = 'D' // the tar is complete: {bytes, truncated, exitCode, error}
	kindFailed = 'F' // a request that could not be served: {error}
)

type frame struct {
	kind    byte
	id      uint32
	payload []byte
}

var errFrameTooLarge = errors.New("frame too large")

func readFrame(r io.Reader) (frame, error) {
	var header [headerBytes]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return frame{}, err
	}
	f, length, err := parseHeader(header[:])
	if err != nil {
		return frame{}, err
	}
	f.payload = make([]byte, length-5)
	if _, err := io.ReadFull(r, f.payload); err != nil {
		return frame{}, err
	}
	return f, nil
}

func parseHeader(header []byte) (frame, uint32, error) {
	length := binary.BigEndian.Uint32(header[0:4])
	if length < 5 || length > maxFrameSize {
		return frame{}, 0, errFrameTooLarge
	}
	return frame{kind: header[4], id: binary.BigEndian.Uint32(header[5:9])}, length, nil
}

// writer serializes frames from every goroutine onto the channel.
type writer struct {
	mu  sync.Mutex
	out io.Writer
}

func (w *writer) send(kind byte, id uint32, payload []byte) error {
	var header [headerBytes]byte
	binary.BigEndian.PutUint32(header[0:4], uint32(len(payload)+5))
	header[4] = kind
	binary.BigEndian.PutUint32(header[5:9], id)
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.out.Write(header[:]); err != nil {
		return err
	}
	_, err := w.out.Write(payload)
	return err
}

func (w *writer) sendJSON(kind byte, id uint32, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return w.send(kind, id, body)
}
