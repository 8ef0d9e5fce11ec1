import request from 'supertest';
import type { Express } from 'express';
import { TestCluster } from '../support/cluster';
import { createTestApi, type TestApi } from '../support/api';

let cluster: TestCluster;
let api: TestApi;
let app: Express;

beforeAll(async () => {
  cluster = await TestCluster.start();
  api = createTestApi(cluster);
  app = api.app;
});

afterAll(async () => {
  await cluster?.stop();
});

/** A POST of these exact bytes as JSON. */
const postBytes = (bytes: Buffer, query = '') =>
  request(app)
    .post(`/v1/executions${query}`)
    .set({ authorization: `Bearer ${api.key}`, 'content-type': 'application/json' })
    // As bytes: superagent would otherwise serialise the Buffer object as JSON.
    .serialize((b: Buffer) => b as unknown as string)
    .send(bytes);

/** A body made of text and raw byte runs, with the byte offset where the first raw run starts. */
function body(...parts: Array<string | number[]>): { bytes: Buffer; firstRawAt: number } {
  const chunks = parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p)));
  const firstRaw = parts.findIndex((p) => typeof p !== 'string');
  const firstRawAt = chunks.slice(0, firstRaw).reduce((n, c) => n + c.length, 0);
  return { bytes: Buffer.concat(chunks), firstRawAt };
}

const FF_FE = [0xff, 0xfe];
const LONE_SURROGATE_BYTES = [0xed, 0xa0, 0x80];
const OVERLONG_SLASH = [0xc0, 0xaf];
const TRUNCATED_EURO = [0xe2, 0x82];

describe('bad bodies', () => {
  test.each([
    ['code', body('{"language":"python","code":"print(\'', FF_FE, '\')"}')],
    ['stdin', body('{"language":"python","code":"print(input())","stdin":"', LONE_SURROGATE_BYTES, '"}')],
    [
      // A U+FFFD the client really sent comes first, and is not mistaken for the invalid bytes.
      'files.1.content',
      body(
        '{"language":"python","entrypoint":"a.py","files":[{"path":"a.py","content":"print(\'\uFFFD\')"},',
        '{"path":"b.py","content":"x = \\"\\\\',
        OVERLONG_SLASH,
        '\\""}]}',
      ),
    ],
    [
      'cases.1.stdin',
      body('{"language":"python","code":"x","cases":[{"stdin":"ok"},{"stdin":"', TRUNCATED_EURO, '"}]}'),
    ],
  ])(
    'raw bytes that are not UTF-8 in a string are refused naming its field: %s',
    async (field, { bytes, firstRawAt }) => {
      const res = await postBytes(bytes);
      expect(res.status).toBe(400);
      const message = `must be valid UTF-8 (invalid bytes at offset ${firstRawAt} of the body; send binary content as base64)`;
      expect(res.body.error).toEqual({
        code: 'invalid_request',
        field,
        message: `${field}: ${message}`,
        issues: [{ field, message }],
      });
    },
  );

  test.each([
    ['in a property name', body('{"language":"python","co', FF_FE, 'de":"x"}')],
    ['between values', body('{"language":"python","code":"x"', FF_FE, '}')],
    ['in a body that is not JSON as well', body('{"language":"python","code":"x', TRUNCATED_EURO)],
  ])('raw bytes that are not UTF-8 %s are refused as the body, with their offset', async (_where, b) => {
    const res = await postBytes(b.bytes);
    expect(res.status).toBe(400);
    const message = `is not valid UTF-8 (invalid bytes at offset ${b.firstRawAt} of the body; send binary content as base64)`;
    expect(res.body.error).toMatchObject({ code: 'invalid_request', field: '(body)', message: `(body): ${message}` });
  });

  test('U+FFFD sent as valid UTF-8 is text like any other, and runs as sent', async () => {
    const { bytes } = body('{"language":"python","code":"import sys; sys.stdout.write(\'[\uFFFD]\')"}');
    const res = await postBytes(bytes, '?wait=true');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'succeeded', run: { stdout: '[\uFFFD]', exitCode: 0 } });
  });

  test('a NUL in a file path is refused naming the path', async () => {
    const { bytes } = body(
      '{"language":"python","entrypoint":"main.py","files":[{"path":"main.py","content":"x"},',
      '{"path":"evil\\u0000.py","content":"x"}]}',
    );
    const res = await postBytes(bytes);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'invalid_request',
      field: 'files.1.path',
      message: 'files.1.path: must not contain NUL',
    });
  });
});
