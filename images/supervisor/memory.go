package main

import "sync"

// A host worker that restarts asks again, with the same key, for the run it was waiting on. The
// supervisor answers from what it kept instead of running the program a second time: the output
// so far (every frame, up to the run's output cap), then the answer when the run ends. The last
// runs are kept, within a count and a byte budget, so a stage of many processes (the cases of a
// judged program, say) resumes whole after a restart, not only its last process. The budget is
// small because what the supervisor keeps counts against the sandbox's own memory limit.
const (
	maxSeenKeys  = 4096
	maxKeptRuns  = 64
	maxKeptBytes = 2 << 20
)

type record struct {
	mu        sync.Mutex
	frames    []frame
	answer    *runAnswer
	listeners []uint32
}

// emit sends an output frame to everyone waiting on the run, and keeps it for later ones.
func (r *record) emit(w *writer, kind byte, payload []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.frames = append(r.frames, frame{kind: kind, payload: payload})
	for _, id := range r.listeners {
		_ = w.send(kind, id, payload)
	}
}

func (r *record) finish(w *writer, answer runAnswer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answer = &answer
	for _, id := range r.listeners {
		_ = w.sendJSON(kindExit, id, answer)
	}
}

// size is the output the record holds.
func (r *record) size() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, f := range r.frames {
		n += len(f.payload)
	}
	return n
}

// follow replays the run to request `id`: its output so far, then the answer now or when it comes.
func (r *record) follow(w *writer, id uint32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range r.frames {
		_ = w.send(f.kind, id, f.payload)
	}
	if r.answer != nil {
		_ = w.sendJSON(kindExit, id, *r.answer)
		return
	}
	r.listeners = append(r.listeners, id)
}

// memory keeps the last keyed runs, oldest first, and every key it has run, so none runs twice.
type memory struct {
	mu   sync.Mutex
	runs []keptRun
	seen map[string]bool
}

type keptRun struct {
	key string
	rec *record
}

func newMemory() *memory { return &memory{seen: map[string]bool{}} }

// claim returns the record to follow for a key already run (nil, true when it was run but is no
// longer kept), or starts a new record for it (rec, false).
func (m *memory) claim(key string, id uint32) (rec *record, known bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, run := range m.runs {
		if run.key == key {
			return run.rec, true
		}
	}
	if m.seen[key] {
		return nil, true
	}
	if len(m.seen) >= maxSeenKeys {
		m.seen = map[string]bool{}
	}
	m.seen[key] = true
	rec = &record{listeners: []uint32{id}}
	m.runs = append(m.runs, keptRun{key: key, rec: rec})
	m.trim()
	return rec, false
}

// trim lets go of the oldest runs past the count or the byte budget; the newest is always kept.
func (m *memory) trim() {
	total := 0
	for _, run := range m.runs {
		total += run.rec.size()
	}
	for len(m.runs) > 1 && (len(m.runs) > maxKeptRuns || total > maxKeptBytes) {
		total -= m.runs[0].rec.size()
		m.runs[0] = keptRun{}
		m.runs = m.runs[1:]
	}
}
