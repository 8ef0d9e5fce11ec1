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
	kept := newMemory()
	frames := newInput(in)
	for {
		f, err := frames.next()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil
		}
		if errors.Is(err, errFrameTooLarge) {
			// Not from a well-behaved host: skip to the next one's marker.
			if err := frames.resync(nil); err != nil {
				return nil
			}
			continue
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
			var out sink = directSink{id: f.id}
			if req.Key != "" {
				rec, known := kept.claim(req.Key, f.id)
				if known && rec != nil {
					rec.follow(w, f.id)
					continue
				}
				if known {
					_ = w.sendJSON(kindExit, f.id, runAnswer{Evicted: true, Error: "this run is no longer kept"})
					continue
				}
				out = rec
			}
			r := runs.add(f.id)
			go func(id uint32) {
				turn.Lock()
				defer turn.Unlock()
				defer runs.remove(id)
				out.finish(w, r.execute(w, req, files, out))
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

// sink is where a run's frames and answer go: straight to its request, or through a kept record.
type sink interface {
	emit(w *writer, kind byte, payload []byte)
	finish(w *writer, answer runAnswer)
}

type directSink struct{ id uint32 }

func (d directSink) emit(w *writer, kind byte, payload []byte) { _ = w.send(kind, d.id, payload) }

func (d directSink) finish(w *writer, answer runAnswer) { _ = w.sendJSON(kindExit, d.id, answer) }
