package main

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// serve reads requests until the channel closes. Runs and packs take turns (each ends by sweeping
// every process of the sandbox user); kills are served at once.
func serve(in io.Reader, out io.Writer) error {
	w := &writer{out: out}
	var turn sync.Mutex
	runs := newRunTable()
	for {
		f, err := readFrame(in)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch f.kind {
		case kindHello:
			_ = w.sendJSON(kindHello, f.id, map[string]any{"version": version, "pid": os.Getpid()})
		case kindRun:
			req, files, err := decodeRun(f.payload)
			if err != nil {
				_ = w.sendJSON(kindFailed, f.id, map[string]string{"error": err.Error()})
				continue
			}
			r := runs.add(f.id)
			go func(id uint32) {
				turn.Lock()
				defer turn.Unlock()
				defer runs.remove(id)
				answer := r.execute(w, id, req, files)
				_ = w.sendJSON(kindExit, id, answer)
			}(f.id)
		case kindKill:
			runs.kill(f.id)
		case kindPack:
			var req packRequest
			if err := json.Unmarshal(f.payload, &req); err != nil {
				_ = w.sendJSON(kindFailed, f.id, map[string]string{"error": "bad pack request: " + err.Error()})
				continue
			}
			go func(id uint32) {
				turn.Lock()
				defer turn.Unlock()
				_ = w.sendJSON(kindPacked, id, packWorkspace(w, id, req))
			}(f.id)
		default:
			_ = w.sendJSON(kindFailed, f.id, map[string]string{"error": fmt.Sprintf("unknown request kind %q", f.kind)})
		}
	}
}

// decodeRun splits a run request's payload: [u32 json length][json][files tar].
func decodeRun(payload []byte) (runRequest, []byte, error) {
	var req runRequest
	if len(payload) < 4 {
		return req, nil, errors.New("short run request")
	}
	n := binary.BigEndian.Uint32(payload[0:4])
	if uint64(n) > uint64(len(payload)-4) {
		return req, nil, errors.New("run request shorter than its header says")
	}
	if err := json.Unmarshal(payload[4:4+n], &req); err != nil {
		return req, nil, fmt.Errorf("bad run request: %w", err)
	}
	if len(req.Argv) == 0 && len(payload) == int(4+n) {
		return req, nil, errors.New("a run request needs an argv or files")
	}
	return req, payload[4+n:], nil
}

type runTable struct {
	mu   sync.Mutex
	runs map[uint32]*run
}

func newRunTable() *runTable { return &runTable{runs: map[uint32]*run{}} }

func (t *runTable) add(id uint32) *run {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := &run{}
	t.runs[id] = r
	return r
}

func (t *runTable) remove(id uint32) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.runs, id)
}

func (t *runTable) kill(id uint32) {
	t.mu.Lock()
	r := t.runs[id]
	t.mu.Unlock()
	if r != nil {
		r.stop("")
	}
}
