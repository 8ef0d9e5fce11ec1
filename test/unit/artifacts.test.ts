import crypto from 'node:crypto';
import tar from 'tar-stream';
import { scanArtifactArchive } from '../../activities/host/artifacts';
import {
  ARTIFACT_LIMITS,
  artifactType,
  returnArtifacts,
  type ArtifactCandidate,
} from '../../activities/host/artifact-types';
import { inlineScanner } from '../../activities/scanner';

const rules = {
  secrets: 'redact' as const,
  patterns: [{ name: 'acct', regex: 'ACCT-\\d+', action: 'block' as const }],
};

function archive(entries: Record<string, string | Buffer>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  for (const [name, content] of Object.entries(entries)) pack.entry({ name: `./${name}` }, content);
  pack.finalize();
  return new Promise((resolve) => pack.on('end', () => resolve(Buffer.concat(chunks))));
}

describe('artifact manifest', () => {
  test('hashes what the program wrote, skips unchanged submitted files, and scans small files', async () => {
    const tarball = await archive({
      'main.py': 'print(1)',
      'out/report.txt': 'account ACCT-991',
      'big.bin': Buffer.alloc(300_000, 7),
    });
    const submitted = new Map([['main.py', crypto.createHash('sha256').update('print(1)').digest('hex')]]);
    const scan = await scanArtifactArchive(tarball, true, submitted, rules, inlineScanner);
    expect(scan.artifacts.map((a) => [a.name, a.bytes])).toEqual([
      ['out/report.txt', 16],
      ['big.bin', 300_000],
    ]);
    expect(scan.findings.map((f) => [f.ruleId, f.location?.path])).toEqual([['pattern/acct', 'out/report.txt']]);
    expect(scan).toMatchObject({ blocked: true, truncated: false });
  });

  test('a cut-off or malformed archive keeps what was read and says it is incomplete', async () => {
    const tarball = await archive({ 'a.txt': 'a', 'b.bin': Buffer.alloc(50_000, 1) });
    const cut = await scanArtifactArchive(tarball.subarray(0, 20_000), false, new Map(), rules, inlineScanner);
    expect(cut.artifacts.map((a) => a.name)).toEqual(['a.txt']);
    expect(cut.truncated).toBe(true);
    const garbage = await scanArtifactArchive(
      Buffer.from('not a tar archive at all'),
      true,
      new Map(),
      rules,
      inlineScanner,
    );
    expect(garbage).toMatchObject({ artifacts: [], truncated: true });
  });
});

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100, 1)]);

describe('typed artifacts', () => {
  test.each([
    ['chart.png', PNG, 'image/png'],
    ['photo.JPG', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2]), 'image/jpeg'],
    ['paper.pdf', Buffer.from('%PDF-1.7\n...'), 'application/pdf'],
    ['plot.svg', Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>'), 'image/svg+xml'],
    ['page.html', Buffer.from('<p>hi</p>'), 'text/html'],
    ['data.json', Buffer.from('{"a": [1, 2]}'), 'application/json'],
    ['table.csv', Buffer.from('a,b\n1,2\n'), 'text/csv'],
  ])('%s is typed as %s', (name, bytes, type) => {
    expect(artifactType(name, bytes)).toBe(type);
  });

  test.each([
    ['an HTML page named .png', 'fake.png', Buffer.from('<html><script>x</script></html>')],
    ['a PNG named .jpg', 'photo.jpg', PNG],
    ['JSON that does not parse', 'data.json', Buffer.from('{"a": ')],
    ['an SVG without an svg element', 'plot.svg', Buffer.from('<html></html>')],
    ['a CSV that is not UTF-8', 'table.csv', Buffer.from([0xff, 0xfe, 0x00, 0x41])],
    ['an unknown extension', 'notes.txt', Buffer.from('text')],
    ['a file over the size bound', 'huge.csv', Buffer.alloc(ARTIFACT_LIMITS.maxBytes + 1, 0x41)],
  ])('%s is not typed', (_what, name, bytes) => {
    expect(artifactType(name, bytes)).toBeNull();
  });

  test('the gate scans typed files past the plain scan bound, and holds back one with a finding', async () => {
    const secretCsv = `a,b\n${'1,2\n'.repeat(80_000)}ghp_abcdefghijklmnopqrstuvwxyz0123456789,x\n`;
    const tarball = await archive({ 'big.csv': secretCsv, 'chart.png': PNG });
    const scan = await scanArtifactArchive(tarball, true, new Map(), rules, inlineScanner);
    expect(Buffer.byteLength(secretCsv)).toBeGreaterThan(256 * 1024);
    expect(scan.candidates.map((c) => [c.name, c.mimeType, c.held])).toEqual([
      ['big.csv', 'text/csv', 'the output gate found github-token in it'],
      ['chart.png', 'image/png', null],
    ]);
  });

  const candidate = (name: string, content: Buffer, held: string | null = null): ArtifactCandidate => ({
    name,
    mimeType: 'image/png',
    sha256: crypto.createHash('sha256').update(content).digest('hex'),
    content,
    held,
  });

  class MemoryStore {
    readonly stored = new Map<string, Buffer>();
    async put(content: Buffer) {
      const sha256 = crypto.createHash('sha256').update(content).digest('hex');
      this.stored.set(sha256, content);
      return { sha256, bytes: content.length };
    }
    async open() {
      return null;
    }
    async sweep() {
      return 0;
    }
  }

  test('inline up to the bound and the result budget, by reference after; a figure is marked as one', async () => {
    const store = new MemoryStore();
    const sizes = [60, 60, 60, 60, 60, 100].map((k, i) => Buffer.alloc(k * 1024, i + 1));
    const candidates = sizes.map((b, i) => candidate(i === 0 ? '.airlock/figures/figure-1.png' : `c${i}.png`, b));
    const artifacts = await returnArtifacts(candidates, { blocked: false, store });
    // 64 KiB each at most, 256 KiB in all: four inline, the fifth over budget, the sixth over the bound.
    expect(artifacts.map((a) => a.data !== null)).toEqual([true, true, true, true, false, false]);
    expect(artifacts.every((a) => a.withheld === null)).toBe(true);
    expect(artifacts.map((a) => a.origin)).toEqual(['figure', 'file', 'file', 'file', 'file', 'file']);
    expect(store.stored.size).toBe(6);
  });

  test('without a store, what is not inline is withheld; a blocked run returns no content at all', async () => {
    const small = candidate('a.png', PNG);
    const large = candidate('b.png', Buffer.alloc(100 * 1024));
    const held = candidate('c.png', PNG, 'the output gate found github-token in it');
    const unstored = await returnArtifacts([small, large, held], { blocked: false, store: undefined });
    expect(unstored.map((a) => [a.data !== null, a.withheld])).toEqual([
      [true, null],
      [false, 'it is larger than the inline bound, and nothing stores it here'],
      [false, 'the output gate found github-token in it'],
    ]);
    const blocked = await returnArtifacts([small, held], { blocked: true, store: new MemoryStore() });
    expect(blocked.map((a) => [a.data, a.withheld])).toEqual([
      [null, 'the output gate blocked this run'],
      [null, 'the output gate found github-token in it'],
    ]);
  });
});
