import { AirlockAbortError, AirlockNotFoundError, type LiveEvent } from '../src';
import { clientFor, fakeServer, json, sse, type FakeServer } from './fake-server';

let server: FakeServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

const stdout = (id: number, text: string) => sse(id, 'stdout', { stage: 'run', text });

describe('events()', () => {
  it('reconnects with Last-Event-ID after a drop, never yields an event twice, and stops at end', async () => {
    server = await fakeServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (server!.requests.length === 1) {
        res.write(': keep-alive\n\n');
        res.write(sse(1, 'stage', { stage: 'run', status: 'running', detail: null }));
        res.write(stdout(2, 'hello '));
        // Half an event, then the connection dies: the fragment must not surface.
        res.write('id: 3\nevent: stdout\ndata: {"sta');
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      // Replays 2 (a server after Last-Event-ID would not, a proxy might): it must be dropped.
      res.write(stdout(2, 'hello '));
      res.write(stdout(3, 'world\n'));
      res.write(sse(4, 'end', { status: 'succeeded', result: { id: 'ex_1' } }));
      res.write(stdout(5, 'after end'));
      // Left open: the client must stop reading on its own after `end`.
    });
    const events: LiveEvent[] = [];
    for await (const event of clientFor(server).executions.handle('ex_1').events()) events.push(event);

    expect(events.map((e) => [e.id, e.type])).toEqual([
      [1, 'stage'],
      [2, 'stdout'],
      [3, 'stdout'],
      [4, 'end'],
    ]);
    const text = events.flatMap((e) => (e.type === 'stdout' ? [e.data.text] : [])).join('');
    expect(text).toBe('hello world\n');
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]!.path).toBe('/v1/executions/ex_1/events');
    expect(server.requests[0]!.headers.accept).toBe('text/event-stream');
    expect(server.requests[0]!.headers['last-event-id']).toBeUndefined();
    expect(server.requests[1]!.headers['last-event-id']).toBe('2');
  });

  it('resumes from lastEventId', async () => {
    server = await fakeServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(sse(8, 'end', { status: 'succeeded', result: null }));
    });
    const ids: number[] = [];
    for await (const e of clientFor(server).executions.handle('ex_1').events({ lastEventId: 7 })) ids.push(e.id);
    expect(ids).toEqual([8]);
    expect(server.requests[0]!.headers['last-event-id']).toBe('7');
  });

  it('closes the connection when aborted mid-stream', async () => {
    let closed!: () => void;
    const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
    server = await fakeServer((_req, res, raw) => {
      raw.socket.on('close', () => closed());
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(stdout(1, 'tick'));
      // Then nothing: the client sits in a read when the abort comes.
    });
    const controller = new AbortController();
    const seen: number[] = [];
    const iterate = (async () => {
      for await (const e of clientFor(server).executions.handle('ex_1').events({ signal: controller.signal })) {
        seen.push(e.id);
        setTimeout(() => controller.abort(), 20);
      }
    })();
    await expect(iterate).rejects.toBeInstanceOf(AirlockAbortError);
    await connectionClosed;
    expect(seen).toEqual([1]);
    expect(server.requests).toHaveLength(1);
  });

  it('closes the connection when the caller stops iterating', async () => {
    let closed!: () => void;
    const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
    server = await fakeServer((_req, res, raw) => {
      raw.socket.on('close', () => closed());
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(stdout(1, 'a') + stdout(2, 'b'));
    });
    for await (const e of clientFor(server).executions.handle('ex_1').events()) {
      if (e.id === 1) break;
    }
    await connectionClosed;
  });

  it('reconnects when the response headers do not come within timeoutMs', async () => {
    server = await fakeServer((_req, res) => {
      if (server!.requests.length === 1) return; // hangs before the headers
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(sse(1, 'end', { status: 'succeeded', result: null }));
    });
    const ids: number[] = [];
    for await (const e of clientFor(server, { timeoutMs: 100 }).executions.handle('ex_1').events()) ids.push(e.id);
    expect(ids).toEqual([1]);
    expect(server.requests).toHaveLength(2);
  });

  it('does not reconnect on 404', async () => {
    server = await fakeServer((_req, res) => json(res, 404, { error: { code: 'not_found', message: 'no such' } }));
    const iterate = async () => {
      for await (const _ of clientFor(server!).executions.handle('ex_1').events());
    };
    await expect(iterate()).rejects.toBeInstanceOf(AirlockNotFoundError);
    expect(server.requests).toHaveLength(1);
  });

  it('gives up after maxRetries reconnects that bring nothing', async () => {
    server = await fakeServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end();
    });
    const iterate = async () => {
      for await (const _ of clientFor(server!, { maxRetries: 2 }).executions.handle('ex_1').events());
    };
    await expect(iterate()).rejects.toMatchObject({ code: 'connection_error' });
    expect(server.requests).toHaveLength(3);
  });
});
