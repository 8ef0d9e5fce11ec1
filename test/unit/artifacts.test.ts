import crypto from 'node:crypto';
import tar from 'tar-stream';
import { scanArtifactArchive } from '../../activities/host/artifacts';
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
