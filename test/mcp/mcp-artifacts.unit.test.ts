import type { Artifact } from '../../lib/schemas/execution-result';
import { describeArtifacts, IMAGE_LIMITS, imageContent } from '../../mcp/artifacts';

const artifact = (over: Partial<Artifact>): Artifact => ({
  name: 'chart.png',
  mimeType: 'image/png',
  bytes: 3,
  sha256: 'a'.repeat(64),
  origin: 'file',
  data: 'AAEC',
  withheld: null,
  ...over,
});

describe('artifacts in MCP results', () => {
  test('images are image content, inline or read by reference; withheld ones and other types are not', async () => {
    const artifacts = [
      artifact({ name: '.airlock/figures/figure-1.png', origin: 'figure', sha256: '1'.repeat(64) }),
      artifact({ name: 'photo.jpg', mimeType: 'image/jpeg', data: null, sha256: '2'.repeat(64) }),
      artifact({
        name: 'leak.png',
        data: null,
        withheld: 'the output gate found github-token in it',
        sha256: '3'.repeat(64),
      }),
      artifact({ name: 'table.csv', mimeType: 'text/csv', sha256: '4'.repeat(64) }),
    ];
    const read = jest.fn(async () => new Uint8Array([9, 9]));
    const images = await imageContent(artifacts, read);
    expect(images.content).toEqual([
      { type: 'image', data: 'AAEC', mimeType: 'image/png' },
      { type: 'image', data: 'CQk=', mimeType: 'image/jpeg' },
    ]);
    expect(read).toHaveBeenCalledTimes(1);
    expect(describeArtifacts(artifacts, images.shown)).toEqual([
      'artifacts (4):',
      '- .airlock/figures/figure-1.png (image/png, 3 bytes, a figure the program showed): shown below',
      '- photo.jpg (image/jpeg, 3 bytes): shown below',
      '- leak.png (image/png, 3 bytes): withheld: the output gate found github-token in it',
      '- table.csv (text/csv, 3 bytes): inline in structuredContent',
    ]);
  });

  test('at most IMAGE_LIMITS images; one that cannot be read is listed, not shown', async () => {
    const many = Array.from({ length: IMAGE_LIMITS.count + 2 }, (_, i) =>
      artifact({ sha256: String(i % 10).repeat(64) + i }),
    );
    expect((await imageContent(many, undefined)).content).toHaveLength(IMAGE_LIMITS.count);
    const byRef = [artifact({ data: null })];
    const failing = await imageContent(byRef, async () => Promise.reject(new Error('gone')));
    expect(failing.content).toEqual([]);
    expect(describeArtifacts(byRef, failing.shown)[1]).toContain('by reference');
  });
});
