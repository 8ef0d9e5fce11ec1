/**
 * A Temporal frontend as a production cluster or Temporal Cloud presents it, in front of the run's
 * dev server (which speaks neither TLS nor API keys): TLS with a private CA, optionally demanding
 * a client certificate (mTLS) and a bearer API key on every call. It forwards gRPC as it is (HTTP/2
 * streams, trailers included) and records each method it let through.
 */
import fs from 'node:fs';
import http2 from 'node:http2';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';

export interface TestPki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** A throwaway CA, a server certificate for localhost/127.0.0.1 and a client certificate, by openssl. */
export function makeTestPki(): TestPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-pki-'));
  const at = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...newKey,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-subj',
    '/CN=airlock-test-ca',
    '-days',
    '2',
  );
  const issue = (name: string, cn: string, ext: string) => {
    fs.writeFileSync(at(`${name}.ext`), ext);
    openssl('req', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    // -set_serial: a fixed serial needs no .srl file beside the CA.
    const serial = name === 'server' ? '2' : '3';
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-set_serial',
      serial,
      '-days',
      '2',
      '-out',
      `${name}.crt`,
      '-extfile',
      `${name}.ext`,
    );
  };
  issue('server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  issue('client', 'airlock-worker', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    caCert: at('ca.crt'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
  };
}

const HOP_BY_HOP = new Set([':authority', ':scheme', ':method', ':path', ':status', 'connection', 'keep-alive']);
const forwardable = (headers: http2.IncomingHttpHeaders) =>
  Object.fromEntries(Object.entries(headers).filter(([k]) => !HOP_BY_HOP.has(k))) as http2.OutgoingHttpHeaders;

export class TlsFrontend {
  /** gRPC methods forwarded (the last path segment), in order. */
  readonly methods: string[] = [];
  /** Calls refused for a missing or wrong API key. */
  refused = 0;
  private readonly sessions = new Set<http2.ServerHttp2Session>();

  private constructor(
    private readonly server: http2.Http2SecureServer,
    private readonly upstream: http2.ClientHttp2Session,
  ) {}

  get address(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  static async start(opts: { upstream: string; pki: TestPki; mtls: boolean; apiKey?: string }): Promise<TlsFrontend> {
    const upstream = http2.connect(`http://${opts.upstream}`);
    upstream.on('error', () => undefined);
    const server = http2.createSecureServer({
      key: fs.readFileSync(opts.pki.serverKey),
      cert: fs.readFileSync(opts.pki.serverCert),
      ca: fs.readFileSync(opts.pki.caCert),
      requestCert: opts.mtls,
      rejectUnauthorized: opts.mtls,
      ALPNProtocols: ['h2'],
    });
    const frontend = new TlsFrontend(server, upstream);
    server.on('stream', (stream, headers) => frontend.forward(stream, headers, opts.apiKey));
    server.on('sessionError', () => undefined);
    server.on('session', (session) => {
      frontend.sessions.add(session);
      session.on('close', () => frontend.sessions.delete(session));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return frontend;
  }

  private forward(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, apiKey?: string): void {
    stream.on('error', () => undefined);
    if (apiKey !== undefined && headers.authorization !== `Bearer ${apiKey}`) {
      this.refused++;
      // A trailers-only gRPC answer: UNAUTHENTICATED.
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '16', 'grpc-message': 'invalid API key' },
        { endStream: true },
      );
      return;
    }
    this.methods.push(String(headers[':path']).split('/').pop()!);
    const out = this.upstream.request({
      ':method': headers[':method'],
      ':path': headers[':path'],
      ...forwardable(headers),
    });
    out.on('error', () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
    stream.on('close', () => out.close());
    let trailers: http2.OutgoingHttpHeaders = {};
    out.on('response', (response, flags) => {
      const status = { ':status': response[':status'] ?? 200, ...forwardable(response) };
      if (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) stream.respond(status, { endStream: true });
      else stream.respond(status, { waitForTrailers: true });
    });
    out.on('trailers', (t) => {
      trailers = forwardable(t);
    });
    stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    stream.pipe(out);
    out.pipe(stream);
  }

  async stop(): Promise<void> {
    for (const session of this.sessions) session.destroy();
    this.upstream.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
